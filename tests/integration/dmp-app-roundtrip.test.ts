import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDmpStandIn, type DmpStandIn, type DmpStandInPatient } from '../../electron/sandbox/dmp-service';
import { dmpDemoPatients, sandboxVihfSigner } from '../../electron/sandbox/dmp-demo';
import { seedDemoPractice } from '../../electron/sandbox/seed';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import { createDmpClient } from '../../electron/services/dmp/client';
import type { CdaAuthor, DmpContext, Practice } from '../../electron/services/dmp/types';
import { buildDocumentEntry } from '../../electron/services/dmp/xds-metadata';
import { createDmpAppService, type DmpAppService } from '../../electron/services/dmp-app/dmp-app-service';
import type { Actor } from '../../electron/services/identity/patients';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo, type PatientFields } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';

/**
 * The DMP application service against the real DMP stand-in (HTTP SOAP, signed VIHF, MTOM):
 * badges, upload queue, consultation, replacement, offline queue and functional refusal.
 */
const TEST_OID = '1.2.250.1.213.1.4.10';
const author: CdaAuthor = { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' };
const colleague: CdaAuthor = { nationalId: '810001234567', familyName: 'MARTIN', givenName: 'Claire', professionCode: '10', specialtyCode: 'SM26' };
const practice: Practice = {
  name: 'Cabinet du Dr Charles',
  structureId: '312345678900011',
  facilityTypeCode: 'SA07',
  practiceSettingCode: 'AMBULATOIRE',
  address: { houseNumber: '8', streetName: 'Rue de la Paix', postalCode: '63000', city: 'CLERMONT-FERRAND' },
};
const CONTEXT: DmpContext = { professional: author, practice };
const signer = sandboxVihfSigner();

const person = (ins: string, birthName: string, given: string, birthDate: string, sex: 'F' | 'M', birthplace: string, status: PatientFields['identityStatus'] = 'QUAL'): PatientFields => ({
  birthName, birthGivenNames: [given], birthDate, sex, birthplaceCode: birthplace, usedName: null, usedGivenName: null,
  insMatricule: ins, insOid: TEST_OID, identityStatus: status, externalId: null,
});

const PEOPLE = {
  tchitchi: person('236066322083656', 'TCHITCHI', 'CATARINA', '1936-06-21', 'F', '63220'),
  corse: person('180032B02040123', 'CORSE', 'ANTHONY', '1980-03-02', 'M', '2B020'),
  adrtrois: person('297022A02077878', 'ADRTROIS', 'DOMINIQUE', '1997-02-26', 'F', '2A020'),
  inconnue: person('279035121518989', 'INCONNUE', 'JEANNE', '1979-03-05', 'F', '51215'),
  recuperee: person('109076322083489', 'ECETINSI', 'PIERRE-ALAIN', '2009-07-14', 'M', '63220', 'RECUP'),
};
type Who = keyof typeof PEOPLE;
const STANDIN: DmpStandInPatient[] = [
  { ins: PEOPLE.tchitchi.insMatricule!, status: 'VALIDE', mesActivated: true },
  { ins: PEOPLE.corse.insMatricule!, status: 'VALIDE' },
  { ins: PEOPLE.adrtrois.insMatricule!, status: 'INTERDIT' },
  { ins: PEOPLE.recuperee.insMatricule!, status: 'VALIDE' },
];

function fakePdf(size = 8192): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(size), Buffer.from('\n%%EOF\n', 'latin1')]);
}

interface Practice$ {
  dir: string;
  db: Db;
  ids: Record<Who, number>;
  doctor: Actor;
  service(endpoint: string): DmpAppService;
}

const cleanups: (() => unknown)[] = [];

function practiceDb(dir = mkdtempSync(join(tmpdir(), 'lgc-dmp-int-'))): Practice$ {
  const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
  const users = createUsersRepo(db);
  const d = users.upsert({ nationalId: author.nationalId, familyName: 'CHARLES', givenName: 'Pascal', role: 'doctor', professionCode: '10', mssanteAddress: null });
  const patients = createPatientsRepo(db);
  const ids = {} as Record<Who, number>;
  for (const [k, f] of Object.entries(PEOPLE)) ids[k as Who] = patients.findByIns(f.insMatricule!)?.id ?? patients.insert(f, d.id);
  const audit = createAuditRepo(db);
  const services: DmpAppService[] = [];
  cleanups.push(async () => {
    for (const s of services) await s.stop();
    db.close();
  });
  return {
    dir,
    db,
    ids,
    doctor: { userId: d.id, displayName: 'Pascal CHARLES', role: 'doctor', nationalId: author.nationalId },
    service(endpoint) {
      const s = createDmpAppService({
        db,
        dataDir: dir,
        audit,
        client: createDmpClient({ endpoint, vihfSigner: signer, timeoutMs: 10_000 }),
        contextFor: (a) => (a === null || a.role === 'doctor' ? CONTEXT : null),
      });
      services.push(s);
      return s;
    },
  };
}

let standIn: DmpStandIn;
beforeAll(async () => {
  standIn = await startDmpStandIn({ patients: STANDIN });
});
afterAll(async () => {
  await standIn?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function badgesOf(svc: DmpAppService, ids: number[], actor: Actor) {
  svc.statuses(ids, actor);
  await svc.whenIdle();
  return svc.statuses(ids, actor);
}

describe('DMP application service against the stand-in', () => {
  it('shows VALIDE / Mon espace santé, NON_EXISTE, INTERDIT and non-qualified badges without a click', async () => {
    const p = practiceDb();
    const svc = p.service(standIn.url);
    const badges = await badgesOf(svc, [p.ids.tchitchi, p.ids.corse, p.ids.inconnue, p.ids.adrtrois, p.ids.recuperee], p.doctor);
    expect(badges.map((b) => [b.state, b.label])).toEqual([
      ['mes_active', 'Mon espace santé activé'],
      ['actif', 'DMP actif'],
      ['inexistant', 'Pas de DMP'],
      ['interdit', 'Accès interdit'],
      ['non_verifiable', 'Non vérifiable : INS non qualifiée'],
    ]);
    expect(badges[1]).toMatchObject({ latestDocuments: [], documentsByOthersSinceLastVisit: 0, mesActivated: false, pending: false });
  });

  it('uploads in one call, lists the document in the DMP and retrieves a byte-identical PDF', async () => {
    const p = practiceDb();
    const svc = p.service(standIn.url);
    svc.start();
    svc.setConsent(p.doctor, p.ids.corse, { informed: true, opposed: false });
    const content = fakePdf(64 * 1024);
    const doc = svc.addLocalDocument(p.doctor, p.ids.corse, { fileName: 'consultation.pdf', pdf: content, typeCode: '11488-4', title: 'Consultation du 10 mars' });
    const queued = svc.upload(p.doctor, doc.id, { hiddenFromProfessionals: false });
    expect(queued).toMatchObject({ status: 'en_attente', label: 'en attente', version: 1 });
    await svc.whenIdle();

    const [sent] = svc.uploads(p.ids.corse);
    expect(sent).toMatchObject({ id: queued.id, status: 'envoye', attempts: 1, lastError: null, title: 'Consultation du 10 mars', fileName: 'consultation.pdf' });
    expect(sent!.label).toMatch(/^envoyé le \d\d\/\d\d\/\d{4} à \d\d:\d\d$/);

    const listed = await svc.documents(p.doctor, p.ids.corse);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      uniqueId: sent!.cdaId,
      typeCode: '11488-4',
      title: 'Consultation du 10 mars',
      author: { nationalId: author.nationalId, name: 'Pascal CHARLES' },
      byOthers: false,
      newSinceLastVisit: false,
      localDocumentId: doc.id,
      status: 'Approved',
    });
    const got = await svc.retrieve(p.doctor, p.ids.corse, listed[0]!.uniqueId, listed[0]!.repositoryUniqueId!);
    expect(got.kind).toBe('pdf');
    expect(got.mimeType).toBe('application/pdf');
    expect(got.data.equals(content)).toBe(true);
    expect(got.cda.toString('utf8')).toContain('<nonXMLBody>');

    const [badge] = await badgesOf(svc, [p.ids.corse], p.doctor);
    expect(badge).toMatchObject({ state: 'actif', latestDocuments: [{ typeCode: '11488-4' }], documentsByOthersSinceLastVisit: 0 });
    expect(badge!.lastVisitAt).not.toBeNull();

    const actions = createAuditRepo(p.db).list({ patientId: p.ids.corse, limit: 50 }).map((a) => a.action).reverse();
    expect(actions).toEqual(['dmp.consentement', 'document.ajout', 'dmp.envoi.demande', 'dmp.envoi.envoye', 'dmp.consultation', 'dmp.document.consultation']);
  });

  it('replaces a sent document with version 2 (same setId, RPLC), then with a corrected file as version 3', async () => {
    const p = practiceDb();
    const svc = p.service(standIn.url);
    svc.start();
    svc.setConsent(p.doctor, p.ids.tchitchi, { informed: true, opposed: false });
    const doc = svc.addLocalDocument(p.doctor, p.ids.tchitchi, { fileName: 'synthese.pdf', pdf: fakePdf(), typeCode: '60591-5' });
    svc.upload(p.doctor, doc.id);
    await svc.whenIdle();
    const v2 = svc.upload(p.doctor, doc.id, { invisibleToPatient: true });
    await svc.whenIdle();
    const corrected = fakePdf();
    const fixed = svc.addLocalDocument(p.doctor, p.ids.tchitchi, { fileName: 'synthese-corrigee.pdf', pdf: corrected, typeCode: '60591-5', replacesDocumentId: doc.id });
    svc.upload(p.doctor, fixed.id);
    await svc.whenIdle();

    const ups = svc.uploads(p.ids.tchitchi);
    expect(ups.map((u) => [u.documentId, u.version, u.status])).toEqual([
      [fixed.id, 3, 'envoye'],
      [doc.id, 2, 'envoye'],
      [doc.id, 1, 'envoye'],
    ]);
    expect(new Set(ups.map((u) => u.setId)).size).toBe(1);
    expect(ups[1]!.label).toMatch(/\(version 2\)$/);
    expect(v2.visibility).toEqual({ hiddenFromProfessionals: false, invisibleToPatient: true, invisibleToLegalRepresentatives: false });

    const current = await svc.documents(p.doctor, p.ids.tchitchi);
    expect(current.map((d) => d.uniqueId)).toEqual([ups[0]!.cdaId]);
    const all = await svc.documents(p.doctor, p.ids.tchitchi, { includeReplaced: true });
    expect(Object.fromEntries(all.map((d) => [d.uniqueId, d.status]))).toEqual({
      [ups[0]!.cdaId]: 'Approved',
      [ups[1]!.cdaId]: 'Deprecated',
      [ups[2]!.cdaId]: 'Deprecated',
    });
    const v2Entry = all.find((d) => d.uniqueId === ups[1]!.cdaId)!;
    expect(v2Entry.visibilityLabels).toEqual(['Non visible par le patient']);
    const filtered = await svc.documents(p.doctor, p.ids.tchitchi, { includeReplaced: true, visibility: ['INVISIBLE_PATIENT'] });
    expect(filtered.map((d) => d.uniqueId)).toEqual([ups[1]!.cdaId]);
    const got = await svc.retrieve(p.doctor, p.ids.tchitchi, current[0]!.uniqueId, current[0]!.repositoryUniqueId!);
    expect(got.data.equals(corrected)).toBe(true);
    expect(() => svc.upload(p.doctor, doc.id)).toThrow('Ce document a été remplacé par une version plus récente : envoyez la nouvelle version.');
  });

  it('keeps an upload « en attente » while the DMP is down and sends it after both restart (same dataDir)', async () => {
    const dmpDir = mkdtempSync(join(tmpdir(), 'lgc-dmp-standin-'));
    cleanups.push(() => rmSync(dmpDir, { recursive: true, force: true }));
    let dmp = await startDmpStandIn({ dataDir: dmpDir, patients: STANDIN });
    const port = Number(new URL(dmp.url).port);
    const endpoint = dmp.url;
    await dmp.close();

    const p = practiceDb();
    const before = p.service(endpoint);
    before.start();
    before.setConsent(p.doctor, p.ids.corse, { informed: true, opposed: false });
    const content = fakePdf();
    const doc = before.addLocalDocument(p.doctor, p.ids.corse, { fileName: 'cr.pdf', pdf: content, typeCode: '11488-4' });
    before.upload(p.doctor, doc.id);
    await before.whenIdle();
    expect(before.uploads(p.ids.corse)[0]).toMatchObject({ status: 'en_attente', label: 'en attente', attempts: 1, lastError: 'DMP injoignable : vérifiez la connexion réseau.' });
    await before.stop();

    dmp = await startDmpStandIn({ port, dataDir: dmpDir, patients: STANDIN });
    cleanups.push(() => dmp.close());
    const after = p.service(endpoint); // the application restarted on the same database and dataDir
    after.start();
    await after.flush(); // « Réessayer maintenant » (otherwise the 15 s backoff)
    expect(after.uploads(p.ids.corse)[0]).toMatchObject({ status: 'envoye', attempts: 2, lastError: null });
    const [listed] = await after.documents(p.doctor, p.ids.corse);
    expect((await after.retrieve(p.doctor, p.ids.corse, listed!.uniqueId, listed!.repositoryUniqueId!)).data.equals(content)).toBe(true);
  });

  it('ends an upload refused by the DMP in « erreur : <message> » and refreshes the badge', async () => {
    const dmp = await startDmpStandIn({ patients: STANDIN });
    cleanups.push(() => dmp.close());
    const p = practiceDb();
    const svc = p.service(dmp.url);
    expect((await badgesOf(svc, [p.ids.corse], p.doctor))[0]!.state).toBe('actif');
    svc.setConsent(p.doctor, p.ids.corse, { informed: true, opposed: false });
    const doc = svc.addLocalDocument(p.doctor, p.ids.corse, { fileName: 'cr.pdf', pdf: fakePdf(), typeCode: '11488-4' });
    svc.upload(p.doctor, doc.id);
    dmp.setPatientStatus(PEOPLE.corse.insMatricule!, 'INTERDIT');
    const events: string[] = [];
    svc.on('change', (c) => events.push(c.kind === 'upload' ? c.status : 'status'));
    svc.start();
    await svc.whenIdle();
    const [u] = svc.uploads(p.ids.corse);
    expect(u).toMatchObject({
      status: 'erreur',
      attempts: 1,
      label: 'erreur : Accès au DMP de ce patient refusé. Détail : Alimentation impossible : accès au DMP au statut INTERDIT.',
    });
    expect(events).toEqual(['envoi', 'erreur', 'status']);
    expect(svc.statuses([p.ids.corse], p.doctor)[0]).toMatchObject({ state: 'interdit', label: 'Accès interdit' });
    const audit = createAuditRepo(p.db).list({ patientId: p.ids.corse, limit: 10 }).find((a) => a.action === 'dmp.envoi.erreur');
    expect(JSON.parse(audit!.detail!).erreur).toContain('Accès au DMP de ce patient refusé.');
  });

  it('counts documents added by other professionals since the last consultation', async () => {
    const dmp = await startDmpStandIn({ patients: STANDIN });
    cleanups.push(() => dmp.close());
    const p = practiceDb();
    const svc = p.service(dmp.url);
    const colleagueClient = createDmpClient({ endpoint: dmp.url, vihfSigner: signer });
    const patient = { insMatricule: '236066322083656', insOid: TEST_OID, identityStatus: 'QUAL' as const, birthName: 'TCHITCHI', birthGivenNames: ['CATARINA'], birthDate: '1936-06-21', sex: 'F' as const, birthplaceCode: '63220', localId: 'X1' };
    await svc.documents(p.doctor, p.ids.tchitchi); // a first visit
    const cda = buildCdaN1({ pdf: fakePdf(), typeCode: '34133-9', patient, author: colleague, practice: { ...practice, name: 'Clinique', structureId: '399999999900011' } });
    await colleagueClient.provideDocument(cda.xml, buildDocumentEntry(cda.xml, {}), { professional: colleague, practice });

    const [badge] = await badgesOf(svc, [p.ids.tchitchi], p.doctor);
    expect(badge).toMatchObject({ state: 'mes_active', documentsByOthersSinceLastVisit: 1 });
    expect(badge!.latestDocuments[0]).toMatchObject({ typeCode: '34133-9', typeLabel: 'Synthèse d\'épisode de soins' });

    const docs = await svc.documents(p.doctor, p.ids.tchitchi, { author: 'martin' });
    expect(docs.find((d) => d.uniqueId === cda.id)).toMatchObject({ byOthers: true, newSinceLastVisit: true, localDocumentId: null });
    expect(svc.statuses([p.ids.tchitchi], p.doctor)[0]!.documentsByOthersSinceLastVisit).toBe(0);
  });

  it('gives the seeded sandbox practice every kind of badge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgc-dmp-seed-'));
    const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
    cleanups.push(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    seedDemoPractice(db, { patients: 120 });
    const all = [...createPatientsRepo(db).iterateAll()];
    const dmp = await startDmpStandIn({ patients: dmpDemoPatients(all) });
    cleanups.push(() => dmp.close());
    const doctor = db.prepare("SELECT id, given_name || ' ' || family_name AS name, national_id FROM users WHERE role = 'doctor' LIMIT 1").get() as { id: number; name: string; national_id: string };
    const actor: Actor = { userId: doctor.id, displayName: doctor.name, role: 'doctor' };
    const svc = createDmpAppService({
      db,
      dataDir: dir,
      audit: createAuditRepo(db),
      client: createDmpClient({ endpoint: dmp.url, vihfSigner: sandboxVihfSigner() }),
      contextFor: () => ({ professional: { ...author, nationalId: doctor.national_id }, practice }),
    });
    cleanups.unshift(() => svc.stop());
    const badges = await badgesOf(svc, all.map((x) => x.id), actor);
    const states = new Set(badges.map((b) => b.state));
    expect([...states].sort()).toEqual(['actif', 'expire', 'inexistant', 'interdit', 'mes_active', 'non_verifiable']);
    expect(badges.filter((b) => b.state === 'non_verifiable').every((b) => b.label === 'Non vérifiable : INS non qualifiée')).toBe(true);
  });
});
