/**
 * MSSanté mailbox sync benchmark (JSON lines on stdout): `npx tsx tests/bench/mail.ts [--messages 5000]`
 *
 * Against a private Dovecot on loopback (STARTTLS, XOAUTH2 with a PSC stand-in token):
 * 1. initial sync of N messages (60 % ~100 KB XDM messages, 20 % PDF letters, 20 % plain text):
 *    wall time, messages/s, peak RSS, and the ratio to a bare imapflow fetch of the same sources
 *    (goal ≤ 1.5, RSS ≤ 400 MB);
 * 2. incremental sync with nothing new (goal ≤ 200 ms): one pass on the open connection, and a
 *    restart (connect + XOAUTH2 + SELECT + pass);
 * 3. IDLE latency: LMTP delivery → message committed locally; and → parsed, classified, recorded
 *    in the worklist as the application does it (goal ≤ 2 s).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import { demoInsFor } from '../../electron/sandbox/demo-identities';
import { simplePdf } from '../../electron/sandbox/mss-operator/pdf';
import { startPscStandIn } from '../../electron/sandbox/psc-provider';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import { silentLogger } from '../../electron/services/log/logger';
import { createRawStore } from '../../electron/services/mail/raw-store';
import { parseMssMessage } from '../../electron/services/mail/parse';
import type { StoredMessageRow } from '../../electron/services/mail/sync/types';
import { createPatientService } from '../../electron/services/identity/patients';
import { createPatientsRepo } from '../../electron/services/store/patients-repo';
import { createBlobStore } from '../../electron/services/worklist/blob-store';
import { createPatientLookup } from '../../electron/services/worklist/lookup';
import { createWorklistService } from '../../electron/services/worklist/worklist-service';
import { composeMssMessage } from '../../electron/services/mail/send/compose';
import { MailboxSyncEngine } from '../../electron/services/mail/sync/engine';
import { createMailRepo } from '../../electron/services/mail/sync/repo';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase } from '../../electron/services/store/db';
import { dovecotUnavailableReason, pscAccessToken, startDovecot } from '../helpers/dovecot';

const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
const round = (n: number) => Math.round(n * 100) / 100;
const mb = (bytes: number) => round(bytes / 1024 / 1024);
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!);
}
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

const N = arg('messages', 5000);
const ADDRESS = 'claire.martin@cabinet-demo.mssante.fr';
const NATIONAL_ID = '810003456786';

function rssSampler() {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return { stop: () => { clearInterval(t); return Math.max(peak, process.memoryUsage().rss); } };
}

/** A few distinct templates, then unique copies (Message-ID, subject, a random line). */
async function corpus(n: number, sink: (raws: Buffer[]) => void): Promise<{ bytes: number; mix: Record<string, number>; sampleXdm: string }> {
  const ins = demoInsFor('F', '1950-03-14', '63113', 7);
  const patient = { insMatricule: ins, insOid: '1.2.250.1.213.1.4.11', identityStatus: 'QUAL' as const, birthName: 'DUPONT', birthGivenNames: ['Jeanne'], birthDate: '1950-03-14', sex: 'F' as const, birthplaceCode: '63113', localId: 'IPP-1' };
  const author = { nationalId: '810001234561', familyName: 'ROUSSEL', givenName: 'Hélène', professionCode: '10', specialtyCode: 'SM26' };
  const practice = { name: 'Cabinet de cardiologie', structureId: '399999999900101', facilityTypeCode: 'SA07' as const, practiceSettingCode: 'AMBULATOIRE' as const };
  const pad = (size: number) => `(${randomBytes(Math.ceil(size * 0.75)).toString('base64').slice(0, size)})`;
  const pdfOf = (size: number) => {
    const base = simplePdf({ title: 'Compte rendu', paragraphs: ['Examen normal.'] });
    return Buffer.concat([base.subarray(0, base.length - 6), Buffer.from(`\n% ${pad(size)}\n%%EOF\n`, 'latin1')]);
  };
  const templates = { xdm: [] as string[], pdf: [] as string[], text: [] as string[] };
  for (let i = 0; i < 5; i++) {
    // ~100 KB on the wire: ~35 KB PDF, inside the CDA (base64) and as the PDF copy, both base64 in MIME.
    const pdf = pdfOf(34_000);
    const cda = buildCdaN1({ pdf, typeCode: '11488-4', patient, author, practice });
    const m = await composeMssMessage({ from: { address: 'helene.roussel@cardio.mssante.fr' }, to: [{ kind: 'professional', address: ADDRESS }], text: 'Ci-joint mon compte rendu.', document: { cda: cda.xml, pdf, patient: { status: 'QUAL', insMatricule: ins, birthName: 'DUPONT', birthGivenNames: ['Jeanne'], birthDate: '1950-03-14' } }, softwareReference: 'Bench/1' });
    templates.xdm.push(m.raw.toString('latin1'));
    const letter = await composeMssMessage({ from: { address: 'jean.blanc@medecin.mssante.fr' }, to: [{ kind: 'professional', address: ADDRESS }], subject: "Lettre d'adressage", text: 'Ci-joint.', attachments: [{ filename: 'lettre.pdf', content: pdfOf(60_000), contentType: 'application/pdf' }], softwareReference: 'Bench/1' });
    templates.pdf.push(letter.raw.toString('latin1'));
    const text = await composeMssMessage({ from: { address: 'secretariat@ch.mssante.fr' }, to: [{ kind: 'professional', address: ADDRESS }], subject: 'Rendez-vous', text: `Bonjour,\n\n${'Merci de rappeler le service pour fixer un rendez-vous. '.repeat(40)}\n`, softwareReference: 'Bench/1' });
    templates.text.push(text.raw.toString('latin1'));
  }
  let raws: Buffer[] = [];
  const mix = { xdm: 0, pdf: 0, text: 0 };
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const r = i % 10;
    const kind = r < 6 ? 'xdm' : r < 8 ? 'pdf' : 'text';
    mix[kind]++;
    const t = templates[kind][i % 5]!;
    const raw = Buffer.from(t.replace(/^Message-ID: <[^>]+>/m, `Message-ID: <bench-${i}-${randomBytes(4).toString('hex')}@bench.mssante.fr>`), 'latin1');
    bytes += raw.length;
    raws.push(raw);
    if (raws.length === 200) {
      sink(raws); // written straight to the Maildir: the bench process does not keep the corpus
      raws = [];
    }
  }
  if (raws.length) sink(raws);
  return { bytes, mix, sampleXdm: templates.xdm[0]! };
}

async function main(): Promise<void> {
  const reason = dovecotUnavailableReason();
  if (reason) {
    out({ bench: 'mail', skipped: reason });
    return;
  }
  const psc = await startPscStandIn({ cibaIntervalSeconds: 1, accessTokenTtlSeconds: 3600 });
  const dovecot = await startDovecot({ users: [{ address: ADDRESS }], introspection: psc.introspection });
  const dataDir = mkdtempSync(join(tmpdir(), 'lgc-mail-bench-'));
  try {
    const token = await pscAccessToken(psc, NATIONAL_ID);
    const t0 = performance.now();
    const { bytes, mix, sampleXdm } = await corpus(N, (raws) => dovecot.fillMaildir(ADDRESS, raws));
    (globalThis as { gc?: () => void }).gc?.();
    out({ bench: 'mail', step: 'corpus', messages: N, totalMB: mb(bytes), avgKB: round(bytes / N / 1024), mix, ms: round(performance.now() - t0) });

    const client = () => new ImapFlow({ host: '127.0.0.1', port: dovecot.imapPort, secure: false, doSTARTTLS: true, tls: { ca: dovecot.ca }, auth: { user: ADDRESS, accessToken: token }, logger: false, disableAutoIdle: true });

    // Warm-up: Dovecot indexes the new Maildir on first SELECT (same for both runs below).
    {
      const c = client();
      await c.connect();
      await c.mailboxOpen('INBOX');
      for await (const _ of c.fetch('1:*', { uid: true, size: true })) void _;
      await c.logout();
    }

    // Baseline: a bare imapflow fetch of every source (nothing stored).
    const bare = async () => {
      const rss = rssSampler();
      const start = performance.now();
      const c = client();
      await c.connect();
      await c.mailboxOpen('INBOX');
      let n = 0;
      let total = 0;
      for await (const m of c.fetch('1:*', { uid: true, source: true }, { uid: true })) {
        n++;
        total += m.source?.length ?? 0;
      }
      await c.logout();
      return { ms: performance.now() - start, n, total, rss: rss.stop() };
    };
    const baseline1 = await bare();
    out({ bench: 'mail', step: 'baseline-imapflow-fetch', messages: baseline1.n, ms: round(baseline1.ms), msgPerS: round(baseline1.n / (baseline1.ms / 1000)), MBps: round(mb(baseline1.total) / (baseline1.ms / 1000)) });

    // Initial sync with the engine: raw store (fsync per message) + SQLite rows.
    const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
    const raw = createRawStore(dataDir);
    const repo = createMailRepo(db, raw.pathOf);
    const mailbox = repo.ensureMailbox({ address: ADDRESS, kind: 'personal', label: 'Dr Martin' });
    let storedHandler: (row: StoredMessageRow) => void = () => undefined;
    const engineOptions = {
      mailbox, imap: { host: '127.0.0.1', port: dovecot.imapPort, ca: dovecot.ca }, tokenProvider: async () => token,
      user: null, db, repo, raw, audit: createAuditRepo(db), logger: silentLogger, onStored: (row: StoredMessageRow) => storedHandler(row),
      idleRefreshMs: 10 * 60_000,
    };
    const rss = rssSampler();
    const start = performance.now();
    const engine = new MailboxSyncEngine(engineOptions);
    const firstSync = new Promise<{ listed: number }>((resolve) => engine.once('synced', resolve));
    engine.start();
    const s = await firstSync;
    const ms = performance.now() - start;
    const peak = rss.stop();
    const stored = (db.prepare('SELECT COUNT(*) AS n FROM received_messages').get() as { n: number }).n;
    const baseline2 = await bare();
    const baselineMs = Math.min(baseline1.ms, baseline2.ms);
    out({
      bench: 'mail', step: 'initial-sync', messages: stored, listed: s.listed, ms: round(ms), msgPerS: round(stored / (ms / 1000)),
      peakRssMB: mb(peak), ratioToBareFetch: round(ms / baselineMs), baselineMs: round(baselineMs), goals: { ratio: 1.5, rssMB: 400 },
    });

    // Diagnostic: the same initial sync without fsync (not a production mode) — what durability costs.
    {
      const dir2 = join(dataDir, 'nofsync');
      const db2 = openDatabase({ file: join(dir2, 'lgc.sqlite') });
      const raw2 = createRawStore(dir2);
      const fast: typeof raw2 = {
        ...raw2,
        syncDirs: async () => undefined,
        put: async (content) => {
          const sha256 = createHash('sha256').update(content).digest('hex');
          const path = raw2.pathOf(sha256);
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, content);
          return { sha256, size: content.length, path, existed: false };
        },
      };
      const repo2 = createMailRepo(db2, raw2.pathOf);
      const e2 = new MailboxSyncEngine({ ...engineOptions, db: db2, raw: fast, repo: repo2, audit: createAuditRepo(db2), mailbox: repo2.ensureMailbox({ address: ADDRESS, kind: 'personal', label: 'x' }) });
      const t2 = performance.now();
      const synced2 = new Promise((resolve) => e2.once('synced', resolve));
      e2.start();
      await synced2;
      const ms2 = performance.now() - t2;
      await e2.stop();
      db2.close();
      out({ bench: 'mail', step: 'initial-sync-without-fsync (diagnostic)', ms: round(ms2), ratioToBareFetch: round(ms2 / baselineMs) });
    }

    // Incremental with nothing new: one pass on the open connection, 20 times.
    const passes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const done = new Promise((resolve) => engine.once('synced', resolve));
      engine.syncNow();
      await done;
      passes.push(performance.now() - t);
    }
    out({ bench: 'mail', step: 'incremental-nothing-new', runs: passes.length, p50ms: pct(passes, 50), p95ms: pct(passes, 95), goalMs: 200 });

    // IDLE latency: LMTP delivery done → committed locally.
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const storedEvt = new Promise<number>((resolve) => engine.once('stored', () => resolve(performance.now())));
      const msg = Buffer.from(`From: labo@biomed.mssante.fr\r\nTo: ${ADDRESS}\r\nSubject: Resultat ${i}\r\nMessage-ID: <idle-${i}-${randomBytes(3).toString('hex')}@biomed.mssante.fr>\r\n\r\nResultats disponibles.\r\n`);
      let delivered = 0;
      await dovecot.deliver(ADDRESS, msg).then(() => { delivered = performance.now(); });
      const at = await storedEvt;
      latencies.push(Math.max(0, at - delivered));
      await new Promise((r) => setTimeout(r, 50));
    }
    out({ bench: 'mail', step: 'idle-latency', deliveries: latencies.length, p50ms: pct(latencies, 50), p95ms: pct(latencies, 95) });

    // IDLE → worklist: an XDM message delivered, then parsed, classified and recorded as the
    // application does it (app.ts onStored) — "new mail visible in the worklist".
    {
      const audit = createAuditRepo(db);
      const patientsRepo = createPatientsRepo(db);
      const patientService = createPatientService({ patients: patientsRepo, audit, transaction: <T>(fn: () => T) => db.transaction(fn)() });
      const worklist = createWorklistService({
        db,
        patients: patientsRepo,
        audit,
        blobs: createBlobStore(dataDir),
        lookup: createPatientLookup({ patients: patientsRepo, index: patientService.index, db }),
      });
      const visible: number[] = [];
      for (let i = 0; i < 10; i++) {
        let delivered = 0;
        const inWorklist = new Promise<number>((resolve, reject) => {
          storedHandler = (row) => {
            void raw
              .read(row.rawSha256)
              .then((bytes) => parseMssMessage(bytes, { logger: silentLogger }))
              .then((parsed) => worklist.ingestParsedMessage({ id: row.id }, parsed))
              .then((items) => (items.length ? resolve(performance.now()) : reject(new Error('no worklist item'))), reject);
          };
        });
        const msg = Buffer.from(sampleXdm.replace(/^Message-ID: <[^>]+>/m, `Message-ID: <idle-xdm-${i}-${randomBytes(3).toString('hex')}@bench.mssante.fr>`), 'latin1');
        await dovecot.deliver(ADDRESS, msg).then(() => { delivered = performance.now(); });
        visible.push(Math.max(0, (await inWorklist) - delivered));
        await new Promise((r) => setTimeout(r, 50));
      }
      storedHandler = () => undefined;
      out({ bench: 'mail', step: 'idle-to-worklist', deliveries: visible.length, messageKB: round(Buffer.byteLength(sampleXdm, 'latin1') / 1024), p50ms: pct(visible, 50), p95ms: pct(visible, 95), goalMs: 2000 });
    }
    await engine.stop();

    // Restart: new engine on the same database, nothing new (connect + XOAUTH2 + SELECT + pass).
    const restarts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const e = new MailboxSyncEngine(engineOptions);
      const done = new Promise((resolve) => e.once('synced', resolve));
      e.start();
      await done;
      restarts.push(performance.now() - t);
      await e.stop();
    }
    out({ bench: 'mail', step: 'incremental-after-restart', runs: restarts.length, p50ms: pct(restarts, 50), p95ms: pct(restarts, 95) });
    db.close();
  } finally {
    await dovecot.close();
    await psc.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  out({ bench: 'mail', error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
