import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
const { DebugLogger } = require('builder-util/out/DebugLogger');
const { load } = require('js-yaml');

describe('electron-builder configuration', () => {
  const config = load(readFileSync('electron-builder.yml', 'utf8'));

  it('validates against electron-builder’s schema (offline)', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('declares the security fuses and keeps the native module out of the asar', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
    expect(config.asarUnpack).toContain('**/node_modules/better-sqlite3/**');
    expect(config.files).toContain('!**/*.map');
  });

  it('builds the Windows NSIS multi-user installer and a per-machine MSI', () => {
    expect(config.win.target).toEqual(expect.arrayContaining(['nsis', 'msi']));
    // Assisted + not forced per-machine = multi-user: per-user by default, `/allusers` honoured.
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: false, allowElevation: true });
    expect(config.nsis.selectPerMachineByDefault ?? false).toBe(false);
    expect(config.msi).toMatchObject({ perMachine: true, runAfterFinish: false });
  });

  it('builds dmg (with the zip electron-updater needs) on macOS, AppImage and deb on Linux', () => {
    expect([config.mac.target].flat()).toEqual(expect.arrayContaining(['dmg', 'zip']));
    expect([config.linux.target].flat()).toEqual(expect.arrayContaining(['AppImage', 'deb']));
  });

  it('publishes a generic update feed for electron-updater (latest.yml)', () => {
    const publish = [config.publish].flat();
    expect(publish).toHaveLength(1);
    expect(publish[0]).toMatchObject({ provider: 'generic' });
    expect(new URL(publish[0].url).protocol).toBe('https:');
  });

  it('keeps the Electron-ABI rebuild in packaging and the fuses explicit', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toMatchObject({ runAsNode: false, grantFileProtocolExtraPrivileges: false });
  });

  it('rejects an unknown key (the check is real)', async () => {
    await expect(validateConfiguration({ ...config, notAnOption: true }, new DebugLogger(false))).rejects.toThrow();
  });
});
