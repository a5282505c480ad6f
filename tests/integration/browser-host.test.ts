import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../electron/web-host/http-host';
import { serveBrowserHost } from '../../electron/web-host/serve';
import { silentLogger } from '../../electron/services/log/logger';
import { EventEmitter } from 'node:events';

function raw(origin: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const url = new URL(path, origin);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('browser host transport', () => {
  let host: BrowserHost;
  const calls: unknown[] = [];
  beforeAll(async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'lgc-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>LGC</title>');
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    host = await startBrowserHost({
      dispatch: async (method, args) => {
        calls.push([method, args]);
        return { ok: true, value: { method } };
      },
      events: new EventEmitter(),
      staticDir,
      logger: silentLogger,
    });
  });
  afterAll(() => host.close());

  const json = (extra: Record<string, string> = {}) => ({ 'Content-Type': 'application/json', ...extra });

  it('listens on 127.0.0.1 with a random port', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('requires the per-launch token on every request, pages included', async () => {
    expect((await raw(host.origin, '/')).status).toBe(401);
    expect((await raw(host.origin, '/rpc/app.info', { method: 'POST', headers: json(), body: '{}' })).status).toBe(401);
    expect((await raw(host.origin, '/rpc/app.info', { method: 'POST', headers: json({ Authorization: 'Bearer wrong' }), body: '{}' })).status).toBe(401);
    expect((await raw(host.origin, '/__login?t=wrong')).status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it('turns the login URL into an HttpOnly SameSite cookie that opens the app', async () => {
    const login = await raw(host.origin, new URL(host.loginUrl).pathname + new URL(host.loginUrl).search);
    expect(login.status).toBe(302);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await raw(host.origin, '/', { headers: { Cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
  });

  it('refuses foreign Host headers (DNS rebinding) and cross-site origins', async () => {
    const auth = { Authorization: `Bearer ${host.token}` };
    const port = new URL(host.origin).port;
    expect((await raw(host.origin, '/', { headers: { ...auth, Host: `evil.example:${port}` } })).status).toBe(421);
    expect((await raw(host.origin, '/rpc/app.info', { method: 'POST', headers: json({ ...auth, Origin: 'https://evil.example' }), body: '{}' })).status).toBe(403);
    expect((await raw(host.origin, '/rpc/app.info', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
  });

  it('serves the renderer without escaping its folder and dispatches JSON calls', async () => {
    const auth = { Authorization: `Bearer ${host.token}` };
    expect((await raw(host.origin, '/assets/app.js', { headers: auth })).body).toBe('console.log(1)');
    const traversal = await raw(host.origin, '/..%2f..%2fetc%2fpasswd', { headers: auth });
    expect(traversal.body).not.toContain('root:');
    const res = await raw(host.origin, '/rpc/patients.search', { method: 'POST', headers: json(auth), body: '{"query":"x"}' });
    expect(JSON.parse(res.body)).toEqual({ ok: true, value: { method: 'patients.search' } });
    expect(calls.at(-1)).toEqual(['patients.search', { query: 'x' }]);
  });
});

describe('browser host with the real services (training sandbox)', () => {
  let served: Awaited<ReturnType<typeof serveBrowserHost>>;
  beforeAll(async () => {
    const staticDir = mkdtempSync(join(tmpdir(), 'lgc-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    served = await serveBrowserHost({ dataDir: mkdtempSync(join(tmpdir(), 'lgc-host-')), staticDir, json: true, autoApproveCibaAfterMs: 50 });
  }, 60_000);
  afterAll(() => served.close());

  const rpc = async (method: string, body: unknown) => {
    const res = await fetch(`${served.origin}/rpc/${method}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { ok: boolean; value?: any; error?: { code: string; message: string } };
  };

  it('rejects bad arguments with a typed French error over HTTP', async () => {
    const res = await rpc('auth.loginCiba', { nationalId: ['not', 'a', 'string'] });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe('INVALID_ARGUMENTS');
    expect(res.error?.message).toMatch(/^Paramètres invalides : nationalId/);
  });

  it('requires a Pro Santé Connect session for patient data, then serves the seeded practice', async () => {
    expect((await rpc('patients.today', {})).error?.code).toBe('UNAUTHENTICATED');
    const cards = (await rpc('auth.testCards', {})).value as { nationalId: string; role: string }[];
    expect(cards.map((c) => c.role).sort()).toEqual(['doctor', 'doctor', 'secretary']);
    const session = await rpc('auth.loginCiba', { nationalId: cards.find((c) => c.role === 'doctor')!.nationalId });
    expect(session.value).toMatchObject({ state: 'active', user: { role: 'doctor' } });
    const today = await rpc('patients.today', {});
    expect(today.value.length).toBeGreaterThanOrEqual(10);
    const found = await rpc('patients.search', { query: 'tchitchi' });
    expect(found.value[0]).toMatchObject({ birthName: 'TCHITCHI', identityStatus: 'PROV', ins: null });
  });
});
