import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPscStandIn, type PscStandIn } from '../../electron/sandbox/psc-provider';
import { silentLogger } from '../../electron/services/log/logger';
import { createRawStore, type RawStore } from '../../electron/services/mail/raw-store';
import { MailboxSyncEngine, type SyncEngineOptions } from '../../electron/services/mail/sync/engine';
import { createProcessingQueue } from '../../electron/services/mail/sync/processing';
import { createMailRepo, type MailRepo } from '../../electron/services/mail/sync/repo';
import type { StoredMessageRow } from '../../electron/services/mail/sync/types';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { dovecotUnavailableReason, pscAccessToken, startDovecot, type DovecotInstance } from '../helpers/dovecot';
import { until as pollUntil } from '../helpers/until';

const until = (cond: () => boolean, timeoutMs = 20_000, what?: string) => pollUntil(cond, timeoutMs, what);

/**
 * Sync engine against a real Dovecot (STARTTLS, XOAUTH2 checked by introspection against the PSC
 * stand-in): initial and incremental sync, IDLE push, and the fault cases — server stopped
 * mid-sync, engine killed mid-sync, UIDVALIDITY changed — after which every message must be
 * present exactly once.
 */

const skipReason = dovecotUnavailableReason();
if (skipReason) console.warn(`[mail-sync-dovecot] ${skipReason}`);

const DOMAIN = 'cabinet-demo.mssante.fr';
const MARTIN = `claire.martin@${DOMAIN}`;
const BENALI = `karim.benali@${DOMAIN}`;
const DURAND = `sophie.durand@${DOMAIN}`;
const SECRETARIAT = `secretariat@${DOMAIN}`;
const TOKENS: Record<string, string> = {};

let psc: PscStandIn;
let dovecot: DovecotInstance;
const cleanups: (() => Promise<void> | void)[] = [];

function message(to: string, n: number, opts: { size?: number; tag?: string } = {}): Buffer {
  const tag = opts.tag ?? 't';
  const body = 'Compte rendu de test. '.repeat(Math.ceil((opts.size ?? 2000) / 22)).slice(0, opts.size ?? 2000).replace(/(.{76})/g, '$1\r\n');
  return Buffer.from(
    `From: Dr Jean MEDECIN <jean.medecin@hopital.mssante.fr>\r\nTo: ${to}\r\nSubject: Message ${tag}-${n}\r\n`
    + `Date: Mon, 02 Mar 2026 09:30:00 +0100\r\nMessage-ID: <${tag}-${n}@hopital.mssante.fr>\r\nX-MSS-NIL: test/1.0\r\n`
    + `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
  );
}

interface Env {
  dir: string;
  db: Db;
  raw: RawStore;
  repo: MailRepo;
  hooked: StoredMessageRow[];
  engine(overrides?: Partial<SyncEngineOptions>): MailboxSyncEngine;
  rows(): { id: number; uid: number; uidvalidity: number; message_id: string; raw_sha256: string; state: string; duplicate_of: number | null; server_state: string; flags: string }[];
  close(): void;
}

function makeEnv(address: string, dataDir?: string): Env {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'lgc-mailsync-'));
  const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
  const raw = createRawStore(dir);
  const repo = createMailRepo(db, raw.pathOf);
  const audit = createAuditRepo(db);
  const mailbox = repo.ensureMailbox({ address, kind: 'personal', label: address });
  const hooked: StoredMessageRow[] = [];
  const queue = createProcessingQueue({ repo, logger: silentLogger, onStored: (row) => { hooked.push(row); } });
  queue.retryPending();
  const engines: MailboxSyncEngine[] = [];
  const env: Env = {
    dir, db, raw, repo, hooked,
    engine(overrides = {}) {
      const e = new MailboxSyncEngine({
        mailbox,
        imap: { host: '127.0.0.1', port: dovecot.imapPort, ca: dovecot.ca },
        tokenProvider: async () => TOKENS[address]!,
        user: { userId: null, displayName: 'Dr Test', role: 'doctor', nationalId: '810003456786' },
        db, repo, raw, audit,
        logger: silentLogger,
        onStored: (row) => queue.enqueue(row),
        retry: { minMs: 100, maxMs: 500 },
        ...overrides,
      });
      engines.push(e);
      return e;
    },
    rows: () => db.prepare('SELECT id, uid, uidvalidity, message_id, raw_sha256, state, duplicate_of, server_state, flags FROM received_messages ORDER BY id').all() as ReturnType<Env['rows']>,
    close() {
      for (const e of engines) e.kill();
      queue.close();
      db.close();
    },
  };
  cleanups.push(async () => {
    await Promise.all(engines.map((e) => e.stop()));
    try { db.close(); } catch { /* closed */ }
    rmSync(dir, { recursive: true, force: true });
  });
  return env;
}

/** Every Message-ID delivered is stored exactly once (not counting kept duplicates), raw intact. */
async function expectExactlyOnce(env: Env, tag: string, n: number): Promise<void> {
  const rows = env.rows().filter((r) => r.duplicate_of === null && r.message_id.startsWith(`<${tag}-`));
  const ids = rows.map((r) => r.message_id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(n);
  for (const r of rows) expect(await env.raw.verify(r.raw_sha256)).toBe(true);
}

beforeAll(async () => {
  if (skipReason) return;
  psc = await startPscStandIn({ cibaIntervalSeconds: 1 });
  dovecot = await startDovecot({
    users: [{ address: MARTIN }, { address: BENALI }, { address: DURAND }, { address: SECRETARIAT, password: 'secret-secretariat' }],
    introspection: psc.introspection,
  });
  TOKENS[MARTIN] = await pscAccessToken(psc, '810003456786');
  TOKENS[BENALI] = await pscAccessToken(psc, '810004567896');
  TOKENS[DURAND] = await pscAccessToken(psc, '599999999900017/SEC0001');
}, 90_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await dovecot?.close();
  await psc?.close();
}, 60_000);

describe.skipIf(!!skipReason)('MSSanté sync against Dovecot (XOAUTH2 with a real PSC token)', () => {
  it('syncs initially, then incrementally, and pushes new mail through IDLE', async () => {
    await dovecot.deliver(MARTIN, Array.from({ length: 20 }, (_, i) => message(MARTIN, i, { tag: 'init' })));
    const env = makeEnv(MARTIN);
    const engine = env.engine();
    const statuses: string[] = [];
    engine.on('status', (s) => statuses.push(s.state));
    engine.start();
    await until(() => engine.status.state === 'connected', 20_000, 'première synchronisation');
    expect(env.rows()).toHaveLength(20);
    expect(statuses).toContain('syncing');
    await until(() => env.hooked.length === 20, 5000, 'traitement');
    expect(env.rows().every((r) => r.state === 'parsed')).toBe(true);
    const first = env.rows()[0]!;
    const rawFile = env.raw.pathOf(first.raw_sha256);
    expect(rawFile).toMatch(new RegExp(`mail/raw/${first.raw_sha256.slice(0, 2)}/${first.raw_sha256}\\.eml$`));
    expect(createHash('sha256').update(await env.raw.read(first.raw_sha256)).digest('hex')).toBe(first.raw_sha256);

    // IDLE: a delivery shows up quickly without asking.
    const t0 = Date.now();
    await dovecot.deliver(MARTIN, message(MARTIN, 20, { tag: 'init' }));
    await until(() => env.rows().length === 21, 5000, 'réception par IDLE');
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(3000);

    // Incremental after a restart: nothing new → nothing fetched, nothing duplicated.
    await engine.stop();
    await dovecot.deliver(MARTIN, Array.from({ length: 4 }, (_, i) => message(MARTIN, 21 + i, { tag: 'init' })));
    const again = env.engine();
    const synced: number[] = [];
    again.on('synced', (s) => synced.push(s.listed));
    again.start();
    await until(() => synced.length > 0, 20_000, 'synchronisation incrémentale');
    expect(synced[0]).toBe(4);
    await expectExactlyOnce(env, 'init', 25);
    const audit = env.db.prepare("SELECT action, detail FROM audit_log WHERE action LIKE 'mail.%' ORDER BY id").all() as { action: string; detail: string }[];
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['mail.connexion', 'mail.synchronisation']));
    expect(audit.find((a) => a.action === 'mail.connexion')!.detail).toContain('AUTHENTICATE XOAUTH2');
    expect(audit.find((a) => a.action === 'mail.synchronisation')!.detail).toContain('UID FETCH');
    await again.stop();
  }, 60_000);

  it('keeps every message exactly once when Dovecot stops mid-sync and comes back', async () => {
    const N = 300;
    await dovecot.deliver(BENALI, Array.from({ length: N }, (_, i) => message(BENALI, i, { tag: 'stop', size: 30_000 })));
    const env = makeEnv(BENALI);
    // A slow disk (one write at a time, 10 ms each) so that the server goes away in the middle of the sync.
    let disk: Promise<unknown> = Promise.resolve();
    const slowRaw: RawStore = {
      ...env.raw,
      put: (c, o) => {
        const next = disk.then(async () => {
          await new Promise((r) => setTimeout(r, 10));
          return env.raw.put(c, o);
        });
        disk = next.catch(() => undefined);
        return next;
      },
    };
    const engine = env.engine({ batchBytes: 200_000, raw: slowRaw });
    let stopped = false;
    const states: string[] = [];
    engine.on('status', (s) => states.push(s.state));
    engine.on('progress', (p) => {
      if (!stopped && p.done >= 40) {
        stopped = true;
        void dovecot.stop();
      }
    });
    engine.start();
    try {
      await until(() => stopped && engine.status.state === 'offline' && !dovecot.running(), 20_000, 'serveur arrêté');
      const partial = env.rows().length;
      expect(partial).toBeGreaterThanOrEqual(40);
      expect(partial).toBeLessThan(N);
      expect(engine.status.detail).toMatch(/injoignable|Nouvelle tentative/);
    } finally {
      await until(() => stopped, 20_000).catch(() => undefined);
      await dovecot.start();
    }
    await until(() => env.rows().length >= N && engine.status.state === 'connected', 30_000, 'reprise');
    await expectExactlyOnce(env, 'stop', N);
    expect(states).toContain('offline');
    await engine.stop();
  }, 90_000);

  it('recovers from a kill mid-sync (even between the raw write and the commit): a new engine on the same DB finishes', async () => {
    const N = 200;
    await dovecot.deliver(DURAND, Array.from({ length: N }, (_, i) => message(DURAND, i, { tag: 'kill', size: 20_000 })));
    const env = makeEnv(DURAND);
    let puts = 0;
    let first!: MailboxSyncEngine;
    const killingRaw: RawStore = {
      ...env.raw,
      async put(content, options) {
        const r = await env.raw.put(content, options);
        if (++puts === 57) first.kill(); // files are durable, some rows are not committed
        return r;
      },
    };
    first = env.engine({ raw: killingRaw, batchBytes: 100_000 });
    first.start();
    await first.whenStopped();
    await until(() => puts >= 57, 10_000);
    const committed = env.rows().length;
    expect(committed).toBeLessThan(57);
    const files = readdirSync(join(env.dir, 'mail', 'raw'), { recursive: true }).filter((f) => String(f).endsWith('.eml'));
    expect(files.length).toBeGreaterThan(committed);
    // Files written without their row (killed before the commit): the next engine must not duplicate them.
    const env2Dir = env.dir;
    env.close();

    const env2 = makeEnv(DURAND, env2Dir);
    const second = env2.engine();
    second.start();
    await until(() => env2.rows().length >= N && second.status.state === 'connected', 30_000, 'reprise après arrêt brutal');
    await expectExactlyOnce(env2, 'kill', N);
    // Rows committed by the killed engine but not processed are processed at startup.
    await until(() => env2.rows().every((r) => r.state === 'parsed'), 10_000, 'traitement repris');
    await second.stop();
  }, 90_000);

  it('resyncs without duplicates when the UIDVALIDITY changes (mailbox recreated)', async () => {
    const address = MARTIN;
    const env = makeEnv(address);
    const engine = env.engine();
    engine.start();
    await until(() => engine.status.state === 'connected', 20_000);
    const before = env.rows();
    const uvBefore = before[0]!.uidvalidity;
    const hookedBefore = env.hooked.length;
    const resyncs: string[] = [];
    engine.on('synced', (s) => resyncs.push(s.phase));
    await dovecot.recreateMailbox(address); // server stopped, indexes dropped, restarted
    await until(() => resyncs.includes('resync'), 30_000, 'resynchronisation');
    const after = env.rows();
    expect(after).toHaveLength(before.length);
    expect(new Set(after.map((r) => r.uidvalidity))).toEqual(new Set([after[0]!.uidvalidity]));
    expect(after[0]!.uidvalidity).not.toBe(uvBefore);
    expect(after.every((r) => r.server_state === 'present')).toBe(true);
    await expectExactlyOnce(env, 'init', 25);
    expect(env.hooked.length).toBe(hookedBefore); // relocated, not processed again
    const mb = env.db.prepare('SELECT uidvalidity FROM mailboxes').get() as { uidvalidity: number };
    expect(mb.uidvalidity).toBe(after[0]!.uidvalidity);
    // Later deliveries continue normally.
    await dovecot.deliver(address, message(address, 99, { tag: 'after' }));
    await until(() => env.rows().length === before.length + 1, 10_000);
    await engine.stop();
  }, 90_000);

  it('refuses a bad token with a French status, and reconnects silently with a fresh token', async () => {
    const env = makeEnv(BENALI);
    const bad = env.engine({ tokenProvider: async () => 'jeton-invalide' });
    bad.start();
    await until(() => bad.status.state === 'error', 20_000, 'refus');
    expect(bad.status.detail).toMatch(/Authentification refusée/);
    await bad.stop();

    let calls = 0;
    const refreshing = env.engine({ tokenProvider: async () => (++calls === 1 ? 'jeton-expire' : TOKENS[BENALI]!) });
    const states: string[] = [];
    refreshing.on('status', (s) => states.push(s.state));
    refreshing.start();
    await until(() => refreshing.status.state === 'connected', 30_000, 'reconnexion');
    expect(calls).toBe(2);
    expect(states).not.toContain('error');
    await refreshing.stop();
  }, 60_000);

  it('stores a 30 MB message raw (streamed) without breaking the sync', async () => {
    const big = Buffer.concat([
      Buffer.from(`From: imagerie@radiologie.mssante.fr\r\nTo: ${DURAND}\r\nSubject: Images\r\nMessage-ID: <big-1@radiologie.mssante.fr>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n`),
      Buffer.from(Buffer.alloc(22 * 1024 * 1024, 7).toString('base64').replace(/(.{76})/g, '$1\r\n')),
      Buffer.from('\r\n'),
    ]);
    expect(big.length).toBeGreaterThan(29 * 1024 * 1024);
    const env = makeEnv(DURAND);
    const engine = env.engine();
    engine.start();
    await until(() => engine.status.state === 'connected', 30_000);
    const count = env.rows().length;
    await dovecot.deliver(DURAND, [big, message(DURAND, 1, { tag: 'afterbig' })]);
    await until(() => env.rows().length === count + 2, 60_000, 'gros message');
    const row = env.rows().find((r) => r.message_id === '<big-1@radiologie.mssante.fr>')!;
    expect(statSync(env.raw.pathOf(row.raw_sha256)).size).toBeGreaterThan(29 * 1024 * 1024);
    expect(await env.raw.verify(row.raw_sha256)).toBe(true);
    expect(engine.status.state).toBe('connected');
    await engine.stop();
  }, 120_000);

  it('follows flags changed elsewhere (CONDSTORE) and runs audited mailbox actions', async () => {
    const env = makeEnv(MARTIN);
    const engine = env.engine();
    engine.start();
    await until(() => engine.status.state === 'connected', 20_000);
    const target = env.rows()[0]!;
    const other = new ImapFlow({ host: '127.0.0.1', port: dovecot.imapPort, secure: false, doSTARTTLS: true, tls: { ca: dovecot.ca }, auth: { user: MARTIN, accessToken: TOKENS[MARTIN]! }, logger: false });
    await other.connect();
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd(String(target.uid), ['\\Flagged'], { uid: true });
    await other.logout();
    engine.syncNow();
    await until(() => (env.rows()[0]!.flags ?? '').includes('\\Flagged'), 10_000, 'drapeau');

    const user = { userId: null, displayName: 'Dr Claire MARTIN', role: 'doctor' as const, nationalId: '810003456786' };
    await engine.setSeen(target.id, true, user);
    await engine.move(env.rows()[1]!.id, 'Traités', user);
    await engine.delete(env.rows()[2]!.id, user);
    const rows = env.rows();
    expect(rows[1]!.server_state).toBe('moved');
    expect(rows[2]!.server_state).toBe('deleted');
    expect(env.raw.has(rows[2]!.raw_sha256)).toBe(true); // local copy kept
    engine.syncNow();
    await until(() => (env.rows()[0]!.flags ?? '').includes('\\Seen'), 10_000, 'lu');
    const actions = (env.db.prepare("SELECT action, actor, detail FROM audit_log WHERE action IN ('mail.lu','mail.deplacement','mail.suppression')").all() as { action: string; actor: string; detail: string }[]);
    expect(actions.map((a) => a.action)).toEqual(['mail.lu', 'mail.deplacement', 'mail.suppression']);
    expect(actions[0]!.actor).toBe('Dr Claire MARTIN');
    expect(actions[0]!.detail).toContain('UID STORE');
    expect(actions[1]!.detail).toContain('UID MOVE');
    await engine.stop();
  }, 60_000);

  it('refuses a server certificate that does not chain to the configured CA', async () => {
    const env = makeEnv(MARTIN);
    const engine = env.engine({ imap: { host: '127.0.0.1', port: dovecot.imapPort } });
    engine.start();
    await until(() => engine.status.state === 'error', 20_000);
    expect(engine.status.detail).toMatch(/Certificat/);
    await engine.stop();
  }, 30_000);
});
