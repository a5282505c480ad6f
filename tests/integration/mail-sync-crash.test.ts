import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPscStandIn, type PscStandIn } from '../../electron/sandbox/psc-provider';
import { dovecotUnavailableReason, pscAccessToken, startDovecot, type DovecotInstance } from '../helpers/dovecot';

/**
 * A real crash of the mailbox sync: the application's database and mailbox service run in a
 * separate Node process (tests/integration/support/sync-child.ts) against a private Dovecot
 * (STARTTLS, XOAUTH2 introspected by the PSC stand-in), and that process is SIGKILLed by the
 * kernel mid-sync — no `finally`, no `kill()` hook, no clean close of SQLite. Another process
 * then finishes the sync on the same data folder. The IMAP traffic goes through a throttling
 * TCP proxy (a slow operator link) so the kill lands mid-sync every time; the kill points are
 * read from outside (SQLite read-only, raw store folder).
 *
 * What must hold: at the crash, the committed rows are a prefix of the server's UIDs, the
 * watermark matches them, their raw files are intact and the database passes integrity_check;
 * after the restart, every server message is stored exactly once (by Message-ID and by UID),
 * byte-identical to the server's source, processed, with no raw file left without its row and
 * no temporary file left behind.
 */

const skipReason = dovecotUnavailableReason();
if (skipReason) console.warn(`[mail-sync-crash] ${skipReason}`);

const ROOT = resolve(__dirname, '../..');
const CHILD = join(ROOT, 'tests/integration/support/sync-child.ts');
const DOMAIN = 'cabinet-demo.mssante.fr';
const MARTIN = { address: `claire.martin@${DOMAIN}`, nationalId: '810003456786' };
const BENALI = { address: `karim.benali@${DOMAIN}`, nationalId: '810004567896' };
const TOKENS: Record<string, string> = {};

let psc: PscStandIn;
let dovecot: DovecotInstance;
let proxy: ThrottleProxy;
let work: string;

// ------------------------------------------------------------------------------------------------
// Messages

/** Deterministic pseudo-random bytes (sha256 in counter mode). */
function bytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0, k = 0; off < size; off += 32, k++) createHash('sha256').update(`${seed}/${k}`).digest().copy(out, off);
  return out;
}

const base64Lines = (b: Buffer) => b.toString('base64').replace(/(.{76})/g, '$1\r\n');

function message(to: string, tag: string, n: number, attachment = 0): Buffer {
  const id = `<${tag}-${n}@hopital.mssante.fr>`;
  const head = `From: Dr Jean MEDECIN <jean.medecin@hopital.mssante.fr>\r\nTo: ${to}\r\nSubject: Compte rendu ${tag}-${n}\r\n`
    + `Date: Mon, 02 Mar 2026 09:30:00 +0100\r\nMessage-ID: ${id}\r\nX-MSS-NIL: test/1.0\r\nMIME-Version: 1.0\r\n`;
  const text = `Compte rendu de consultation n° ${n}.\r\n`.repeat(40);
  if (!attachment) return Buffer.from(`${head}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}`);
  const b = `lgc-${tag}-${n}`;
  return Buffer.from(`${head}Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\n`
    + `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n--${b}\r\n`
    + `Content-Type: application/pdf; name="cr-${n}.pdf"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="cr-${n}.pdf"\r\n\r\n`
    + `${base64Lines(bytes(`${tag}-${n}`, attachment))}\r\n--${b}--\r\n`);
}

// ------------------------------------------------------------------------------------------------
// A slow operator link: TCP proxy to Dovecot that limits server → client bytes per second.

interface ThrottleProxy {
  port: number;
  /** Bytes per second from the server to the client; 0 = unlimited. Applies to data not yet relayed. */
  rate: number;
  close(): Promise<void>;
}

async function startThrottleProxy(targetPort: number): Promise<ThrottleProxy> {
  const sockets = new Set<Socket>();
  const state = { rate: 0 };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    let holds = 0;
    let nextFree = 0;
    const hold = () => { if (holds++ === 0) upstream.pause(); };
    const release = () => { if (--holds === 0 && !upstream.destroyed) upstream.resume(); };
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) {
        hold();
        client.once('drain', release);
      }
      if (state.rate > 0) {
        const now = Date.now();
        nextFree = Math.max(now, nextFree) + (chunk.length / state.rate) * 1000;
        if (nextFree - now >= 2) {
          hold();
          setTimeout(release, nextFree - now);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    get rate() { return state.rate; },
    set rate(v: number) { state.rate = v; },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ------------------------------------------------------------------------------------------------
// The child process and what the parent sees from outside

interface Child {
  proc: ChildProcess;
  pid: number;
  events: { event: string; [k: string]: unknown }[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

function spawnChild(dataDir: string, who: { address: string; nationalId: string }): Child {
  const cfgFile = join(work, `child-${who.nationalId}.json`);
  writeFileSync(cfgFile, JSON.stringify({
    address: who.address,
    nationalId: who.nationalId,
    imap: { host: '127.0.0.1', port: proxy.port, caFile: join(dovecot.dir, 'server-cert.pem') },
  }));
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, cfgFile], {
    cwd: ROOT,
    env: { ...process.env, LGC_TEST_PSC_TOKEN: TOKENS[who.address]! },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Child['events'] = [];
  let out = '';
  let err = '';
  let exited = false;
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try { events.push(JSON.parse(line)); } catch { err += `${line}\n`; }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => { exited = true; r({ code, signal }); }));
  return { proc, pid: proc.pid!, events, stderr: () => err, exited: done, hasExited: () => exited };
}

const dbFile = (dataDir: string) => join(dataDir, 'lgc.sqlite');
const rawRoot = (dataDir: string) => join(dataDir, 'mail', 'raw');

/** Files of the raw store, relative to it: `.eml` sources and temporary files. */
function rawFiles(dataDir: string): { eml: string[]; temps: { name: string; size: number }[] } {
  const root = rawRoot(dataDir);
  const eml: string[] = [];
  const temps: { name: string; size: number }[] = [];
  if (!existsSync(root)) return { eml, temps };
  for (const f of readdirSync(root, { recursive: true }).map(String)) {
    const base = f.slice(f.lastIndexOf('/') + 1);
    if (base.endsWith('.eml')) eml.push(base.slice(0, -4));
    else if (base.startsWith('.tmp-')) {
      let size = -1;
      try { size = statSync(join(root, f)).size; } catch { /* renamed meanwhile */ }
      temps.push({ name: f, size });
    }
  }
  return { eml, temps };
}

interface Row { id: number; uidvalidity: number; uid: number; message_id: string | null; raw_sha256: string; raw_size: number; state: string; duplicate_of: number | null; server_state: string }

/** Read-only look at the child's database (WAL: sees what is committed, takes no write lock). */
function readDb<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbFile(dataDir), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const rowsOf = (db: Database.Database) => db.prepare('SELECT id, uidvalidity, uid, message_id, raw_sha256, raw_size, state, duplicate_of, server_state FROM received_messages ORDER BY uid').all() as Row[];
const cursorOf = (db: Database.Database, address: string) => db.prepare('SELECT uidvalidity, uidnext FROM mailboxes WHERE address = ?').get(address) as { uidvalidity: number | null; uidnext: number | null };

/**
 * Polls from outside (SQLite read-only, raw store folder) and SIGKILLs the child as soon as
 * `when` is true. Fails if the child ends on its own first.
 */
async function killWhen(child: Child, dataDir: string, what: string, when: (s: { rows: number; dataDir: string }) => boolean, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let db: Database.Database | null = null;
  try {
    for (;;) {
      if (child.hasExited()) throw new Error(`le processus de relève s'est terminé avant le point d'arrêt (${what}) : ${JSON.stringify(child.events.at(-1))}\n${child.stderr()}`);
      if (Date.now() > deadline) throw new Error(`point d'arrêt jamais atteint (${what})\n${child.stderr()}`);
      let rows = 0;
      try {
        db ??= existsSync(dbFile(dataDir)) ? new Database(dbFile(dataDir), { readonly: true, fileMustExist: true }) : null;
        rows = db ? (db.prepare('SELECT COUNT(*) AS n FROM received_messages').get() as { n: number }).n : 0;
      } catch {
        // schema not there yet
        db?.close();
        db = null;
      }
      if (when({ rows, dataDir })) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    db?.close(); // the parent holds no connection at the moment of the crash
  }
  child.proc.kill('SIGKILL');
  const { signal } = await child.exited;
  expect(signal, `${what} : le processus doit être tué, pas terminé`).toBe('SIGKILL');
}

async function runToCompletion(child: Child): Promise<void> {
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 30_000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  expect({ code, signal }, child.stderr()).toEqual({ code: 0, signal: null });
  expect(child.events.map((e) => e.event)).toContain('done');
}

// ------------------------------------------------------------------------------------------------
// What the server holds, and the checks

interface ServerMessage { uid: number; sha256: string; source: Buffer }

async function serverMessages(address: string): Promise<{ uidvalidity: number; messages: ServerMessage[] }> {
  const client = new ImapFlow({
    host: '127.0.0.1', port: dovecot.imapPort, secure: false, doSTARTTLS: true, tls: { ca: dovecot.ca },
    auth: { user: address, accessToken: TOKENS[address]! }, logger: false,
  });
  await client.connect();
  try {
    const box = await client.mailboxOpen('INBOX', { readOnly: true });
    const messages: ServerMessage[] = [];
    if (box.exists > 0) {
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        messages.push({ uid: m.uid, sha256: createHash('sha256').update(m.source!).digest('hex'), source: m.source! });
      }
    }
    messages.sort((a, b) => a.uid - b.uid);
    return { uidvalidity: Number(box.uidValidity), messages };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** State left by a SIGKILL: committed rows are a prefix of the server's UIDs, matching the watermark, files intact. */
function expectConsistentAfterCrash(dataDir: string, address: string, server: { uidvalidity: number; messages: ServerMessage[] }): Row[] {
  return readDb(dataDir, (db) => {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = rowsOf(db);
    const cursor = cursorOf(db, address);
    const prefix = server.messages.slice(0, rows.length);
    expect(rows.map((r) => r.uid)).toEqual(prefix.map((m) => m.uid));
    expect(rows.map((r) => r.raw_sha256)).toEqual(prefix.map((m) => m.sha256));
    expect(cursor.uidvalidity).toBe(server.uidvalidity);
    // The watermark moved in the same transactions as the rows: it points just past the last committed UID.
    expect(cursor.uidnext).toBe(rows.length ? rows.at(-1)!.uid + 1 : 1);
    // Every committed row has its raw file, complete (written and fsync'd before the commit).
    for (const r of rows) {
      const file = join(rawRoot(dataDir), r.raw_sha256.slice(0, 2), `${r.raw_sha256}.eml`);
      expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(r.raw_sha256);
    }
    return rows;
  });
}

/** After the restart: every server message exactly once, byte-identical, processed; nothing stray. */
function expectComplete(dataDir: string, address: string, server: { uidvalidity: number; messages: ServerMessage[] }, expectedIds: string[]): void {
  readDb(dataDir, (db) => {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = rowsOf(db);
    expect(rows).toHaveLength(server.messages.length);
    // By Message-ID: each delivered message exactly once, no duplicate rows made by the restarts.
    const ids = rows.map((r) => r.message_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...expectedIds].sort());
    expect(rows.filter((r) => r.duplicate_of !== null)).toEqual([]);
    // By UID: each server UID exactly once, same UIDVALIDITY.
    expect(rows.map((r) => r.uid)).toEqual(server.messages.map((m) => m.uid));
    expect(new Set(rows.map((r) => r.uidvalidity))).toEqual(new Set([server.uidvalidity]));
    expect(rows.every((r) => r.server_state === 'present')).toBe(true);
    // Byte for byte: the stored file is the server's source.
    for (const [i, r] of rows.entries()) {
      const m = server.messages[i]!;
      expect(r.raw_sha256).toBe(m.sha256);
      expect(r.raw_size).toBe(m.source.length);
      const stored = readFileSync(join(rawRoot(dataDir), r.raw_sha256.slice(0, 2), `${r.raw_sha256}.eml`));
      expect(stored.equals(m.source), `UID ${r.uid} : source différente de celle du serveur`).toBe(true);
    }
    // Processed (rows committed by a killed process are taken up by the next one).
    expect(rows.filter((r) => r.state !== 'parsed').map((r) => r.uid)).toEqual([]);
    expect(cursorOf(db, address)).toEqual({ uidvalidity: server.uidvalidity, uidnext: server.messages.at(-1)!.uid + 1 });
    // No raw file without its row (a file written by a killed process is the one the next process reuses).
    expect([...rawFiles(dataDir).eml].sort()).toEqual([...new Set(rows.map((r) => r.raw_sha256))].sort());
  });
}

// ------------------------------------------------------------------------------------------------

beforeAll(async () => {
  if (skipReason) return;
  work = mkdtempSync(join(tmpdir(), 'lgc-mailcrash-'));
  psc = await startPscStandIn({ cibaIntervalSeconds: 1 });
  dovecot = await startDovecot({ users: [{ address: MARTIN.address }, { address: BENALI.address }], introspection: psc.introspection });
  proxy = await startThrottleProxy(dovecot.imapPort);
  TOKENS[MARTIN.address] = await pscAccessToken(psc, MARTIN.nationalId);
  TOKENS[BENALI.address] = await pscAccessToken(psc, BENALI.nationalId);
}, 90_000);

afterAll(async () => {
  await proxy?.close();
  await dovecot?.close();
  await psc?.close();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

/** Temporary files left by the process killed mid-stream (test 2), for the known-bug check below. */
let orphansAfterStreamKill: { name: string; size: number }[] | undefined;

describe.skipIf(!!skipReason)('MSSanté sync killed with SIGKILL in a separate process (Dovecot, XOAUTH2)', () => {
  it('keeps every message exactly once and byte-identical after two SIGKILLs (initial then incremental sync)', async () => {
    const N = 300;
    const tag = 'crash';
    // One message in ten carries a ~100 KB attachment (75 KB of PDF, base64): about 3.7 MB in all.
    const delivered = Array.from({ length: N }, (_, i) => message(MARTIN.address, tag, i, i % 10 === 3 ? 75_000 : 0));
    // Three LMTP sessions at once (delivery order, hence UIDs, may interleave: the checks go by the server's listing).
    await Promise.all([0, 1, 2].map((k) => dovecot.deliver(MARTIN.address, delivered.filter((_, i) => i % 3 === k))));
    const server = await serverMessages(MARTIN.address);
    expect(server.messages).toHaveLength(N);
    const dataDir = join(work, 'martin');

    // 1. Initial sync over a slow link, killed once 60 messages are committed.
    proxy.rate = 1_000_000;
    const first = spawnChild(dataDir, MARTIN);
    await killWhen(first, dataDir, '60 messages validés', ({ rows }) => rows >= 60);
    const afterFirst = expectConsistentAfterCrash(dataDir, MARTIN.address, server);
    expect(afterFirst.length).toBeGreaterThanOrEqual(60);
    expect(afterFirst.length).toBeLessThan(N);

    // 2. A new process resumes (incremental from the watermark), killed in turn past 180 — preferably
    //    while some raw files are written but their rows not yet committed (seen from outside, so
    //    not guaranteed: past 240 it is killed anyway).
    const second = spawnChild(dataDir, MARTIN);
    await killWhen(second, dataDir, '180 messages validés', ({ rows, dataDir: d }) => rows >= 240 || (rows >= 180 && rawFiles(d).eml.length > rows));
    const afterSecond = expectConsistentAfterCrash(dataDir, MARTIN.address, server);
    expect(afterSecond.length).toBeGreaterThanOrEqual(180);
    expect(afterSecond.length).toBeLessThan(N);

    // 3. A third process finishes, at full speed.
    proxy.rate = 0;
    const third = spawnChild(dataDir, MARTIN);
    await runToCompletion(third);
    const synced = third.events.filter((e) => e.event === 'synced');
    expect(synced[0]).toMatchObject({ phase: 'incremental', listed: N - afterSecond.length, created: N - afterSecond.length, duplicates: 0 });

    expectComplete(dataDir, MARTIN.address, server, delivered.map((_, i) => `<${tag}-${i}@hopital.mssante.fr>`));
    // Temporary files of the killed processes' unfinished writes were swept when the next one opened the store.
    expect(rawFiles(dataDir).temps).toEqual([]);
  }, 60_000);

  it('stores a large message once, byte-identical, after a SIGKILL in the middle of its streaming', async () => {
    const tag = 'stream';
    // Above the 16 MB streaming threshold: written through mail/raw/tmp/ while it arrives.
    const big = Buffer.concat([
      Buffer.from(`From: imagerie@radiologie.mssante.fr\r\nTo: ${BENALI.address}\r\nSubject: Images IRM\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\n`
        + `Message-ID: <${tag}-big@radiologie.mssante.fr>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n`),
      Buffer.from(base64Lines(Buffer.alloc(13 * 1024 * 1024, 'IRM-serie-3/')) + '\r\n'),
    ]);
    expect(big.length).toBeGreaterThan(17 * 1024 * 1024);
    const delivered = [
      ...[0, 1, 2].map((n) => message(BENALI.address, tag, n)),
      big,
      ...[3, 4, 5].map((n) => message(BENALI.address, tag, n, n === 4 ? 75_000 : 0)),
    ];
    await dovecot.deliver(BENALI.address, delivered);
    const server = await serverMessages(BENALI.address);
    expect(server.messages).toHaveLength(delivered.length);
    const dataDir = join(work, 'benali');

    proxy.rate = 8_000_000;
    const first = spawnChild(dataDir, BENALI);
    const streamTemp = (d: string) => rawFiles(d).temps.some((t) => t.name.startsWith('tmp/') && t.size >= 2 * 1024 * 1024);
    await killWhen(first, dataDir, 'gros message à moitié reçu', ({ dataDir: d }) => streamTemp(d));
    const atKill = rawFiles(dataDir);
    const rows = expectConsistentAfterCrash(dataDir, BENALI.address, server);
    expect(rows.map((r) => r.message_id)).toEqual([0, 1, 2].map((n) => `<${tag}-${n}@hopital.mssante.fr>`));
    expect(atKill.eml).not.toContain(server.messages[3]!.sha256); // never a partial file under its final name
    expect(atKill.temps.some((t) => t.name.startsWith(`tmp/.tmp-${first.pid}-`))).toBe(true);

    proxy.rate = 0;
    const second = spawnChild(dataDir, BENALI);
    await runToCompletion(second);
    expectComplete(dataDir, BENALI.address, server, [
      ...[0, 1, 2, 3, 4, 5].map((n) => `<${tag}-${n}@hopital.mssante.fr>`),
      `<${tag}-big@radiologie.mssante.fr>`,
    ]);
    const temps = rawFiles(dataDir).temps;
    expect(temps.filter((t) => !t.name.includes(`.tmp-${first.pid}-`))).toEqual([]);
    orphansAfterStreamKill = temps;
  }, 60_000);

  /** A write interrupted by a crash leaves a temporary file; the next start of the raw store removes it. */
  it('leaves no orphan temporary file in the raw store once a new process has synced', () => {
    expect(orphansAfterStreamKill).toEqual([]);
  });
});
