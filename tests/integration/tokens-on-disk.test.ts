import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootApp } from '../../electron/boot';
import type { AppServices } from '../../electron/services/app';
import { eventually } from '../helpers/until';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the whole application keeps Pro Santé Connect tokens off the disk', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lgc-tokens-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('after a login, a mailbox sync with the token, a lock and a shutdown, no file of the data folder holds it', async () => {
    const booted = await bootApp({ dataDir, exactDataDir: true, host: 'browser', openExternal: async () => undefined });
    const services = booted.services as AppServices;
    const tokens = new Set<string>();
    try {
      const cards = (await services.dispatch('auth.testCards', {})) as { value: { nationalId: string; role: string }[] };
      const doctor = cards.value.find((c) => c.role === 'doctor')!;
      const login = (await services.dispatch('auth.loginCiba', { nationalId: doctor.nationalId })) as { ok: boolean; value: { state: string } };
      expect(login.value.state).toBe('active');
      tokens.add(await services.auth.accessToken());
      // The mailboxes log in with the token (XOAUTH2) and sync: it has travelled, not only arrived.
      await eventually('mailbox connected', async () => {
        const status = (await services.dispatch('mail.status', {})) as { value: { state: string }[] };
        return status.value.some((m) => m.state === 'connected') ? true : undefined;
      }, 30_000, 200);
      await services.dispatch('patients.today', {});
      tokens.add(await services.auth.accessToken());
      await services.dispatch('auth.lock', {});
    } finally {
      await booted.close();
    }
    const files = filesUnder(dataDir);
    expect(files.some((f) => f.endsWith('lgc.sqlite'))).toBe(true);
    expect(files.some((f) => f.endsWith('lgc.log'))).toBe(true);
    expect(files.some((f) => f.includes(`${join('messages')}`) || f.endsWith('.eml'))).toBe(true);
    const log = readFileSync(files.find((f) => f.endsWith('lgc.log'))!, 'utf8');
    expect(log).toContain('auth'); // the log did record the login, only without its secrets
    for (const token of tokens) {
      expect(token.length).toBeGreaterThan(20);
      for (const file of files) {
        const bytes = readFileSync(file);
        expect(bytes.includes(token), `token in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(token, 'utf16le')), `UTF-16 token in ${file}`).toBe(false);
      }
    }
  }, 90_000);
});
