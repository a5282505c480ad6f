import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootApp, mailConfigFromPractice, type Booted } from '../../electron/boot';
import type { PracticeConfig } from '../../electron/services/config/practice-config';
import { createLogger } from '../../electron/services/log/logger';

const logger = createLogger({ level: 'error' });
const folders: string[] = [];
const booted: Booted[] = [];

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lgc-boot-'));
  folders.push(dir);
  return dir;
}

async function boot(configFile: string, dataDir = folder()): Promise<Booted> {
  const b = await bootApp({ dataDir, exactDataDir: true, configFile, host: 'browser', openExternal: async () => undefined, logger });
  booted.push(b);
  return b;
}

afterEach(async () => {
  for (const b of booted.splice(0)) await b.close();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const trainingWorkstation = (dir: string) => {
  writeFileSync(join(dir, 'psc.secret'), 'secret-du-centre');
  return {
    mode: 'training',
    practice: { name: 'Cabinet des Tilleuls', structureId: '312345678900016' },
    psc: { issuer: 'http://127.0.0.1:9/auth/realms/esante-wallet', clientId: 'lgc', clientAuth: { method: 'client_secret_basic', secretRef: `file:${join(dir, 'psc.secret')}` }, allowInsecureLoopback: true },
    mssante: {
      imap: { host: '127.0.0.1', port: 9 },
      smtp: { host: '127.0.0.1', port: 9 },
      mailboxes: [{ address: 'secretariat@tilleuls.mssante.fr', kind: 'organisational', label: 'Secrétariat' }],
    },
    insi: { endpoint: 'http://127.0.0.1:9/insi' },
  };
};

describe('bootApp on a configuration file', () => {
  it('a refused configuration serves only the error screen: every problem named, every other call refused', async () => {
    const dir = folder();
    const file = join(dir, 'poste.json');
    writeFileSync(file, JSON.stringify({ mode: 'production', practice: { name: 'X', structureId: '3123' }, psc: { issuer: 'https://psc.example', clientId: 'lgc' }, extra: true }));
    const b = await boot(file, dir);
    expect(b.configurationProblems).toBeGreaterThanOrEqual(2);
    expect(b.sandbox).toBeNull(); // never the training sandbox in place of a broken configuration
    const info = await b.services.dispatch('app.info', {});
    expect(info.ok).toBe(true);
    const value = (info as { value: { configurationProblems: { key: string; source: string; location?: string }[] } }).value;
    const keys = value.configurationProblems.map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['extra', 'psc.clientAuth']));
    expect(value.configurationProblems.every((p) => p.source === 'machine' && p.location === file)).toBe(true);
    for (const [method, args] of [['auth.state', {}], ['patients.today', {}], ['app.firstRunChecks', {}]] as const) {
      const res = await b.services.dispatch(method, args);
      expect(res).toMatchObject({ ok: false, error: { code: 'CONFIGURATION' } });
    }
  });

  it('a configured workstation asks for its first-run checklist once, then remembers it', async () => {
    const dir = folder();
    const file = join(dir, 'poste.json');
    writeFileSync(file, JSON.stringify(trainingWorkstation(dir)));
    const dataDir = folder();
    let b = await boot(file, dataDir);
    expect(b.sandbox).toBeNull();
    const info = async () => ((await b.services.dispatch('app.info', {})) as { value: { firstRunPending: boolean; practiceName: string } }).value;
    expect(await info()).toMatchObject({ firstRunPending: true, practiceName: 'Cabinet des Tilleuls' });
    const checks = (await b.services.dispatch('app.firstRunChecks', {})) as { ok: boolean; value: { id: string; state: string }[] };
    expect(checks.ok).toBe(true);
    expect(checks.value.map((c) => `${c.id}:${c.state}`)).toEqual(['psc:error', 'mailbox:error', 'dmp:skipped', 'insi:error']);
    expect((await b.services.dispatch('app.completeFirstRun', {})).ok).toBe(true);
    expect((await info()).firstRunPending).toBe(false);
    await b.close();
    booted.splice(booted.indexOf(b), 1);
    b = await boot(file, dataDir);
    expect((await info()).firstRunPending).toBe(false);
  });

  it('the training sandbox (no configuration) has no first-run checklist', async () => {
    const b = await bootApp({ dataDir: folder(), exactDataDir: true, host: 'browser', openExternal: async () => undefined, logger });
    booted.push(b);
    const info = (await b.services.dispatch('app.info', {})) as { value: { firstRunPending: boolean; mode: string; configurationProblems: unknown[] } };
    expect(info.value).toMatchObject({ firstRunPending: false, mode: 'training', configurationProblems: [] });
  }, 60_000);
});

describe('mailConfigFromPractice', () => {
  const base = { mode: 'production', practice: { name: 'X', structureId: '1', facilityTypeCode: 'SA07' }, psc: { issuer: 'https://x', clientId: 'c', allowInsecureLoopback: false }, lockAfterMinutes: 120 } as PracticeConfig;
  it('maps servers (STARTTLS on 143/587, TLS on 993/465) and mailboxes; plaintext only for a loopback training operator', () => {
    const prod = mailConfigFromPractice({
      ...base,
      mssante: { imap: { host: 'imap.mssante.fr', port: 143 }, smtp: { host: 'smtp.mssante.fr', port: 465 }, mailboxes: [{ address: 'dr@x.mssante.fr', kind: 'personal', label: 'Dr X', ownerNationalId: '810001234567' }] },
    })!;
    expect(prod.imap).toEqual({ host: 'imap.mssante.fr', port: 143, tls: false });
    expect(prod.smtp).toEqual({ host: 'smtp.mssante.fr', port: 465, tls: true });
    expect(prod.mailboxes).toEqual([{ address: 'dr@x.mssante.fr', kind: 'personal', label: 'Dr X', ownerNationalId: '810001234567' }]);
    const training = mailConfigFromPractice({ ...base, mode: 'training', mssante: { imap: { host: '127.0.0.1', port: 1143 }, smtp: { host: '127.0.0.1', port: 1587 }, mailboxes: [] } })!;
    expect(training.imap?.sandboxPlaintext).toBe(true);
    const prodLoopback = mailConfigFromPractice({ ...base, mssante: { imap: { host: '127.0.0.1', port: 1143 }, smtp: { host: '127.0.0.1', port: 1587 }, mailboxes: [] } })!;
    expect(prodLoopback.imap?.sandboxPlaintext).toBeUndefined();
    expect(mailConfigFromPractice(base)).toBeUndefined();
  });
});
