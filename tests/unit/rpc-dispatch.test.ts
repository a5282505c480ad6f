import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { METHOD_NAMES } from '../../shared/contract';
import { silentLogger } from '../../electron/services/log/logger';
import { createDispatcher, type Handlers } from '../../electron/services/rpc/dispatch';

function handlersWith(overrides: Partial<Handlers>): Handlers {
  const missing = () => {
    throw new Error('not under test');
  };
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, (overrides as Record<string, unknown>)[m] ?? missing])) as unknown as Handlers;
}

describe('dispatcher', () => {
  let signedIn = true;
  const calls: unknown[] = [];
  const dispatch = createDispatcher({
    logger: silentLogger,
    requireActiveSession: () => {
      if (!signedIn) throw new AppError('UNAUTHENTICATED', 'Connexion requise.');
    },
    handlers: handlersWith({
      'patients.search': (args) => {
        calls.push(args);
        return [];
      },
      'patients.today': () => [{ id: 'not-a-number' }] as never,
      'auth.state': () => ({ state: 'signed-out', user: null, notice: null }),
    }),
  });

  it('validates arguments and reports each bad field in French, without calling the handler', async () => {
    calls.length = 0;
    const response = await dispatch('patients.search', { query: 42, limit: 10_000 });
    expect(response.ok).toBe(false);
    if (response.ok) return;
    expect(response.error.code).toBe('INVALID_ARGUMENTS');
    expect(response.error.message).toMatch(/^Paramètres invalides/);
    expect(response.error.details).toMatchObject({ issues: expect.arrayContaining([expect.objectContaining({ path: ['query'] }), expect.objectContaining({ path: ['limit'] })]) });
    expect(calls).toHaveLength(0);
  });

  it('refuses unknown properties (strict objects) and unknown methods', async () => {
    const extra = await dispatch('patients.search', { query: 'a', limit: 5, sql: 'drop table' });
    expect(extra.ok || extra.error.code).toBe('INVALID_ARGUMENTS');
    const unknown = await dispatch('fs.readFile', { path: '/etc/passwd' });
    expect(unknown.ok || unknown.error.code).toBe('UNKNOWN_METHOD');
    const prototype = await dispatch('__proto__', {});
    expect(prototype.ok || prototype.error.code).toBe('UNKNOWN_METHOD');
  });

  it('passes parsed arguments with defaults to the handler', async () => {
    calls.length = 0;
    const response = await dispatch('patients.search', { query: 'martin' });
    expect(response).toEqual({ ok: true, value: [] });
    expect(calls).toEqual([{ query: 'martin', limit: 50 }]);
  });

  it('gates user methods on an active session but lets public methods through', async () => {
    signedIn = false;
    const gated = await dispatch('patients.search', { query: 'x' });
    expect(gated.ok || gated.error.code).toBe('UNAUTHENTICATED');
    const open = await dispatch('auth.state', {});
    expect(open.ok).toBe(true);
    signedIn = true;
  });

  it('never lets a result that breaks the contract reach the renderer', async () => {
    const response = await dispatch('patients.today', {});
    expect(response.ok).toBe(false);
    if (!response.ok) expect(response.error).toEqual({ code: 'INTERNAL', message: expect.stringContaining('Erreur interne') });
  });
});
