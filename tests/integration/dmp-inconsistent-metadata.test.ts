import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDmpStandIn, type DmpStandIn, type DmpStandInPatient } from '../../electron/sandbox/dmp-service';
import { sandboxVihfSigner } from '../../electron/sandbox/dmp-demo';
import { createDmpClient, type DmpClient } from '../../electron/services/dmp/client';
import { insCx } from '../../electron/services/dmp/hl7';
import type { CdaAuthor, DmpContext, Practice } from '../../electron/services/dmp/types';
import { XDS, type SubmissionPackage } from '../../electron/services/dmp/xds-metadata';
import { createDmpAppService, type DmpAppService } from '../../electron/services/dmp-app/dmp-app-service';
import type { Actor } from '../../electron/services/identity/patients';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo, type PatientFields } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';
import { serveBrowserHost } from '../../electron/web-host/serve';
import type { RecordDocument } from '../../shared/domain';
import { eventually } from '../helpers/until';

/**
 * Issue #7, Done-when: « an upload with inconsistent metadata is rejected by the sandbox and the
 * error reaches the user ». The real DMP application service builds a correct submission, the real
 * DMP client sends it to the real DMP stand-in (HTTP, SOAP 1.2, MTOM, signed VIHF), and the
 * submission is made inconsistent on the way:
 *  - at service level, by a wrapper around the client that alters the XDS metadata it was handed
 *    (hash, size, SubmissionSet vs DocumentEntry patientId, patientId vs the CDA recordTarget);
 *  - through the whole application (dispatcher, `documents.list`), by a wrapper around the HTTP
 *    transport that rewrites the SubmissionSet patientId inside the MTOM request on the wire.
 * The stand-in answers with its XDS RegistryError; the user sees « erreur : <French cause> », nothing
 * is marked sent, the DMP stored nothing, the failure is audited, and sending again (no tampering)
 * succeeds. No production code is touched: both seams live in this file.
 */

// ------------------------------------------------------------------------------------------
// Transport seam: every HTTP POST of the DMP client goes through here. Pass-through unless a test
// installs `wire.tamper`, which may rewrite the body of an ITI-41 request before it is sent.

const wire = vi.hoisted(() => ({
  tamper: null as null | ((body: Buffer) => Buffer),
  iti41Bodies: [] as Buffer[],
  iti41Answers: [] as string[],
}));

vi.mock('../../electron/services/dmp/transport', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../electron/services/dmp/transport')>();
  return {
    ...real,
    postHttp: async (url: string, body: Buffer, headers: Record<string, string>, opts: Parameters<typeof real.postHttp>[3]) => {
      const iti41 = url.endsWith('/repository') && /ProvideAndRegisterDocumentSet-b"/.test(headers['Content-Type'] ?? '');
      const sent = iti41 && wire.tamper ? wire.tamper(body) : body;
      if (iti41) wire.iti41Bodies.push(sent);
      const res = await real.postHttp(url, sent, headers, opts);
      if (iti41) wire.iti41Answers.push(res.body.toString('utf8'));
      return res;
    },
  };
});

const TEST_OID = '1.2.250.1.213.1.4.10';
const author: CdaAuthor = { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' };
const practice: Practice = {
  name: 'Cabinet du Dr Charles',
  structureId: '312345678900011',
  facilityTypeCode: 'SA07',
  practiceSettingCode: 'AMBULATOIRE',
};
const CONTEXT: DmpContext = { professional: author, practice };

const person = (ins: string, birthName: string, given: string, birthDate: string, sex: 'F' | 'M', birthplace: string): PatientFields => ({
  birthName, birthGivenNames: [given], birthDate, sex, birthplaceCode: birthplace, usedName: null, usedGivenName: null,
  insMatricule: ins, insOid: TEST_OID, identityStatus: 'QUAL', externalId: null,
});
const CORSE = person('180032B02040123', 'CORSE', 'ANTHONY', '1980-03-02', 'M', '2B020');
const TCHITCHI = person('236066322083656', 'TCHITCHI', 'CATARINA', '1936-06-21', 'F', '63220');
const STANDIN: DmpStandInPatient[] = [
  { ins: CORSE.insMatricule!, status: 'VALIDE' },
  { ins: TCHITCHI.insMatricule!, status: 'VALIDE' },
];
const cx = (p: PatientFields) => insCx({ matricule: p.insMatricule!, oid: p.insOid! });
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

function fakePdf(size = 16 * 1024): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(size), Buffer.from('\n%%EOF\n', 'latin1')]);
}

/** What the stand-in persisted in its dataDir: registry entries and document files. */
function storedBy(dmpDir: string): { uniqueIds: string[]; files: string[] } {
  const state = join(dmpDir, 'dmp-state.json');
  const docs = existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as { documents: { entry: { uniqueId: string } }[] }).documents : [];
  const dir = join(dmpDir, 'documents');
  return { uniqueIds: docs.map((d) => d.entry.uniqueId), files: existsSync(dir) ? readdirSync(dir) : [] };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  wire.tamper = null;
  wire.iti41Bodies.length = 0;
  wire.iti41Answers.length = 0;
  for (const c of cleanups.splice(0).reverse()) await c();
});

// ------------------------------------------------------------------------------------------
// Service level: the app service's own client wrapped so that the metadata it built is altered.

interface Tampering {
  name: string;
  /** Alters the (correct) package the service built, as a faulty client/serializer would. */
  alter(pkg: SubmissionPackage, cda: Buffer): void;
  /** Exact French text the user reads after « erreur : ». */
  message(cda: Buffer): string;
}

/** The client checks a submission against its document before sending (the patientId decides whose DMP receives it). */
const BLOCKED = 'Envoi au DMP bloqué avant transmission : ';

const PATIENT_REFUSED = 'Le DMP a refusé le document : l’identifiant du patient (INS) des métadonnées ne correspond pas à celui du document.';
const BAD_HASH = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'; // SHA-1 of the empty string

const TAMPERINGS: Tampering[] = [
  {
    name: 'document hash',
    alter: (pkg) => {
      pkg.documentEntry.hash = BAD_HASH;
    },
    message: () => `${BLOCKED}l’empreinte déclarée ne correspond pas au document.`,
  },
  {
    name: 'document size',
    alter: (pkg, cda) => {
      pkg.documentEntry.size = cda.length - 1;
    },
    message: () => `${BLOCKED}la taille déclarée ne correspond pas au document.`,
  },
  {
    name: 'SubmissionSet patientId vs DocumentEntry patientId',
    alter: (pkg) => {
      pkg.submissionSet.patientId = cx(TCHITCHI);
    },
    message: () => `${BLOCKED}le patient du lot de soumission diffère de celui de la fiche du document.`,
  },
  {
    // The client signs the VIHF for the metadata's patient: the recordTarget check keeps this one
    // from ever leaving for another patient's DMP.
    name: 'patientId (DocumentEntry and SubmissionSet) vs the CDA recordTarget',
    alter: (pkg) => {
      pkg.documentEntry.patientId = cx(TCHITCHI);
      pkg.submissionSet.patientId = cx(TCHITCHI);
    },
    message: () => `${BLOCKED}l’INS des métadonnées n’est pas celui du patient du document.`,
  },
];

interface Harness {
  db: Db;
  svc: DmpAppService;
  doctor: Actor;
  patientId: number;
  otherPatientId: number;
  dmp: DmpStandIn;
  dmpDir: string;
  /** Set to alter the next provideDocument calls; null = untouched. */
  tampering: { current: Tampering | null; calls: number; built: SubmissionPackage[]; cdas: Buffer[] };
}

async function harness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'lgc-dmp-incons-'));
  const dmpDir = mkdtempSync(join(tmpdir(), 'lgc-dmp-incons-standin-'));
  const dmp = await startDmpStandIn({ dataDir: dmpDir, patients: STANDIN });
  const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
  const user = createUsersRepo(db).upsert({ nationalId: author.nationalId, familyName: 'CHARLES', givenName: 'Pascal', role: 'doctor', professionCode: '10', mssanteAddress: null });
  const patients = createPatientsRepo(db);
  const patientId = patients.insert(CORSE, user.id);
  const otherPatientId = patients.insert(TCHITCHI, user.id);
  const tampering: Harness['tampering'] = { current: null, calls: 0, built: [], cdas: [] };
  const real = createDmpClient({ endpoint: dmp.url, vihfSigner: sandboxVihfSigner(), timeoutMs: 10_000 });
  const client: DmpClient = {
    ...real,
    provideDocument(cda, metadata, ctx) {
      const t = tampering.current;
      if (!t) return real.provideDocument(cda, metadata, ctx);
      const bytes = Buffer.isBuffer(cda) ? cda : Buffer.from(cda, 'utf8');
      tampering.built.push(structuredClone(metadata));
      tampering.cdas.push(bytes);
      tampering.calls++;
      const altered = structuredClone(metadata);
      t.alter(altered, bytes);
      return real.provideDocument(cda, altered, ctx);
    },
  };
  const svc = createDmpAppService({ db, dataDir: dir, audit: createAuditRepo(db), client, contextFor: (a) => (a === null || a.role === 'doctor' ? CONTEXT : null) });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => rmSync(dmpDir, { recursive: true, force: true }));
  cleanups.push(() => dmp.close());
  cleanups.push(() => db.close());
  cleanups.push(() => svc.stop());
  return { db, svc, doctor: { userId: user.id, displayName: 'Pascal CHARLES', role: 'doctor', nationalId: author.nationalId }, patientId, otherPatientId, dmp, dmpDir, tampering };
}

describe('DMP application service: inconsistent metadata blocked before transmission', () => {
  it.each(TAMPERINGS)('$name → « erreur : … », nothing sent or stored, audited, then a clean send succeeds', async (t) => {
    const h = await harness();
    const { svc, doctor } = h;
    const events: string[] = [];
    svc.on('change', (c) => {
      if (c.kind === 'upload') events.push(c.status);
    });
    svc.start();
    svc.setConsent(doctor, h.patientId, { informed: true, opposed: false });
    const pdf = fakePdf();
    const doc = svc.addLocalDocument(doctor, h.patientId, { fileName: 'cr.pdf', pdf, typeCode: '11488-4', title: 'Consultation du 10 mars' });

    h.tampering.current = t;
    const queued = svc.upload(doctor, doc.id);
    await svc.whenIdle();

    // The service built a consistent submission; only the tampering made it inconsistent.
    expect(h.tampering.calls).toBe(1);
    const built = h.tampering.built[0]!;
    const cda = h.tampering.cdas[0]!;
    expect(built.documentEntry).toMatchObject({ hash: sha1(cda), size: cda.length, patientId: cx(CORSE), uniqueId: queued.cdaId });
    expect(built.submissionSet.patientId).toBe(cx(CORSE));
    // Nothing left the workstation: no ITI-41 request reached the stand-in.
    expect(wire.iti41Bodies).toHaveLength(0);

    // What the user sees: the upload view of that document ends in « erreur » with the cause in French.
    const [failed, ...others] = svc.uploads(h.patientId);
    expect(others).toEqual([]);
    expect(failed).toMatchObject({
      id: queued.id,
      documentId: doc.id,
      status: 'erreur',
      attempts: 1,
      sentAt: null,
      nextAttemptAt: null,
      detail: null,
      lastError: t.message(cda),
      label: `erreur : ${t.message(cda)}`,
    });
    expect(events).toEqual(['en_attente', 'envoi', 'erreur']);

    // The stand-in stored nothing: no registry entry, no document file, nothing listed by ITI-18.
    expect(storedBy(h.dmpDir)).toEqual({ uniqueIds: [], files: [] });
    expect(await svc.documents(doctor, h.patientId, { includeReplaced: true })).toEqual([]);
    expect(await svc.documents(doctor, h.otherPatientId, { includeReplaced: true })).toEqual([]);

    // The failure is audited with the message shown, and nothing was audited as sent.
    const audit = createAuditRepo(h.db);
    const erreur = audit.list({ patientId: h.patientId, limit: 50 }).filter((a) => a.action === 'dmp.envoi.erreur');
    expect(erreur).toHaveLength(1);
    expect(JSON.parse(erreur[0]!.detail!)).toEqual({ documentId: doc.id, uploadId: queued.id, version: 1, erreur: t.message(cda) });
    expect(audit.list({ patientId: h.patientId, limit: 50 }).some((a) => a.action === 'dmp.envoi.envoye')).toBe(false);

    // A RegistryError is final: « Réessayer maintenant » does not resend the rejected submission.
    await svc.flush();
    expect(h.tampering.calls).toBe(1);
    expect(svc.uploads(h.patientId)[0]).toMatchObject({ id: queued.id, status: 'erreur', attempts: 1 });

    // Sending again without tampering succeeds: same document, version 1, a fresh CDA id.
    h.tampering.current = null;
    const retry = svc.upload(doctor, doc.id);
    expect(retry).toMatchObject({ status: 'en_attente', version: 1 });
    expect(retry.cdaId).not.toBe(queued.cdaId);
    await svc.whenIdle();
    const ups = svc.uploads(h.patientId);
    expect(ups.map((u) => [u.id, u.status, u.attempts])).toEqual([
      [retry.id, 'envoye', 1],
      [queued.id, 'erreur', 1],
    ]);
    expect(ups[0]!.label).toMatch(/^envoyé le \d\d\/\d\d\/\d{4} à \d\d:\d\d$/);
    expect(h.tampering.calls).toBe(1);

    expect(storedBy(h.dmpDir)).toMatchObject({ uniqueIds: [retry.cdaId] });
    expect(storedBy(h.dmpDir).files).toHaveLength(1);
    const listed = await svc.documents(doctor, h.patientId, { includeReplaced: true });
    expect(listed.map((d) => [d.uniqueId, d.localDocumentId, d.status])).toEqual([[retry.cdaId, doc.id, 'Approved']]);
    expect((await svc.retrieve(doctor, h.patientId, listed[0]!.uniqueId, listed[0]!.repositoryUniqueId!)).data.equals(pdf)).toBe(true);
    expect(await svc.documents(doctor, h.otherPatientId)).toEqual([]);

    const actions = audit.list({ patientId: h.patientId, limit: 50 }).map((a) => a.action).reverse();
    expect(actions).toEqual([
      'dmp.consentement',
      'document.ajout',
      'dmp.envoi.demande',
      'dmp.envoi.erreur',
      'dmp.consultation',
      'dmp.envoi.demande',
      'dmp.envoi.envoye',
      'dmp.consultation',
      'dmp.document.consultation',
    ]);
  });
});

// ------------------------------------------------------------------------------------------
// Whole application (training sandbox, dispatcher): the SubmissionSet patientId is rewritten on
// the wire; the user's view is `documents.list`.

type Rpc = { ok: true; value: any } | { ok: false; error: { code: string; message: string } };

describe('DMP application service: a submission altered on the wire is rejected by the stand-in', () => {
  it('a wrong hash after the local check → XDSNonIdenticalHash → « erreur : … empreinte … » for the user, nothing stored', async () => {
    const h = await harness();
    const { svc, doctor } = h;
    svc.start();
    svc.setConsent(doctor, h.patientId, { informed: true, opposed: false });
    const doc = svc.addLocalDocument(doctor, h.patientId, { fileName: 'cr.pdf', pdf: fakePdf(), typeCode: '11488-4', title: 'Consultation du 12 mars' });
    let declared = '';
    wire.tamper = (body) => {
      const text = body.toString('latin1');
      const m = /(<rim:Slot name="hash"><rim:ValueList><rim:Value>)([0-9a-f]{40})(<\/rim:Value>)/i.exec(text);
      if (!m) throw new Error('hash slot not found in the ITI-41 request');
      declared = m[2]!;
      return Buffer.from(text.replace(m[0], `${m[1]}${BAD_HASH}${m[3]}`), 'latin1');
    };
    const queued = svc.upload(doctor, doc.id);
    await svc.whenIdle();
    expect(declared).toMatch(/^[0-9a-f]{40}$/);
    expect(wire.iti41Answers).toHaveLength(1);
    expect(wire.iti41Answers[0]).toContain('errorCode="XDSNonIdenticalHash"');
    const [failed] = svc.uploads(h.patientId);
    expect(failed).toMatchObject({ id: queued.id, status: 'erreur', sentAt: null });
    expect(failed!.label).toContain('erreur : Le DMP a refusé le document : l’empreinte (hash) déclarée ne correspond pas au document transmis.');
    expect(failed!.label).toContain(`Empreinte SHA-1 déclarée ${BAD_HASH}, calculée ${declared}`);
    expect(storedBy(h.dmpDir)).toEqual({ uniqueIds: [], files: [] });
  });
});

describe('Whole application: an upload altered on the wire reaches the user as an error', () => {
  let served: Awaited<ReturnType<typeof serveBrowserHost>>;
  let dataDir: string;
  const call = async (method: string, args: unknown) => (await served.booted.services.dispatch(method, args)) as Rpc;
  const value = async <T = any>(method: string, args: unknown): Promise<T> => {
    const res = await call(method, args);
    if (!res.ok) throw new Error(`${method}: ${res.error.code} ${res.error.message}`);
    return res.value as T;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lgc-dmp-incons-app-'));
    const staticDir = mkdtempSync(join(tmpdir(), 'lgc-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    served = await serveBrowserHost({ dataDir, staticDir, json: true, autoApproveCibaAfterMs: 50 });
  }, 60_000);
  afterAll(async () => {
    await served?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('documents.list shows « erreur : … patientId du lot de soumission … », the DMP stored nothing, the audit has it, a clean send succeeds', async () => {
    const cards = await value<{ nationalId: string; role: string }[]>('auth.testCards', {});
    await value('auth.loginCiba', { nationalId: cards.find((c) => c.role === 'doctor')!.nationalId });

    // A qualified patient whose DMP is active (badges computed in the background), and another one.
    const services = served.booted.services;
    if (!('db' in services)) throw new Error('training sandbox expected to boot the application services');
    const db = services.db;
    const qualified = db
      .prepare("SELECT id, ins_matricule AS ins FROM patients WHERE identity_status = 'QUAL' AND ins_matricule IS NOT NULL ORDER BY id")
      .all() as { id: number; ins: string }[];
    const ids = qualified.map((q) => q.id).slice(0, 200);
    const badges = await eventually('DMP badges', async () => {
      const b = await value<{ patientId: number; state: string; pending: boolean }[]>('dmp.statuses', { patientIds: ids });
      return b.some((x) => x.pending) ? undefined : b;
    });
    const active = qualified.filter((q) => ['actif', 'mes_active'].includes(badges.find((b) => b.patientId === q.id)!.state));
    const target = active[0]!;
    const other = active.find((q) => q.ins !== target.ins)!; // its DMP is active too: could it have received the document?
    expect(target).toBeTruthy();
    expect(other).toBeTruthy();

    await value('dmp.setConsent', { patientId: target.id, informed: true, opposed: false });
    const pdf = fakePdf(32 * 1024);
    const added = await value<RecordDocument>('documents.addPdf', { patientId: target.id, fileName: 'cr-consultation.pdf', base64: pdf.toString('base64'), typeCode: '11488-4', title: 'CR de consultation' });
    const dmpBefore = (await value<{ uniqueId: string }[]>('dmp.documents', { patientId: target.id })).map((d) => d.uniqueId);
    const dmpDir = join(served.booted.dataDir, 'dmp-simule');
    const storedBefore = storedBy(dmpDir);

    // On the wire: the SubmissionSet's patientId is replaced by another patient's INS (same length).
    const ssPatientId = new RegExp(`(<[\\w:]*ExternalIdentifier [^>]*identificationScheme="${XDS.SS_PATIENT_ID}"[^>]*value=")([0-9AB]{15})`);
    let tampered = 0;
    wire.tamper = (body) => {
      const text = body.toString('latin1');
      const m = ssPatientId.exec(text);
      expect(m?.[2]).toBe(target.ins); // correct before the alteration
      tampered++;
      return Buffer.from(text.replace(ssPatientId, `$1${other.ins}`), 'latin1');
    };

    const queued = await value<{ id: number; status: string }>('dmp.upload', { documentId: added.id, visibility: {} });
    expect(queued.status).toBe('en_attente');
    const viewOf = async () => (await value<RecordDocument[]>('documents.list', { patientId: target.id })).find((d) => d.id === added.id)!.dmp!;
    const failed = await eventually('upload settled', async () => {
      const v = await viewOf();
      return v.status === 'erreur' || v.status === 'envoye' ? v : undefined;
    });
    expect(tampered).toBe(1);
    const sentBody = wire.iti41Bodies[0]!.toString('latin1');
    expect(ssPatientId.exec(sentBody)?.[2]).toBe(other.ins);
    expect(sentBody).toContain(`value="${target.ins}^^^&amp;`); // the DocumentEntry still names the right patient

    const message = `${PATIENT_REFUSED} Détail : Le patientId du lot de soumission diffère de celui de la fiche.`;
    expect(failed).toEqual({
      id: queued.id,
      documentId: added.id,
      status: 'erreur',
      label: `erreur : ${message}`,
      detail: null,
      version: 1,
      sentAt: null,
      visibility: { hiddenFromProfessionals: false, invisibleToPatient: false, invisibleToLegalRepresentatives: false },
    });

    // Nothing reached the DMP.
    const rejectedCdaId = (db.prepare('SELECT cda_id FROM dmp_uploads WHERE id = ?').pluck().get(queued.id) as string);
    expect(storedBy(dmpDir)).toEqual(storedBefore);
    expect(storedBy(dmpDir).uniqueIds).not.toContain(rejectedCdaId);
    expect((await value<{ uniqueId: string }[]>('dmp.documents', { patientId: target.id })).map((d) => d.uniqueId)).toEqual(dmpBefore);
    expect((await value<{ uniqueId: string }[]>('dmp.documents', { patientId: other.id })).map((d) => d.uniqueId)).not.toContain(rejectedCdaId);

    // The audit log records the failure (and no « envoyé »).
    const audit = await value<{ action: string; detail: string | null }[]>('audit.list', { patientId: target.id, limit: 100 });
    const erreur = audit.filter((a) => a.action === 'dmp.envoi.erreur');
    expect(erreur).toHaveLength(1);
    expect(JSON.parse(erreur[0]!.detail!)).toMatchObject({ documentId: added.id, uploadId: queued.id, erreur: message });
    expect(audit.some((a) => a.action === 'dmp.envoi.envoye')).toBe(false);

    // « Envoyer au DMP » again, nothing altered this time: sent, listed, byte-identical.
    wire.tamper = null;
    const again = await value<{ id: number; status: string }>('dmp.upload', { documentId: added.id, visibility: {} });
    expect(again.id).not.toBe(queued.id);
    const sent = await eventually('resend settled', async () => {
      const v = await viewOf();
      return v.id === again.id && (v.status === 'erreur' || v.status === 'envoye') ? v : undefined;
    });
    expect(sent).toMatchObject({ status: 'envoye', version: 1 });
    expect(sent.label).toMatch(/^envoyé le \d\d\/\d\d\/\d{4} à \d\d:\d\d$/);
    expect(tampered).toBe(1);
    const sentCdaId = db.prepare('SELECT cda_id FROM dmp_uploads WHERE id = ?').pluck().get(again.id) as string;
    const listed = await value<{ uniqueId: string; repositoryUniqueId: string | null }[]>('dmp.documents', { patientId: target.id });
    expect(listed.map((d) => d.uniqueId).sort()).toEqual([...dmpBefore, sentCdaId].sort());
    const got = await value<{ base64: string; mimeType: string }>('dmp.retrieve', { patientId: target.id, uniqueId: sentCdaId, repositoryUniqueId: listed.find((d) => d.uniqueId === sentCdaId)!.repositoryUniqueId });
    expect(Buffer.from(got.base64, 'base64').equals(pdf)).toBe(true);
    expect(storedBy(dmpDir).uniqueIds).toEqual([...storedBefore.uniqueIds, sentCdaId]);
    const after = await value<{ action: string }[]>('audit.list', { patientId: target.id, limit: 100 });
    expect(after.filter((a) => a.action === 'dmp.envoi.envoye')).toHaveLength(1);
    expect(after.filter((a) => a.action === 'dmp.envoi.erreur')).toHaveLength(1);
  }, 60_000);
});
