import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPscStandIn, type PscStandIn } from '../../electron/sandbox/psc-provider';
import { silentLogger } from '../../electron/services/log/logger';
import { createMailboxService, type MailboxService } from '../../electron/services/mail/mailbox-service';
import type { MailUser } from '../../electron/services/mail/sync/types';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { freePort, makeTestCertificate, pscAccessToken, type TestCertificate } from '../helpers/dovecot';
import { until } from '../helpers/until';

/**
 * Sending through a real SMTP server (smtp-server): STARTTLS with a certificate checked against the
 * configured CA, SASL XOAUTH2 with a PSC token checked by introspection, DSN parameters, and the
 * persistent outbox: retries while the server is away, survives a restart, stops on a 5xx.
 */

let openssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'pipe' });
} catch {
  openssl = false;
  console.warn('[mail-send-smtp] openssl absent : certificat de test impossible, tests ignorés');
}

const MARTIN = 'claire.martin@cabinet-demo.mssante.fr';
const DR_MARTIN: MailUser = { userId: null, displayName: 'Dr Claire MARTIN', role: 'doctor', nationalId: '810003456786' };

interface Received {
  session: { secure: boolean; method: string | undefined; user: string };
  from: string;
  to: string[];
  raw: Buffer;
  dsn?: unknown;
  rcptDsn?: unknown;
}

let psc: PscStandIn;
let cert: TestCertificate;
let certDir: string;
let token: string;
let port: number;
let server: SMTPServer | null = null;
const received: Received[] = [];
let refuseRcpt = false;
const dirs: string[] = [];

async function introspect(t: string): Promise<{ active: boolean; username?: string }> {
  const res = await fetch(psc.introspection.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${psc.introspection.clientId}:${psc.introspection.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ token: t }).toString(),
  });
  return (await res.json()) as { active: boolean; username?: string };
}

async function startSmtp(options: { starttls?: boolean } = {}): Promise<void> {
  const s = new SMTPServer({
    secure: false,
    key: cert.key,
    cert: cert.cert,
    authMethods: ['XOAUTH2'],
    hideDSN: false,
    logger: false,
    ...(options.starttls === false ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : {}),
    onAuth(auth, _session, cb) {
      void introspect(auth.accessToken ?? '').then((r) => {
        if (r.active && `${r.username}@cabinet-demo.mssante.fr` === auth.username) cb(null, { user: auth.username });
        else cb(null, { data: { status: '401', schemes: 'bearer' } });
      });
    },
    onRcptTo(address, _session, cb) {
      if (refuseRcpt) {
        const e = new Error('Destinataire inconnu') as Error & { responseCode: number };
        e.responseCode = 550;
        return cb(e);
      }
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          session: { secure: session.secure, method: (session as unknown as { transmissionType?: string }).transmissionType, user: String(session.user) },
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          dsn: (session.envelope as unknown as { dsn?: unknown }).dsn,
          rcptDsn: (session.envelope.rcptTo[0] as unknown as { dsn?: unknown }).dsn,
        });
        cb(null, 'Message accepté');
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    s.server.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  server = s;
}

async function stopSmtp(): Promise<void> {
  const s = server;
  server = null;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
}

function newService(db: Db, dir: string, tokenProvider: () => Promise<string> = async () => token, ca: string = cert.cert): MailboxService {
  return createMailboxService({
    db,
    dataDir: dir,
    logger: silentLogger,
    audit: createAuditRepo(db),
    tokenProvider,
    config: {
      smtp: { host: '127.0.0.1', port, ca },
      mailboxes: [{ address: MARTIN, kind: 'personal', label: 'Dr Martin', ownerNationalId: DR_MARTIN.nationalId }],
      softwareReference: 'LGC-Segur/0.1.0-test',
      outboxBackoff: { minMs: 150, maxMs: 600, maxAttempts: 50 },
    },
  });
}

function env() {
  const dir = mkdtempSync(join(tmpdir(), 'lgc-smtp-'));
  dirs.push(dir);
  const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
  return { dir, db };
}

const message = (subject: string) => ({ mailbox: MARTIN, to: [{ kind: 'professional' as const, address: 'karim.benali@cabinet-demo.mssante.fr' }], subject, text: 'Bonjour.' });

beforeAll(async () => {
  if (!openssl) return;
  psc = await startPscStandIn({ cibaIntervalSeconds: 1 });
  certDir = mkdtempSync(join(tmpdir(), 'lgc-smtp-cert-'));
  cert = await makeTestCertificate(certDir);
  token = await pscAccessToken(psc, DR_MARTIN.nationalId);
  port = await freePort();
  await startSmtp();
}, 60_000);

afterAll(async () => {
  await stopSmtp();
  await psc?.close();
  for (const d of [...dirs, certDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!openssl)('SMTP submission and the persistent outbox', () => {
  it('sends over STARTTLS with XOAUTH2, the exact stored bytes, with DSN parameters', async () => {
    const { dir, db } = env();
    const service = newService(db, dir);
    service.start(DR_MARTIN);
    const entry = await service.send(DR_MARTIN, { ...message('Envoi TLS'), dsn: { notify: ['FAILURE', 'DELAY'], ret: 'HDRS' } });
    await until(() => service.outbox().find((e) => e.id === entry.id)?.status === 'sent', 10_000, 'envoi');
    const got = received.find((r) => r.raw.includes(entry.messageId))!;
    expect(got.session.secure).toBe(true);
    expect(got.session.user).toBe(MARTIN);
    expect(got.from).toBe(MARTIN);
    const row = db.prepare('SELECT raw_sha256 FROM mail_outbox WHERE id = ?').get(entry.id) as { raw_sha256: string };
    expect(createHash('sha256').update(got.raw).digest('hex')).toBe(row.raw_sha256);
    expect(got.dsn).toMatchObject({ ret: 'HDRS' });
    expect(got.rcptDsn).toMatchObject({ notify: ['FAILURE', 'DELAY'] });
    expect(got.raw.toString()).toMatch(/X-MSS-NIL: LGC-Segur\/0\.1\.0-test/);
    await service.close();
    db.close();
  });

  it('keeps a message pending while the server is away, across a restart, and sends it when the server is back', async () => {
    const { dir, db } = env();
    await stopSmtp();
    const first = newService(db, dir);
    first.start(DR_MARTIN);
    const entry = await first.send(DR_MARTIN, message('Envoi différé')).catch(async (e) => {
      await startSmtp();
      throw e;
    });
    await until(() => {
      const e = first.outbox().find((x) => x.id === entry.id);
      return !!e && e.attempts >= 2 && e.status === 'pending';
    }, 10_000, 'tentatives');
    const pending = first.outbox().find((e) => e.id === entry.id)!;
    expect(pending.status).toBe('pending');
    expect(pending.label).toMatch(/^En attente \(nouvel essai le .* ; dernière erreur : Le serveur d'envoi \(SMTP\) est injoignable/);
    await first.close(); // the application quits while offline

    const second = newService(db, dir); // restart on the same database
    await startSmtp();
    second.start(DR_MARTIN);
    await until(() => second.outbox().find((e) => e.id === entry.id)?.status === 'sent', 10_000, 'envoi après reprise');
    expect(received.filter((r) => r.raw.includes(entry.messageId))).toHaveLength(1);
    await second.close();
    db.close();
  });

  it('stops retrying on a permanent refusal (5xx) with a French reason', async () => {
    const { dir, db } = env();
    const service = newService(db, dir);
    service.start(DR_MARTIN);
    refuseRcpt = true;
    try {
      const entry = await service.send(DR_MARTIN, message('Refusé'));
      await until(() => service.outbox().find((e) => e.id === entry.id)?.status === 'error', 10_000, 'refus');
      expect(service.outbox().find((e) => e.id === entry.id)!.label).toMatch(/^Erreur : Le serveur d'envoi \(SMTP\) a refusé le message \(550\)/);
    } finally {
      refuseRcpt = false;
    }
    const audit = db.prepare("SELECT action FROM audit_log WHERE action = 'mail.envoi_echec'").all();
    expect(audit).toHaveLength(1);
    await service.close();
    db.close();
  });

  it('renews a refused token silently', async () => {
    const { dir, db } = env();
    let calls = 0;
    const service = newService(db, dir, async () => (++calls === 1 ? 'jeton-expire' : token));
    service.start(DR_MARTIN);
    const entry = await service.send(DR_MARTIN, message('Jeton renouvelé'));
    await until(() => service.outbox().find((e) => e.id === entry.id)?.status === 'sent', 10_000, 'envoi');
    expect(calls).toBe(2);
    expect(service.outbox().find((e) => e.id === entry.id)!.attempts).toBe(1);
    await service.close();
    db.close();
  });

  it('refuses to send in clear or to a server whose certificate is not trusted', async () => {
    const { dir, db } = env();
    const untrusted = newService(db, dir, async () => token, (await makeTestCertificate(certDir, 'other')).cert);
    untrusted.start(DR_MARTIN);
    const a = await untrusted.send(DR_MARTIN, message('Certificat inconnu'));
    await until(() => (untrusted.outbox().find((e) => e.id === a.id)?.lastError ?? '') !== '', 10_000);
    expect(untrusted.outbox().find((e) => e.id === a.id)!.lastError).toMatch(/Certificat/);
    await untrusted.close();

    await stopSmtp();
    await startSmtp({ starttls: false });
    try {
      const plain = newService(db, dir);
      plain.start(DR_MARTIN);
      const b = await plain.send(DR_MARTIN, message('Sans TLS'));
      await until(() => (plain.outbox().find((e) => e.id === b.id)?.lastError ?? '') !== '', 10_000);
      expect(plain.outbox().find((e) => e.id === b.id)!.lastError).toMatch(/STARTTLS|chiffrement|TLS/);
      expect(received.some((r) => r.raw.includes(b.messageId))).toBe(false);
      await plain.close();
    } finally {
      await stopSmtp();
      await startSmtp();
    }
    db.close();
  });
});
