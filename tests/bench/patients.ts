/**
 * Patients benchmark (JSON lines on stdout): `npx tsx tests/bench/patients.ts [--patients 100000] [--queries 1000] [--seed 42]`
 * or `npm run bench -- patients [...]`.
 *
 * 1. generates N synthetic French identities (createIdentityGenerator) and writes them as a CSV file
 *    (`;`, UTF-8 with BOM, dates jj/mm/aaaa — as practice software exports them);
 * 2. imports the file with importPatientsCsv into a fresh on-disk database: time, patients/s
 *    (goal ≥ 20,000/s), database size; then imports it again (idempotence: everything unchanged);
 * 3. builds the PatientSearchIndex from the database (time);
 * 4. runs mixed searches (prefixes of 1–6 letters, full names, one typo, accent-less names,
 *    jj/mm/aaaa and partial dates, name + date, INS): latency p50/p95/p99 (goals p95 ≤ 5 ms,
 *    p99 ≤ 20 ms), overall and per kind, and how often the patient aimed at is in the results;
 * 5. peak RSS of the process.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { foldName } from '../../shared/text/normalize';
import { createIdentityGenerator, seededRandom } from '../../electron/sandbox/demo-identities';
import { importPatientsCsv } from '../../electron/services/identity/csv-import';
import { PatientSearchIndex } from '../../electron/services/identity/search-index';
import { createAuditRepo, type AuditActor } from '../../electron/services/store/audit-repo';
import { openDatabase } from '../../electron/services/store/db';
import { createPatientsRepo, type Patient, type PatientFields } from '../../electron/services/store/patients-repo';

const { values: args } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.patients);
const Q = Number(args.queries);
const SEED = Number(args.seed);

const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ bench: 'patients', ...o }) + '\n');
const round = (n: number) => Math.round(n * 1000) / 1000;
function pct(sorted: number[], p: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
/** CPU time of this process (user + system, ms) since `from`: on a shared machine, wall time also counts the others. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};

const csvValue = (v: string | null | undefined) => {
  const s = v ?? '';
  return /[";\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const frDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

// 1. Identities and their CSV -------------------------------------------------------------
let t = performance.now();
const next = createIdentityGenerator(SEED);
const identities: PatientFields[] = [];
for (let i = 0; i < N; i++) identities.push({ ...next(), externalId: `LOG-${String(i + 1).padStart(7, '0')}` });
const header = 'nom_naissance;prenoms_naissance;date_naissance;sexe;lieu_naissance;nom_utilise;prenom_utilise;ins;ins_oid;statut_identite;id_externe';
const lines = identities.map((p) =>
  [p.birthName, p.birthGivenNames.join(' '), frDate(p.birthDate), p.sex, p.birthplaceCode, p.usedName, p.usedGivenName, p.insMatricule, p.insOid, p.identityStatus, p.externalId]
    .map(csvValue)
    .join(';'),
);
const dir = mkdtempSync(join(tmpdir(), 'lgc-bench-patients-'));
const csvFile = join(dir, 'patients.csv');
writeFileSync(csvFile, '\uFEFF' + header + '\r\n' + lines.join('\r\n') + '\r\n');
out({
  step: 'generate',
  patients: N,
  ms: round(performance.now() - t),
  csvMB: mb(statSync(csvFile).size),
  cpus: cpus().length,
  loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  node: process.version,
});

// 2. Import into a fresh on-disk database -------------------------------------------------
const dbFile = join(dir, 'lgc.sqlite');
const db = openDatabase({ file: dbFile });
const repo = createPatientsRepo(db);
const audit = createAuditRepo(db);
const actor: AuditActor = { userId: null, displayName: 'Banc d’essai', role: null };
let cpu = process.cpuUsage();
t = performance.now();
const report = importPatientsCsv({ db, patients: repo, audit, actor }, readFileSync(csvFile), { sourceName: 'patients.csv' });
const importMs = performance.now() - t;
const importCpuMs = cpuMs(cpu);
db.pragma('wal_checkpoint(TRUNCATE)');
const dbBytes = statSync(dbFile).size + (existsSync(`${dbFile}-wal`) ? statSync(`${dbFile}-wal`).size : 0);
out({
  step: 'import',
  ms: round(importMs),
  patientsPerSecond: Math.round(report.total / (importMs / 1000)),
  cpuMs: round(importCpuMs),
  patientsPerCpuSecond: Math.round(report.total / (importCpuMs / 1000)),
  goalPerSecond: 20000,
  created: report.created,
  duplicates: report.duplicates.length,
  invalid: report.invalidLines,
  dbMB: mb(dbBytes),
  bytesPerPatient: Math.round(dbBytes / Math.max(1, report.created)),
});

cpu = process.cpuUsage();
t = performance.now();
const again = importPatientsCsv({ db, patients: repo, audit, actor }, readFileSync(csvFile), { sourceName: 'patients.csv' });
const againMs = performance.now() - t;
const againCpuMs = cpuMs(cpu);
out({
  step: 'reimport',
  ms: round(againMs),
  patientsPerSecond: Math.round(again.total / (againMs / 1000)),
  patientsPerCpuSecond: Math.round(again.total / (againCpuMs / 1000)),
  created: again.created,
  updated: again.updated,
  unchanged: again.unchanged,
  duplicates: again.duplicates.length,
});

// 3. Search index -------------------------------------------------------------------------
cpu = process.cpuUsage();
t = performance.now();
const index = new PatientSearchIndex();
const all: Patient[] = [];
for (const p of repo.iterateAll()) {
  index.upsert(p);
  all.push(p);
}
const indexMs = performance.now() - t;
const indexCpuMs = cpuMs(cpu);
// The first search sorts the names for ranking (once); measured apart from the query latencies.
t = performance.now();
index.search('a');
out({ step: 'index', patients: index.size, ms: round(indexMs), cpuMs: round(indexCpuMs), firstSearchMs: round(performance.now() - t) });

// 4. Mixed queries ------------------------------------------------------------------------
const rand = seededRandom(SEED + 1);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const withIns = all.filter((p) => p.insMatricule);
const accented = all.filter((p) => /[^\x20-\x7e]/.test(p.birthName));
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function typo(word: string): string {
  const i = 1 + Math.floor(rand() * (word.length - 2));
  const kind = Math.floor(rand() * 3);
  if (kind === 0) return word.slice(0, i) + pick([...LETTERS].filter((c) => c !== word[i])) + word.slice(i + 1); // substitution
  if (kind === 1) return word.slice(0, i) + word.slice(i + 1); // deletion
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2); // swap
}

type Kind = 'prefix' | 'fullName' | 'typo' | 'noAccents' | 'date' | 'partialDate' | 'nameDate' | 'ins';
const KINDS: Kind[] = ['prefix', 'fullName', 'typo', 'noAccents', 'date', 'partialDate', 'nameDate', 'ins'];
interface Query {
  kind: Kind;
  text: string;
  target: Patient | null;
}
function makeQuery(kind: Kind): Query {
  const p = pick(all);
  const name = foldName(p.birthName).replace(/ /g, '');
  switch (kind) {
    case 'prefix':
      return { kind, text: name.slice(0, 1 + Math.floor(rand() * 6)), target: null };
    case 'fullName':
      return { kind, text: `${p.birthName} ${p.birthGivenNames[0]}`, target: p };
    case 'typo': {
      const q = name.length >= 5 ? typo(name) : name;
      return { kind, text: `${q} ${p.birthGivenNames[0]}`, target: p };
    }
    case 'noAccents': {
      const a = accented.length ? pick(accented) : p;
      return { kind, text: `${foldName(a.birthName)} ${foldName(a.birthGivenNames[0]!)}`, target: a };
    }
    case 'date':
      return { kind, text: frDate(p.birthDate), target: p };
    case 'partialDate': {
      const d = frDate(p.birthDate);
      const form = Math.floor(rand() * 3);
      return { kind, text: form === 0 ? d.slice(0, 5) : form === 1 ? d.slice(3) : d.slice(6), target: null };
    }
    case 'nameDate':
      return { kind, text: `${name.slice(0, 3 + Math.floor(rand() * 4))} ${frDate(p.birthDate)}`, target: p };
    case 'ins': {
      const q = pick(withIns);
      return { kind, text: q.insMatricule!, target: q };
    }
  }
}
const queries: Query[] = Array.from({ length: Q }, (_, i) => makeQuery(KINDS[i % KINDS.length]!));

// Warm-up (JIT, sorted vocabulary), not measured.
for (let i = 0; i < 50; i++) index.search(queries[i % queries.length]!.text);

const latencies: number[] = [];
const perKind = new Map<Kind, { ms: number[]; found: number; aimed: number; hits: number }>();
for (const q of queries) {
  const s = performance.now();
  const hits = index.search(q.text);
  const ms = performance.now() - s;
  latencies.push(ms);
  const k = perKind.get(q.kind) ?? { ms: [], found: 0, aimed: 0, hits: 0 };
  k.ms.push(ms);
  k.hits += hits.length;
  if (q.target) {
    k.aimed++;
    if (hits.some((h) => h.patient.id === q.target!.id)) k.found++;
  }
  perKind.set(q.kind, k);
}
latencies.sort((a, b) => a - b);
out({
  step: 'search',
  queries: Q,
  loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  p50ms: pct(latencies, 50),
  p95ms: pct(latencies, 95),
  p99ms: pct(latencies, 99),
  maxms: round(latencies.at(-1) ?? 0),
  goals: { p95ms: 5, p99ms: 20 },
});
for (const [kind, k] of perKind) {
  const s = k.ms.sort((a, b) => a - b);
  out({
    step: 'search-kind',
    kind,
    queries: s.length,
    p50ms: pct(s, 50),
    p95ms: pct(s, 95),
    maxms: round(s.at(-1) ?? 0),
    meanHits: round(k.hits / s.length),
    ...(k.aimed ? { targetFoundRate: round(k.found / k.aimed) } : {}),
  });
}

// 5. Memory -------------------------------------------------------------------------------
out({ step: 'memory', peakRssMB: mb(process.resourceUsage().maxRSS * 1024), heapUsedMB: mb(process.memoryUsage().heapUsed) });

db.close();
if (!args.keep) rmSync(dir, { recursive: true, force: true });
else out({ step: 'kept', dir });
