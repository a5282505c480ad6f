import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { createLogger, type Logger } from '../../electron/services/log/logger';
import { scriptedBrowserLogin, startPscStandIn, type PscStandIn } from '../../electron/sandbox/psc-provider';
import { createPscClient, type PscClient, type PscTokens } from '../../electron/services/auth/psc-client';
import { SessionManager, type SessionChange } from '../../electron/services/auth/session';

const DR_MARTIN = '810003456786';

let psc: PscStandIn;
let dir: string;
let logger: Logger;
/** Every token handed out during this file: none may end up in the temp dir. */
const allTokens: PscTokens[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lgc-psc-session-'));
  logger = createLogger({ file: join(dir, 'logs', 'lgc.log'), level: 'debug' });
  psc = await startPscStandIn({ accessTokenTtlSeconds: 2, cibaIntervalSeconds: 1, logger });
});

afterAll(async () => {
  await psc?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Client whose browser picks `card()` and which records every token it hands out. */
function recordingClient(card: () => string, seen: PscTokens[]): PscClient {
  const client = createPscClient(
    {
      issuer: psc.issuer,
      clientId: psc.clientId,
      clientAuth: { method: 'client_secret_basic', secret: psc.clientSecret },
      allowInsecureLoopback: true,
      loginTimeoutMs: 10_000,
    },
    { openExternal: async (url) => { void scriptedBrowserLogin(url, card()).catch(() => {}); }, logger },
  );
  const record = async (p: Promise<PscTokens>) => { const t = await p; seen.push(t); return t; };
  return {
    ...client,
    loginWithBrowser: (o) => record(client.loginWithBrowser(o)),
    loginWithCiba: (h, o) => record(client.loginWithCiba(h, o)),
    refresh: (r, p) => record(client.refresh(r, p)),
  };
}

function nextChange(session: SessionManager, reason: SessionChange['reason'], timeout = 8000): Promise<SessionChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no "${reason}" event within ${timeout} ms`)); }, timeout);
    const off = session.on('change', (c) => {
      if (c.reason !== reason) return;
      clearTimeout(timer);
      off();
      resolve(c);
    });
  });
}

async function rejectionOf(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('Pro Santé Connect session', () => {
  it('renews the access token before expiry, then ends cleanly when renewal is refused', async () => {
    const client = recordingClient(() => 'claire.martin', allTokens);
    const session = new SessionManager({ client, logger });
    const changes: SessionChange[] = [];
    session.on('change', (c) => changes.push(c));

    const user = await session.signIn(await client.loginWithBrowser());
    expect(user).toMatchObject({ nationalId: DR_MARTIN, role: 'doctor' });
    expect(session.state).toBe('active');
    const first = session.accessToken();

    await nextChange(session, 'token-refreshed');
    const second = session.accessToken();
    expect(second).not.toBe(first);
    expect(await session.freshAccessToken()).toBe(second);

    await psc.revokeAllGrants();
    const ended = await nextChange(session, 'refresh-failed');
    expect(ended.state).toBe('signed-out');
    expect(ended.user).toBeNull();
    expect(ended.message).toMatch(/Veuillez vous reconnecter/);
    expect(ended.error?.code).toBe('UNAUTHENTICATED');
    expect(session.state).toBe('signed-out');
    expect(() => session.accessToken()).toThrowError(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(changes.map((c) => c.reason)).toEqual(['signed-in', 'token-refreshed', 'refresh-failed']);
  });

  it('locks (dropping tokens), refuses another professional, unlocks for the same one, logs out', async () => {
    let card = 'karim.benali';
    const client = recordingClient(() => card, allTokens);
    const session = new SessionManager({ client, logger });
    await session.signIn(await client.loginWithBrowser());
    const before = session.accessToken();

    session.lock();
    expect(session.state).toBe('locked');
    expect(session.user?.nationalId).toBe('810004567896');
    expect(() => session.accessToken()).toThrowError(expect.objectContaining({ code: 'SESSION_LOCKED' }));
    // The refresh token was revoked at lock time: the grant behind it is gone.
    await expect.poll(async () => {
      const r = await fetch(psc.introspection.url, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${psc.introspection.clientId}:${psc.introspection.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ token: before }),
      });
      return ((await r.json()) as { active: boolean }).active;
    }).toBe(false);

    card = 'claire.martin';
    const other = await client.loginWithBrowser({ forceLogin: true });
    const refused = await rejectionOf(session.unlock(other));
    expect(refused.code).toBe('PERMISSION_DENIED');
    expect(refused.message).toMatch(/Karim BENALI/);
    expect(session.state).toBe('locked');

    card = 'karim.benali';
    const unlocked = await session.unlock(await client.loginWithBrowser({ forceLogin: true }));
    expect(unlocked.nationalId).toBe('810004567896');
    expect(session.state).toBe('active');
    expect(session.accessToken()).not.toBe(before);

    const url = await session.logout();
    expect(url).toContain(`${psc.issuer}/protocol/openid-connect/logout?`);
    expect(session.state).toBe('signed-out');
    expect(session.user).toBeNull();
    expect(() => session.accessToken()).toThrowError(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('signs in through CIBA as well', async () => {
    const client = recordingClient(() => 'claire.martin', allTokens);
    const session = new SessionManager({ client, logger });
    const login = client.loginWithCiba(DR_MARTIN);
    await expect.poll(() => psc.pendingCibaRequests().length, { timeout: 5000 }).toBeGreaterThan(0);
    psc.approveCiba();
    const user = await session.signIn(await login);
    expect(user.role).toBe('doctor');
    await session.logout();
  });

  it('never writes a token to disk (logs included)', () => {
    expect(allTokens.length).toBeGreaterThanOrEqual(6);
    const files = filesUnder(dir);
    expect(files.length).toBeGreaterThan(0);
    const content = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(content).toMatch(/Session ouverte/);
    expect(content).toMatch(/Jeton Pro Santé Connect renouvelé/);
    for (const t of allTokens) {
      for (const secret of [t.accessToken, t.refreshToken, t.idToken]) {
        if (secret) expect(content.includes(secret)).toBe(false);
      }
    }
  });
});
