import { describe, expect, it } from 'vitest';
import { decideUpdateCheck, detectInstallKind, type InstallFacts } from '../../electron/services/config/update-policy';
import type { UpdatesSettings } from '../../electron/services/config/sources';

const STABLE: UpdatesSettings = { channel: 'stable', disabled: false };
const WIN_ENV = { ProgramFiles: 'C:\\Program Files', 'ProgramFiles(x86)': 'C:\\Program Files (x86)', LOCALAPPDATA: 'C:\\Users\\secretariat\\AppData\\Local' };
const win = (execPath: string, marker?: string): InstallFacts => ({ platform: 'win32', packaged: true, execPath, env: WIN_ENV, marker: marker ?? null });

describe('install kind', () => {
  it('per-user NSIS install (LocalAppData\\Programs) → per-user', () => {
    expect(detectInstallKind(win('C:\\Users\\secretariat\\AppData\\Local\\Programs\\lgc-segur\\LGC Ségur.exe'))).toBe('per-user');
  });

  it('under Program Files (any case, either architecture) → per-machine', () => {
    expect(detectInstallKind(win('C:\\Program Files\\LGC Ségur\\LGC Ségur.exe'))).toBe('per-machine');
    expect(detectInstallKind(win('c:\\program files (x86)\\LGC Ségur\\LGC Ségur.exe'))).toBe('per-machine');
    expect(detectInstallKind({ ...win('D:\\Apps\\LGC Ségur\\LGC Ségur.exe'), env: { ProgramFiles: 'D:\\Apps' } })).toBe('per-machine');
    // A folder that only starts like Program Files is not under it.
    expect(detectInstallKind(win('C:\\Program Files Perso\\LGC Ségur\\LGC Ségur.exe'))).toBe('per-user');
  });

  it('an `installer-kind` marker saying msi (or per-machine) wins over the folder', () => {
    expect(detectInstallKind(win('D:\\Logiciels\\LGC Ségur\\LGC Ségur.exe', 'msi\r\n'))).toBe('msi');
    expect(detectInstallKind(win('C:\\Program Files\\LGC Ségur\\LGC Ségur.exe', 'MSI'))).toBe('msi');
    expect(detectInstallKind(win('D:\\Logiciels\\LGC Ségur\\LGC Ségur.exe', 'per-machine'))).toBe('per-machine');
  });

  it('Linux: AppImage → per-user, otherwise the .deb package; macOS → per-user; unpackaged → development', () => {
    expect(detectInstallKind({ platform: 'linux', packaged: true, execPath: '/tmp/.mount_lgc/lgc-segur', env: { APPIMAGE: '/home/u/LGC.AppImage' } })).toBe('per-user');
    expect(detectInstallKind({ platform: 'linux', packaged: true, execPath: '/opt/LGC Ségur/lgc-segur', env: {} })).toBe('system-package');
    expect(detectInstallKind({ platform: 'darwin', packaged: true, execPath: '/Applications/LGC Ségur.app/Contents/MacOS/LGC Ségur', env: {} })).toBe('per-user');
    expect(detectInstallKind({ ...win('C:\\Program Files\\LGC Ségur\\LGC Ségur.exe', 'msi'), packaged: false })).toBe('unpackaged');
  });
});

describe('update decision', () => {
  it('per-user install checks the stable channel on the packaged (publisher) feed', () => {
    const decision = decideUpdateCheck({ updates: STABLE, install: 'per-user', sandbox: false });
    expect(decision).toEqual({ check: true, channel: 'latest', reason: expect.stringContaining('canal stable') });
    expect(decision).not.toHaveProperty('feedUrl');
  });

  it('per-user install follows the configured channel and the practice mirror', () => {
    const decision = decideUpdateCheck({ updates: { channel: 'beta', disabled: false, feedUrl: 'https://maj.cabinet.example/lgc' }, install: 'per-user', sandbox: false });
    expect(decision).toEqual({ check: true, channel: 'beta', feedUrl: 'https://maj.cabinet.example/lgc', reason: expect.stringContaining('canal beta') });
    expect(decision.reason).toContain('https://maj.cabinet.example/lgc');
  });

  it('MSI and per-machine installs are versioned by IT: no check, with the reason', () => {
    const msi = decideUpdateCheck({ updates: STABLE, install: 'msi', sandbox: false });
    expect(msi).toEqual({ check: false, reason: expect.stringMatching(/^Installation MSI .*stratégie de groupe/) });
    const machine = decideUpdateCheck({ updates: { channel: 'beta', disabled: false }, install: 'per-machine', sandbox: false });
    expect(machine).toEqual({ check: false, reason: expect.stringContaining('tous les utilisateurs') });
    expect(decideUpdateCheck({ updates: STABLE, install: 'system-package', sandbox: false })).toEqual({ check: false, reason: expect.stringContaining('gestionnaire de paquets') });
  });

  it('updates.disabled wins over the channel', () => {
    const decision = decideUpdateCheck({ updates: { channel: 'beta', disabled: true }, install: 'per-user', sandbox: false });
    expect(decision).toEqual({ check: false, reason: expect.stringContaining('updates.disabled') });
  });

  it('the training sandbox, a refused configuration and an unpackaged run never check', () => {
    expect(decideUpdateCheck({ updates: STABLE, install: 'per-user', sandbox: true })).toEqual({ check: false, reason: expect.stringContaining('mode formation') });
    expect(decideUpdateCheck({ updates: STABLE, install: 'per-user', sandbox: false, configurationRefused: true })).toEqual({ check: false, reason: expect.stringContaining('refusée') });
    expect(decideUpdateCheck({ updates: STABLE, install: 'unpackaged', sandbox: false })).toEqual({ check: false, reason: expect.stringContaining('non empaquetée') });
  });
});
