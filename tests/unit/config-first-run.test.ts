import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirstRunChecks } from '../../electron/services/config/first-run-checks';
import type { PracticeConfig } from '../../electron/services/config/practice-config';

const servers: (HttpServer | TcpServer)[] = [];
let http: string;
let received: string[] = [];

async function listen<S extends HttpServer | TcpServer>(server: S): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** A server that greets like IMAP/SMTP and records what the client says afterwards. */
async function greeter(greeting: string | null): Promise<number> {
  return listen(
    createTcpServer((socket) => {
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => received.push(d.trim()));
      socket.on('error', () => {});
      if (greeting !== null) socket.write(greeting);
    }),
  );
}

/** A free port with nobody listening. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

beforeAll(async () => {
  const server = createHttpServer((req, res) => {
    if (req.url === '/realms/esante-wallet/.well-known/wallet-openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: `${http}/realms/esante-wallet`, token_endpoint: `${http}/token` }));
    } else if (req.url === '/realms/autre/.well-known/wallet-openid-configuration') {
      res.end(JSON.stringify({ issuer: 'https://ailleurs.example/realms/autre' }));
    } else if (req.url?.startsWith('/soap')) {
      res.statusCode = 405; // a SOAP endpoint refusing GET is still an answering endpoint
      res.end('Method Not Allowed');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  http = `http://127.0.0.1:${await listen(server)}`;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
});

function config(overrides: Partial<PracticeConfig> & { imapPort?: number; smtpPort?: number }): PracticeConfig {
  const { imapPort = 1, smtpPort = 1, ...rest } = overrides;
  return {
    mode: 'training',
    practice: { name: 'Cabinet', structureId: '381234567800013', facilityTypeCode: 'SA07' },
    psc: { issuer: `${http}/realms/esante-wallet`, clientId: 'c', clientAuth: { method: 'client_secret_basic', secretRef: 'env:X' }, allowInsecureLoopback: true },
    mssante: { imap: { host: '127.0.0.1', port: imapPort }, smtp: { host: '127.0.0.1', port: smtpPort }, mailboxes: [] },
    dmp: { endpoint: `${http}/soap/dmp` },
    insi: { endpoint: `${http}/soap/insi` },
    lockAfterMinutes: 120,
    ...rest,
  };
}

describe('first-run checklist', () => {
  it('everything answers: PSC discovery, IMAP `* OK` and SMTP `220` greetings, DMP and INSi HTTP', async () => {
    received = [];
    const imapPort = await greeter('* OK [CAPABILITY IMAP4rev1 STARTTLS] Serveur MSSanté prêt\r\n');
    const smtpPort = await greeter('220 smtp.operateur.mssante.fr ESMTP\r\n');
    const checks = await runFirstRunChecks(config({ imapPort, smtpPort }), { timeoutMs: 2000 });
    expect(checks.map((c) => [c.id, c.state])).toEqual([
      ['psc', 'ok'],
      ['mailbox', 'ok'],
      ['dmp', 'ok'],
      ['insi', 'ok'],
    ]);
    expect(checks.map((c) => c.label)).toEqual(['Pro Santé Connect', 'Messagerie MSSanté', 'DMP', 'Téléservice INSi']);
    expect(checks[1]!.detail).toBe(`IMAP 127.0.0.1:${imapPort} répond ; SMTP 127.0.0.1:${smtpPort} répond`);
    expect(checks[2]!.detail).toContain('HTTP 405');
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual(expect.arrayContaining(['a1 LOGOUT', 'QUIT'])); // leaves politely
  });

  it('reports what fails, in French', async () => {
    const silent = await greeter(null); // accepts, never greets
    const wrong = await greeter('HTTP/1.1 400 Bad Request\r\n');
    const refused = await closedPort();
    const checks = await runFirstRunChecks(
      config({
        imapPort: silent,
        smtpPort: wrong,
        psc: { issuer: `${http}/realms/inconnu`, clientId: 'c', allowInsecureLoopback: true },
        dmp: { endpoint: `http://127.0.0.1:${refused}/dmp` },
      }),
      { timeoutMs: 500 },
    );
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId.psc).toMatchObject({ state: 'error', detail: expect.stringContaining('répond HTTP 404') });
    expect(byId.mailbox!.state).toBe('error');
    expect(byId.mailbox!.detail).toContain(`IMAP 127.0.0.1:${silent} : pas de réponse en 0,5 s`);
    expect(byId.mailbox!.detail).toContain('message d’accueil inattendu : « HTTP/1.1 400 Bad Request »');
    expect(byId.dmp).toMatchObject({ state: 'error', detail: `connexion refusée (http://127.0.0.1:${refused}/dmp)` });
    expect(byId.insi!.state).toBe('ok');

    const otherIssuer = await runFirstRunChecks(config({ psc: { issuer: `${http}/realms/autre`, clientId: 'c', allowInsecureLoopback: true } }), { timeoutMs: 500 });
    expect(otherIssuer[0]!.detail).toMatch(/annonce un autre émetteur/);
  });

  it('skips what is not configured, and accepts an injected fetch', async () => {
    const calls: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      calls.push(String(url));
      return new Response(JSON.stringify({ issuer: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet' }), { status: 200 });
    }) as typeof fetch;
    const checks = await runFirstRunChecks(
      config({ psc: { issuer: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet/', clientId: 'c', allowInsecureLoopback: false }, mssante: undefined, dmp: undefined, insi: undefined }),
      { fetch: fakeFetch },
    );
    expect(checks.map((c) => c.state)).toEqual(['ok', 'skipped', 'skipped', 'skipped']);
    expect(calls).toEqual(['https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet/.well-known/wallet-openid-configuration']);
  });
});
