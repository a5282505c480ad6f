import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors';
import { SessionManager, type SessionChange, type SessionPscClient } from '../../electron/services/auth/session';
import type { PscTokens } from '../../electron/services/auth/psc-client';

const HOUR = 3_600_000;

const userinfoOf: Record<string, Record<string, unknown>> = {
  'sub-martin': { SubjectNameID: '810003456786', given_name: 'Claire', family_name: 'MARTIN', SubjectRefPro: { exercices: [{ codeProfession: '10' }] } },
  'sub-durand': { SubjectNameID: '599999999900017/SEC0001', given_name: 'Sophie', family_name: 'DURAND', SubjectRefPro: { exercices: [{ codeProfession: 'SECMED' }] } },
};

let counter = 0;
function tokens(subject = 'sub-martin', lifetimeMs = 300_000): PscTokens {
  counter += 1;
  const now = Date.now();
  return {
    accessToken: `at-${counter}`,
    refreshToken: `rt-${counter}`,
    idToken: `id-${counter}`,
    tokenType: 'bearer',
    obtainedAt: now,
    expiresAt: now + lifetimeMs,
    subject,
    acr: 'eidas1',
  };
}

/** In-memory stand-in for the PSC client (the real one is exercised in tests/integration/psc-*). */
function fakeClient(refresh: (rt: string, prev?: PscTokens) => Promise<PscTokens> = async (_rt, prev) => tokens(prev?.subject, prev ? prev.expiresAt - prev.obtainedAt : undefined)) {
  const revoked: string[] = [];
  const client: SessionPscClient = {
    refresh: vi.fn(refresh),
    userinfo: async (_at, sub) => userinfoOf[sub]!,
    endSessionUrl: async (id) => `https://psc.example/logout?id_token_hint=${id}`,
    revoke: async (t) => { revoked.push(t); },
  };
  return { client, revoked };
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('SessionManager timers', () => {
  it('locks after 2 h without activity by default, and touch() postpones it', async () => {
    const { client, revoked } = fakeClient();
    const session = new SessionManager({ client, refreshAtRatio: 0.8 });
    const changes: SessionChange[] = [];
    session.on('change', (c) => changes.push(c));
    const first = tokens('sub-martin', 4 * HOUR);
    await session.signIn(first);

    await vi.advanceTimersByTimeAsync(HOUR + 30 * 60_000);
    session.touch();
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(session.state).toBe('active');

    await vi.advanceTimersByTimeAsync(HOUR);
    expect(session.state).toBe('locked');
    const locked = changes.at(-1)!;
    expect(locked).toMatchObject({ reason: 'locked', state: 'locked' });
    expect(locked.message).toMatch(/inactivité/);
    expect(locked.user?.nationalId).toBe('810003456786');
    // Only the refresh token held at lock time is revoked (earlier ones were renewed away).
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).not.toBe(first.refreshToken);
    expect(() => session.accessToken()).toThrowError(expect.objectContaining({ code: 'SESSION_LOCKED' }));
  });

  it('honours a configured lock delay and stops renewing while locked', async () => {
    const { client } = fakeClient();
    const session = new SessionManager({ client, lockAfterMs: 10 * 60_000 });
    await session.signIn(tokens('sub-martin', 60_000));
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    const refreshesBeforeLock = vi.mocked(client.refresh).mock.calls.length;
    expect(refreshesBeforeLock).toBeGreaterThan(5);
    expect(session.state).toBe('active');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(session.state).toBe('locked');
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(vi.mocked(client.refresh).mock.calls.length).toBeLessThanOrEqual(refreshesBeforeLock + 1);
  });

  it('renews at 80 % of the access token lifetime', async () => {
    const { client } = fakeClient();
    const session = new SessionManager({ client });
    const first = tokens('sub-martin', 100_000);
    await session.signIn(first);
    await vi.advanceTimersByTimeAsync(79_000);
    expect(client.refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(client.refresh).toHaveBeenCalledWith(first.refreshToken, first);
    expect(session.accessToken()).not.toBe(first.accessToken);
  });

  it('retries a renewal that failed on the network, then ends the session when refused', async () => {
    let calls = 0;
    const { client } = fakeClient(async (_rt, prev) => {
      calls += 1;
      if (calls === 1) throw new AppError('NETWORK', 'injoignable');
      if (calls === 2) return tokens(prev?.subject, 100_000);
      throw new AppError('UNAUTHENTICATED', 'invalid_grant');
    });
    const session = new SessionManager({ client });
    const changes: SessionChange[] = [];
    session.on('change', (c) => changes.push(c));
    await session.signIn(tokens('sub-martin', 100_000));
    await vi.advanceTimersByTimeAsync(80_000); // first attempt: network error
    expect(session.state).toBe('active');
    await vi.advanceTimersByTimeAsync(10_000); // retry (half the remaining 20 s): ok
    expect(changes.map((c) => c.reason)).toEqual(['signed-in', 'token-refreshed']);
    await vi.advanceTimersByTimeAsync(80_000); // refused
    expect(session.state).toBe('signed-out');
    expect(changes.at(-1)).toMatchObject({ reason: 'refresh-failed', state: 'signed-out', user: null });
    expect(changes.at(-1)?.message).toMatch(/reconnecter/);
  });

  it('ends the session at expiry when there is no refresh token', async () => {
    const { client } = fakeClient();
    const session = new SessionManager({ client });
    const t = tokens('sub-martin', 60_000);
    delete t.refreshToken;
    await session.signIn(t);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(session.state).toBe('signed-out');
  });

  it('unlocks only for the same SubjectNameID', async () => {
    const { client } = fakeClient();
    const session = new SessionManager({ client, lockAfterMs: 60_000 });
    await session.signIn(tokens('sub-martin', 4 * HOUR));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(session.state).toBe('locked');
    await expect(session.unlock(tokens('sub-durand'))).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(session.state).toBe('locked');
    const user = await session.unlock(tokens('sub-martin'));
    expect(user.nationalId).toBe('810003456786');
    expect(session.state).toBe('active');
    // The lock timer runs again after unlocking.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(session.state).toBe('locked');
  });

  it('logs out from a locked session and returns the end-session URL', async () => {
    const { client } = fakeClient();
    const session = new SessionManager({ client });
    const t = tokens();
    await session.signIn(t);
    session.lock();
    expect(await session.logout()).toBe(`https://psc.example/logout?id_token_hint=${t.idToken}`);
    expect(session.state).toBe('signed-out');
    expect(session.user).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    await expect(session.unlock(tokens())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
