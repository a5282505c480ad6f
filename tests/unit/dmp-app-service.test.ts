import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { startDmpStandIn, type DmpStandIn } from '../../electron/sandbox/dmp-service';
import { sandboxVihfSigner } from '../../electron/sandbox/dmp-demo';
import { demoInsFor } from '../../electron/sandbox/demo-identities';
import { createDmpClient } from '../../electron/services/dmp/client';
import type { CdaAuthor, DmpContext, Practice } from '../../electron/services/dmp/types';
import { createDmpAppService, type DmpAppServiceOptions } from '../../electron/services/dmp-app/dmp-app-service';
import type { Actor } from '../../electron/services/identity/patients';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo, type PatientFields } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';

const TEST_OID = '1.2.250.1.213.1.4.10';
const author: CdaAuthor = { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' };
const practice: Practice = { name: 'Cabinet du Dr Charles', structureId: '312345678900011', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE' };
const CONTEXT: DmpContext = { professional: author, practice };

function person(ins: string | null, birthName: string, given: string, birthDate: string, sex: 'F' | 'M', birthplace: string, status: PatientFields['identityStatus']): PatientFields {
  return { birthName, birthGivenNames: [given], birthDate, sex, birthplaceCode: birthplace, usedName: null, usedGivenName: null, insMatricule: ins, insOid: ins ? TEST_OID : null, identityStatus: status, externalId: null };
}

const PEOPLE = {
  mes: person('236066322083656', 'TCHITCHI', 'CATARINA', '1936-06-21', 'F', '63220', 'QUAL'),
  actif: person('180032B02040123', 'CORSE', 'ANTHONY', '1980-03-02', 'M', '2B020', 'QUAL'),
  interdit: person('297022A02077878', 'ADRTROIS', 'DOMINIQUE', '1997-02-26', 'F', '2A020', 'QUAL'),
  expire: person('109076322083489', 'ECETINSI', 'PIERRE-ALAIN', '2009-07-14', 'M', '63220', 'QUAL'),
  inexistant: person('279035121518989', 'INCONNUE', 'JEANNE', '1979-03-05', 'F', '51215', 'QUAL'),
  validee: person(demoInsFor('F', '1980-01-01', '75056', 1), 'VALIDÉE', 'MARIE', '1980-01-01', 'F', '75056', 'VALI'),
  provisoire: person(null, 'PROVISOIRE', 'PAUL', '1990-05-05', 'M', '75056', 'PROV'),
};
type Who = keyof typeof PEOPLE;

const STANDIN_PATIENTS = [
  { ins: PEOPLE.mes.insMatricule!, status: 'VALIDE' as const, mesActivated: true },
  { ins: PEOPLE.actif.insMatricule!, status: 'VALIDE' as const },
  { ins: PEOPLE.interdit.insMatricule!, status: 'INTERDIT' as const },
  { ins: PEOPLE.expire.insMatricule!, status: 'EXPIRE' as const },
  { ins: PEOPLE.validee.insMatricule!, status: 'VALIDE' as const },
];

function pdf(): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n', 'latin1'), randomBytes(2048), Buffer.from('\n%%EOF\n', 'latin1')]);
}

/** Forwards to the stand-in and counts requests (total and maximum in parallel). */
async function countingProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  let current = 0;
  let max = 0;
  let total = 0;
  const server: Server = createServer((req, res) => {
    current++;
    total++;
    max = Math.max(max, current);
    const done = () => {
      current--;
    };
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
      r.on('end', done);
    });
    up.on('error', () => {
      done();
      res.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    stats: () => ({ max, total }),
    reset: () => {
      max = 0;
      total = 0;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

interface Fixture {
  dir: string;
  db: Db;
  ids: Record<Who, number>;
  doctor: Actor;
  secretary: Actor;
  make(opts?: Partial<DmpAppServiceOptions> & { endpoint?: string | null }): ReturnType<typeof createDmpAppService>;
  audits(action: string): { detail: string | null; actor: string }[];
}

const signer = sandboxVihfSigner();
const cleanups: (() => unknown)[] = [];

function fixture(defaultEndpoint: string | null, dbFile?: string, dataDir?: string): Fixture {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'lgc-dmp-app-'));
  const db = openDatabase({ file: dbFile ?? join(dir, 'lgc.sqlite') });
  const users = createUsersRepo(db);
  const d = users.upsert({ nationalId: author.nationalId, familyName: 'CHARLES', givenName: 'Pascal', role: 'doctor', professionCode: '10', mssanteAddress: null });
  const s = users.upsert({ nationalId: '10000000001', familyName: 'DURAND', givenName: 'Sophie', role: 'secretary', professionCode: null, mssanteAddress: null });
  const patients = createPatientsRepo(db);
  const ids = {} as Record<Who, number>;
  for (const [k, f] of Object.entries(PEOPLE)) ids[k as Who] = patients.insert(f, d.id);
  const doctor: Actor = { userId: d.id, displayName: 'Pascal CHARLES', role: 'doctor', nationalId: author.nationalId };
  const secretary: Actor = { userId: s.id, displayName: 'Sophie DURAND', role: 'secretary' };
  const audit = createAuditRepo(db);
  const services: ReturnType<typeof createDmpAppService>[] = [];
  cleanups.push(async () => {
    for (const svc of services) await svc.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    db,
    ids,
    doctor,
    secretary,
    make(opts = {}) {
      const endpoint = opts.endpoint === undefined ? defaultEndpoint : opts.endpoint;
      const svc = createDmpAppService({
        db,
        dataDir: dir,
        audit,
        client: endpoint ? createDmpClient({ endpoint, vihfSigner: signer, timeoutMs: 5_000 }) : null,
        contextFor: (a) => (a === null || a.role === 'doctor' ? CONTEXT : null),
        ...opts,
      });
      services.push(svc);
      return svc;
    },
    audits(action) {
      return audit.list({ limit: 1000 }).filter((r) => r.action === action).map((r) => ({ detail: r.detail, actor: r.actor }));
    },
  };
}

async function refused(fn: () => unknown): Promise<AppError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('not refused');
}

let standIn: DmpStandIn;
beforeAll(async () => {
  standIn = await startDmpStandIn({ patients: STANDIN_PATIENTS });
});
afterAll(async () => {
  await standIn?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('DMP badges', () => {
  it('never call the DMP for non-qualified identities and say why', async () => {
    const f = fixture(standIn.url);
    const svc = f.make();
    const badges = svc.statuses([f.ids.validee, f.ids.provisoire], f.doctor);
    expect(badges.map((b) => [b.state, b.label, b.pending])).toEqual([
      ['non_verifiable', 'Non vérifiable : INS non qualifiée', false],
      ['non_verifiable', 'Non vérifiable : INS non qualifiée', false],
    ]);
    await svc.whenIdle();
    expect(f.db.prepare('SELECT count(*) FROM dmp_status').pluck().get()).toBe(0);
  });

  it('say « DMP non configuré » without a client and « connexion du médecin requise » without a context', () => {
    const f = fixture(null);
    expect(f.make().statuses([f.ids.actif])[0]).toMatchObject({ state: 'non_verifiable', label: 'Non vérifiable : DMP non configuré', pending: false });
    const g = fixture(standIn.url);
    const svc = g.make({ contextFor: () => null });
    expect(svc.statuses([g.ids.actif])[0]).toMatchObject({ state: 'non_verifiable', label: 'Non vérifiable : connexion du médecin requise', pending: false });
  });

  it('answer from the cache at once, check in the background with bounded concurrency, coalesce and honour the TTL', async () => {
    const proxy = await countingProxy(standIn.url);
    cleanups.push(proxy.close);
    let clock = Date.parse('2025-03-10T08:00:00Z');
    const f = fixture(proxy.url);
    const svc = f.make({ now: () => new Date(clock), statusConcurrency: 2 });
    const changes: number[][] = [];
    svc.on('change', (c) => c.kind === 'status' && changes.push(c.patientIds));
    const ids = [f.ids.mes, f.ids.actif, f.ids.interdit, f.ids.expire, f.ids.inexistant];

    const t0 = performance.now();
    const first = svc.statuses(ids, f.doctor);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(first.every((b) => b.pending && b.state === 'non_verifiable' && b.label === 'Vérification du DMP en cours…')).toBe(true);
    svc.statuses(ids, f.doctor);
    svc.statuses([...ids, ...ids], f.doctor);
    await svc.whenIdle();
    expect(proxy.stats()).toEqual({ total: 5, max: 2 });
    expect(changes.flat().sort()).toEqual([...ids].sort());

    const fresh = svc.statuses(ids, f.doctor);
    expect(fresh.map((b) => [b.state, b.label, b.pending])).toEqual([
      ['mes_active', 'Mon espace santé activé', false],
      ['actif', 'DMP actif', false],
      ['interdit', 'Accès interdit', false],
      ['expire', 'Accès expiré', false],
      ['inexistant', 'Pas de DMP', false],
    ]);
    expect(fresh[0]!.checkedAt).toBe('2025-03-10T08:00:00.000Z');
    await svc.whenIdle();
    expect(proxy.stats().total).toBe(5);

    clock += 5 * 3600_000; // within the 6 h TTL
    svc.statuses(ids, f.doctor);
    await svc.whenIdle();
    expect(proxy.stats().total).toBe(5);
    clock += 3600_000 + 1;
    svc.statuses(ids, f.doctor);
    await svc.whenIdle();
    expect(proxy.stats().total).toBe(10);
  });

  it('keep the last good value with its date when the DMP is unreachable', async () => {
    let clock = Date.parse('2025-03-10T08:00:00Z');
    const down = await startDmpStandIn({ patients: STANDIN_PATIENTS });
    const f = fixture(down.url);
    const svc = f.make({ now: () => new Date(clock) });
    svc.statuses([f.ids.actif], f.doctor);
    await svc.whenIdle();
    await down.close();
    clock += 7 * 3600_000;
    expect(svc.statuses([f.ids.actif], f.doctor)[0]).toMatchObject({ state: 'actif', pending: true });
    await svc.whenIdle();
    expect(svc.statuses([f.ids.actif], f.doctor)[0]).toMatchObject({
      state: 'non_verifiable',
      label: 'Non vérifiable : hors ligne',
      lastKnown: { state: 'actif', label: 'DMP actif' },
      checkedAt: '2025-03-10T08:00:00.000Z',
      detail: 'DMP injoignable : vérifiez la connexion réseau.',
      pending: false,
    });
    // A failed check is retried after 2 minutes, not at each call.
    clock += 60_000;
    expect(svc.statuses([f.ids.actif], f.doctor)[0]!.pending).toBe(false);
    clock += 60_000;
    expect(svc.statuses([f.ids.actif], f.doctor)[0]!.pending).toBe(true);
  });
});

describe('consent and local documents', () => {
  it('record the information and the opposition with date and author, audited; secretary allowed', () => {
    const f = fixture(standIn.url);
    const svc = f.make({ now: () => new Date('2025-03-10T08:00:00Z') });
    expect(svc.consent(f.ids.actif)).toMatchObject({ informedAt: null, opposed: false, canSend: false });
    expect(svc.setConsent(f.secretary, f.ids.actif, { informed: true, opposed: false })).toEqual({
      patientId: f.ids.actif,
      informedAt: '2025-03-10T08:00:00.000Z',
      opposed: false,
      recordedAt: '2025-03-10T08:00:00.000Z',
      recordedBy: 'Sophie DURAND',
      canSend: true,
    });
    expect(svc.setConsent(f.doctor, f.ids.actif, { informed: true, opposed: true })).toMatchObject({ opposed: true, recordedBy: 'Pascal CHARLES', canSend: false });
    expect(f.audits('dmp.consentement').map((a) => [a.actor, JSON.parse(a.detail!)])).toEqual([
      ['Pascal CHARLES', { informe: true, opposition: true }],
      ['Sophie DURAND', { informe: true, opposition: false }],
    ]);
  });

  it('store PDFs content-addressed under <dataDir>/documents and refuse what is not a PDF of a known type', async () => {
    const f = fixture(standIn.url);
    const svc = f.make();
    const content = pdf();
    const doc = svc.addLocalDocument(f.doctor, f.ids.actif, { fileName: 'C:\\Documents\\cr.pdf', pdf: content, typeCode: '11488-4' });
    expect(doc).toMatchObject({ fileName: 'cr.pdf', typeCode: '11488-4', title: expect.any(String), size: content.length });
    expect(doc.contentPath).toBe(`documents/${doc.sha256.slice(0, 2)}/${doc.sha256}`);
    expect(readFileSync(join(f.dir, doc.contentPath)).equals(content)).toBe(true);
    expect(svc.localDocumentContent(doc.id).equals(content)).toBe(true);
    expect((await refused(() => svc.addLocalDocument(f.doctor, f.ids.actif, { fileName: 'a.pdf', pdf: Buffer.from('hello'), typeCode: '11488-4' }))).message).toBe('Le fichier fourni n’est pas un PDF.');
    expect((await refused(() => svc.addLocalDocument(f.doctor, f.ids.actif, { fileName: 'a.pdf', pdf: content, typeCode: '99999-9' }))).message).toBe(
      'Type de document non pris en charge pour un document produit au cabinet : 99999-9.',
    );
    expect((await refused(() => svc.addLocalDocument(f.doctor, 9999, { fileName: 'a.pdf', pdf: content, typeCode: '11488-4' }))).message).toBe('Patient introuvable.');
  });
});

describe('upload preconditions (each refused with its French message, nothing queued)', () => {
  it('role, configuration, identity, information, opposition, DMP status, document', async () => {
    const f = fixture(standIn.url);
    const svc = f.make();
    for (const k of ['actif', 'interdit', 'expire', 'inexistant', 'validee'] as const) svc.setConsent(f.doctor, f.ids[k], { informed: true, opposed: false });
    const add = (k: Who) => svc.addLocalDocument(f.doctor, f.ids[k], { fileName: 'cr.pdf', pdf: pdf(), typeCode: '11488-4' }).id;
    const doc = add('actif');

    const cases: [string, () => unknown, string, string][] = [
      ['secrétaire', () => svc.upload(f.secretary, doc), 'PERMISSION_DENIED', 'Action réservée au médecin : envoyer au DMP.'],
      ['DMP non configuré', () => f.make({ endpoint: null }).upload(f.doctor, doc), 'VALIDATION', 'DMP non configuré sur ce poste : renseignez la structure et son certificat dans les réglages.'],
      ['sans contexte', () => f.make({ contextFor: () => null }).upload(f.doctor, doc), 'UNAUTHENTICATED', 'Envoi au DMP impossible : identité du médecin ou de la structure indisponible (reconnectez-vous avec Pro Santé Connect).'],
      ['document inconnu', () => svc.upload(f.doctor, 424242), 'NOT_FOUND', 'Document introuvable.'],
      ['identité non qualifiée', () => svc.upload(f.doctor, add('validee')), 'IDENTITY_RULE', "L'INS ne peut être transmis que pour une identité qualifiée (statut actuel : Identité validée)."],
      ['non informé', () => svc.upload(f.doctor, add('mes')), 'VALIDATION', 'Le patient doit d’abord être informé de l’alimentation de son DMP : enregistrez cette information avant l’envoi.'],
    ];
    for (const [name, fn, code, message] of cases) {
      const e = await refused(fn);
      expect([name, e.code, e.message]).toEqual([name, code, message]);
    }

    svc.statuses([f.ids.interdit, f.ids.expire, f.ids.inexistant], f.doctor);
    await svc.whenIdle();
    for (const [k, code, message] of [
      ['interdit', 'PERMISSION_DENIED', 'Accès au DMP de ce patient interdit : envoi impossible.'],
      ['expire', 'PERMISSION_DENIED', 'Accès au DMP de ce patient expiré : envoi impossible.'],
      ['inexistant', 'NOT_FOUND', 'Ce patient n’a pas de DMP : envoi impossible.'],
    ] as const) {
      const e = await refused(() => svc.upload(f.doctor, add(k)));
      expect([k, e.code, e.message]).toEqual([k, code, message]);
    }

    svc.setConsent(f.doctor, f.ids.actif, { informed: true, opposed: true });
    const e = await refused(() => svc.upload(f.doctor, doc));
    expect(e.message).toBe('Le patient s’est opposé à l’alimentation de son DMP : envoi impossible.');

    expect(f.db.prepare('SELECT count(*) FROM dmp_uploads').pluck().get()).toBe(0);
    expect(f.audits('dmp.envoi.demande')).toEqual([]);
  });

  it('a document already queued cannot be queued twice; an opposition cancels queued uploads', async () => {
    const f = fixture(standIn.url);
    const svc = f.make();
    svc.setConsent(f.doctor, f.ids.actif, { informed: true, opposed: false });
    const doc = svc.addLocalDocument(f.doctor, f.ids.actif, { fileName: 'cr.pdf', pdf: pdf(), typeCode: '11488-4' }).id;
    expect(svc.upload(f.doctor, doc)).toMatchObject({ status: 'en_attente', label: 'en attente', version: 1 });
    expect((await refused(() => svc.upload(f.doctor, doc))).message).toBe('Un envoi de ce document au DMP est déjà en cours.');
    svc.setConsent(f.doctor, f.ids.actif, { informed: true, opposed: true });
    expect(svc.uploads(f.ids.actif)[0]).toMatchObject({ status: 'erreur', label: 'erreur : Envoi annulé : le patient s’est opposé à l’alimentation de son DMP.' });
  });
});

describe('upload queue', () => {
  it('retries network failures with backoff, keeping « en attente » and the reason', async () => {
    const gone = await startDmpStandIn({ patients: STANDIN_PATIENTS });
    const url = gone.url;
    await gone.close();
    let clock = Date.parse('2025-03-10T08:00:00Z');
    const f = fixture(url);
    const svc = f.make({ now: () => new Date(clock) });
    svc.setConsent(f.doctor, f.ids.actif, { informed: true, opposed: false });
    const doc = svc.addLocalDocument(f.doctor, f.ids.actif, { fileName: 'cr.pdf', pdf: pdf(), typeCode: '11488-4' }).id;
    svc.upload(f.doctor, doc);
    svc.start();
    await svc.whenIdle();
    let [u] = svc.uploads(f.ids.actif);
    expect(u).toMatchObject({
      status: 'en_attente',
      label: 'en attente',
      attempts: 1,
      nextAttemptAt: '2025-03-10T08:00:15.000Z',
      lastError: 'DMP injoignable : vérifiez la connexion réseau.',
      detail: 'Nouvel essai à 09:00 — DMP injoignable : vérifiez la connexion réseau.',
    });
    clock += 15_000;
    await svc.flush();
    [u] = svc.uploads(f.ids.actif);
    expect(u).toMatchObject({ status: 'en_attente', attempts: 2, nextAttemptAt: '2025-03-10T08:00:45.000Z' });
  });

  it('sends by itself, on the backoff timer, once the DMP is back', async () => {
    const first = await startDmpStandIn({ patients: STANDIN_PATIENTS });
    const port = Number(new URL(first.url).port);
    await first.close();
    const f = fixture(first.url);
    const svc = f.make({ backoff: { baseMs: 150, maxMs: 300 } });
    svc.setConsent(f.doctor, f.ids.actif, { informed: true, opposed: false });
    const doc = svc.addLocalDocument(f.doctor, f.ids.actif, { fileName: 'cr.pdf', pdf: pdf(), typeCode: '11488-4' }).id;
    const sent = new Promise<void>((resolve) => svc.on('change', (c) => c.kind === 'upload' && c.status === 'envoye' && resolve()));
    svc.upload(f.doctor, doc);
    svc.start();
    await svc.whenIdle();
    expect(svc.uploads(f.ids.actif)[0]).toMatchObject({ status: 'en_attente', attempts: 1 });
    const back = await startDmpStandIn({ port, patients: STANDIN_PATIENTS });
    cleanups.push(() => back.close());
    await sent;
    expect(svc.uploads(f.ids.actif)[0]!.status).toBe('envoye');
    expect(svc.uploads(f.ids.actif)[0]!.attempts).toBeGreaterThanOrEqual(2);
  });

  it('resumes uploads interrupted by a restart and sends them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgc-dmp-app-resume-'));
    const dbFile = join(dir, 'lgc.sqlite');
    const f = fixture(standIn.url, dbFile, dir);
    const before = f.make();
    before.setConsent(f.doctor, f.ids.actif, { informed: true, opposed: false });
    const doc = before.addLocalDocument(f.doctor, f.ids.actif, { fileName: 'cr.pdf', pdf: pdf(), typeCode: '11488-4' }).id;
    const queued = before.upload(f.doctor, doc); // worker not started: stays queued
    // The process died while sending it.
    f.db.prepare("UPDATE dmp_uploads SET status = 'envoi', attempts = 1 WHERE id = ?").run(queued.id);
    await before.stop();

    const after = f.make();
    const changes: string[] = [];
    after.on('change', (c) => c.kind === 'upload' && changes.push(c.status));
    after.start();
    await after.whenIdle();
    expect(after.uploads(f.ids.actif)[0]).toMatchObject({ id: queued.id, status: 'envoye', attempts: 2, label: expect.stringMatching(/^envoyé le \d\d\/\d\d\/\d{4} à \d\d:\d\d$/) });
    expect(changes).toEqual(['envoi', 'envoye']);
    expect(f.audits('dmp.envoi.envoye')).toHaveLength(1);
    expect(existsSync(join(dir, 'documents'))).toBe(true);
  });
});
