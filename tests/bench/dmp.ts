/**
 * DMP benchmarks (JSON lines on stdout): `npx tsx tests/bench/dmp.ts`
 *
 * 1. CDA N1 + XDS metadata for a 1 MB PDF (p50, p95), run last (its garbage would skew the rest);
 * 2. 100 uploads through the DMP application service to the sandbox DMP, one at a time (latency from
 *    upload() to « envoyé », p50/p95) then 100 at once (throughput, queue latency);
 * 3. 500 background status checks (TD0.2): wall time, and the maximum event-loop delay of this
 *    process while they run (perf_hooks.monitorEventLoopDelay) — the UI must stay responsive.
 *
 * The DMP stand-in runs in a child process (as the real DMP is remote), so that the event-loop
 * figures are those of the application side only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createIdentityGenerator } from '../../electron/sandbox/demo-identities';
import { dmpDemoPatients, sandboxVihfSigner } from '../../electron/sandbox/dmp-demo';
import { startDmpStandIn, type DmpStandInPatient } from '../../electron/sandbox/dmp-service';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import { createDmpClient } from '../../electron/services/dmp/client';
import type { CdaAuthor, CdaPatient, DmpContext, Practice } from '../../electron/services/dmp/types';
import { buildDocumentEntry } from '../../electron/services/dmp/xds-metadata';
import { createDmpAppService } from '../../electron/services/dmp-app/dmp-app-service';
import { documentEntryForCda } from '../../electron/services/dmp-app/metadata';
import type { Actor } from '../../electron/services/identity/patients';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase } from '../../electron/services/store/db';
import { createPatientsRepo } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';

const author: CdaAuthor = { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' };
const practice: Practice = { name: 'Cabinet du Dr Charles', structureId: '312345678900011', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE' };
const CONTEXT: DmpContext = { professional: author, practice };

const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
const round = (n: number) => Math.round(n * 100) / 100;
const RESOLUTION_MS = 5;
/** monitorEventLoopDelay records whole timer intervals: the delay is what exceeds the resolution. */
const excess = (ns: number) => round(Math.max(0, ns / 1e6 - RESOLUTION_MS));
function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!);
}
function fakePdf(size: number): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n', 'latin1'), randomBytes(size), Buffer.from('\n%%EOF\n', 'latin1')]);
}

// ------------------------------------------------------------------------------------------
// Child process: the DMP stand-in

if (process.argv.includes('--stand-in')) {
  process.once('message', async (msg: { patients: DmpStandInPatient[]; latencyMs: number }) => {
    const dmp = await startDmpStandIn({ patients: msg.patients });
    const target = new URL(dmp.url);
    // Network latency of a remote DMP: each answer is held back latencyMs.
    const proxy = createServer((req, res) => {
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => setTimeout(() => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          res.end(Buffer.concat(chunks));
        }, msg.latencyMs));
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    process.send!({ url: dmp.url, delayedUrl: `http://127.0.0.1:${port}${target.pathname}` });
    process.once('message', async () => {
      proxy.closeAllConnections();
      proxy.close();
      await dmp.close();
      process.exit(0);
    });
  });
} else {
  await main();
}

async function spawnStandIn(patients: DmpStandInPatient[], latencyMs: number): Promise<{ url: string; delayedUrl: string; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), ['--stand-in'], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const urls = await new Promise<{ url: string; delayedUrl: string }>((resolve, reject) => {
    child.once('message', (m: { url: string; delayedUrl: string }) => resolve(m));
    child.once('error', reject);
    child.send({ patients, latencyMs });
  });
  return { ...urls, child };
}

async function main(): Promise<void> {
  // Practice database with 500 qualified patients, all informed --------------------------
  const dir = mkdtempSync(join(tmpdir(), 'lgc-bench-dmp-'));
  const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
  const user = createUsersRepo(db).upsert({ nationalId: author.nationalId, familyName: 'CHARLES', givenName: 'Pascal', role: 'doctor', professionCode: '10', mssanteAddress: null });
  const actor: Actor = { userId: user.id, displayName: 'Pascal CHARLES', role: 'doctor', nationalId: author.nationalId };
  const repo = createPatientsRepo(db);
  const next = createIdentityGenerator(42, { shares: { QUAL: 1, RECUP: 0, VALI: 0 } });
  const fields = Array.from({ length: 500 }, () => next());
  const ids = db.transaction(() => fields.map((f) => repo.insert(f, user.id)))();
  const standInPatients = dmpDemoPatients(fields);
  const LATENCY_MS = 100;
  const { url, delayedUrl, child } = await spawnStandIn(standInPatients, LATENCY_MS);

  const svc = createDmpAppService({
    db,
    dataDir: dir,
    audit: createAuditRepo(db),
    client: createDmpClient({ endpoint: url, vihfSigner: sandboxVihfSigner() }),
    contextFor: () => CONTEXT,
  });

  try {
    // 3 (first, on a cold cache). 500 background status checks -----------------------------
    const statusRun = async (label: string, endpoint: string, latencyMs: number, count = fields.length) => {
      const dir2 = mkdtempSync(join(tmpdir(), 'lgc-bench-dmp-status-'));
      const db2 = openDatabase({ file: join(dir2, 'lgc.sqlite') });
      const r2 = createPatientsRepo(db2);
      const ids2 = db2.transaction(() => fields.slice(0, count).map((f) => r2.insert(f, null)))();
      const s2 = createDmpAppService({
        db: db2,
        dataDir: dir2,
        audit: createAuditRepo(db2),
        client: createDmpClient({ endpoint, vihfSigner: sandboxVihfSigner() }),
        contextFor: () => CONTEXT,
      });
      const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      h.enable();
      const t0 = performance.now();
      s2.statuses(ids2, actor);
      const callMs = performance.now() - t0;
      await s2.whenIdle();
      const wall = performance.now() - t0;
      h.disable();
      const states: Record<string, number> = {};
      for (const b of s2.statuses(ids2, actor)) states[b.state] = (states[b.state] ?? 0) + 1;
      await s2.stop();
      db2.close();
      rmSync(dir2, { recursive: true, force: true });
      if (label === 'warm-up') return;
      out({
        bench: 'status_checks_background',
        network: label,
        simulated_latency_ms: latencyMs,
        n: ids2.length,
        concurrency: 4,
        statuses_call_ms: round(callMs),
        wall_ms: round(wall),
        checks_per_s: round(ids2.length / (wall / 1000)),
        event_loop_delay_max_ms: excess(h.max),
        event_loop_delay_p99_ms: excess(h.percentile(99)),
        event_loop_delay_mean_ms: excess(h.mean),
        states,
      });
    };
    await statusRun('warm-up', url, 0, 40); // JIT and first-call costs of the VIHF / SOAP code
    await statusRun('loopback', url, 0);
    await statusRun('simulated', delayedUrl, LATENCY_MS);

    // 2. 100 uploads: one at a time (latency), then 100 at once (throughput) -------------
    {
      const valid = new Set(standInPatients.filter((p) => p.status === 'VALIDE').map((p) => p.ins));
      const targets = ids.filter((_, i) => valid.has(fields[i]!.insMatricule!)).slice(0, 100);
      const pdfSize = 100 * 1024;
      for (const pid of targets) svc.setConsent(actor, pid, { informed: true, opposed: false });
      const addDocs = () => targets.map((pid) => svc.addLocalDocument(actor, pid, { fileName: 'cr.pdf', pdf: fakePdf(pdfSize), typeCode: '11488-4' }));
      const started = new Map<number, number>();
      const latencies: number[] = [];
      let failures = 0;
      svc.on('change', (c) => {
        if (c.kind !== 'upload' || (c.status !== 'envoye' && c.status !== 'erreur')) return;
        if (c.status === 'erreur') failures++;
        else latencies.push(performance.now() - started.get(c.uploadId)!);
      });
      svc.start();

      const sequential = addDocs();
      const callTimes: number[] = [];
      const t1 = performance.now();
      for (const d of sequential) {
        const t = performance.now();
        const u = svc.upload(actor, d.id);
        callTimes.push(performance.now() - t);
        started.set(u.id, t);
        await svc.whenIdle();
      }
      const wallSeq = performance.now() - t1;
      out({
        bench: 'uploads_to_sandbox_one_at_a_time',
        n: sequential.length,
        pdf_kb: pdfSize / 1024,
        upload_call_p50_ms: pct(callTimes, 50),
        upload_call_p95_ms: pct(callTimes, 95),
        until_sent_p50_ms: pct(latencies, 50),
        until_sent_p95_ms: pct(latencies, 95),
        wall_ms: round(wallSeq),
        uploads_per_s: round(sequential.length / (wallSeq / 1000)),
        failures,
      });

      latencies.length = 0;
      const burst = addDocs();
      const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      h.enable();
      const t0 = performance.now();
      for (const d of burst) started.set(svc.upload(actor, d.id).id, performance.now());
      await svc.whenIdle();
      const wall = performance.now() - t0;
      h.disable();
      out({
        bench: 'uploads_to_sandbox_burst',
        n: burst.length,
        pdf_kb: pdfSize / 1024,
        worker_concurrency: 2,
        until_sent_p50_ms: pct(latencies, 50),
        until_sent_p95_ms: pct(latencies, 95),
        wall_ms: round(wall),
        uploads_per_s: round(burst.length / (wall / 1000)),
        failures,
        event_loop_delay_max_ms: excess(h.max),
      });
    }
    // 1. CDA N1 + metadata for a 1 MB PDF --------------------------------------------------
    {
      const pdf = fakePdf(1024 * 1024);
      const patient: CdaPatient = { insMatricule: '236066322083656', insOid: '1.2.250.1.213.1.4.10', identityStatus: 'QUAL', birthName: 'TCHITCHI', birthGivenNames: ['CATARINA'], birthDate: '1936-06-21', sex: 'F', birthplaceCode: '63220', localId: '1' };
      const stock: number[] = [];
      const service: number[] = [];
      for (let i = 0; i < 30; i++) {
        let t = performance.now();
        const cda = buildCdaN1({ pdf, typeCode: '11488-4', patient, author, practice });
        const built = performance.now() - t;
        buildDocumentEntry(cda.xml, {});
        const full = performance.now() - t;
        t = performance.now();
        documentEntryForCda(Buffer.from(cda.xml, 'utf8'), {});
        const light = performance.now() - t;
        if (i >= 5) {
          stock.push(full);
          service.push(built + light);
        }
      }
      out({ bench: 'cda_n1_and_metadata_1mb_pdf', n: stock.length, path: 'buildCdaN1 + buildDocumentEntry', p50_ms: pct(stock, 50), p95_ms: pct(stock, 95) });
      out({ bench: 'cda_n1_and_metadata_1mb_pdf', n: service.length, path: 'buildCdaN1 + documentEntryForCda (service)', p50_ms: pct(service, 50), p95_ms: pct(service, 95) });
    }
  } finally {
    await svc.stop();
    child.send('stop');
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
