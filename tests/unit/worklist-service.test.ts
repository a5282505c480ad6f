import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPatientService, type Actor } from '../../electron/services/identity/patients';
import { parseMssMessage } from '../../electron/services/mail/parse';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo, type PatientFields } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';
import { createBlobStore } from '../../electron/services/worklist/blob-store';
import { recordImportedMessage } from '../../electron/services/worklist/import';
import { createPatientLookup } from '../../electron/services/worklist/lookup';
import { createWorklistService, type WorklistSettings } from '../../electron/services/worklist/worklist-service';
import { buildMssMessage, buildSampleXdmZip, MINIMAL_PDF, TEST_PATIENT, type SampleDocOptions } from '../helpers/mss-message';

const QUAL_PATIENT: PatientFields = {
  birthName: TEST_PATIENT.birthName,
  birthGivenNames: [...TEST_PATIENT.givenNames],
  birthDate: TEST_PATIENT.birthDate,
  sex: TEST_PATIENT.sex,
  birthplaceCode: TEST_PATIENT.birthplaceCode,
  usedName: null,
  usedGivenName: null,
  insMatricule: TEST_PATIENT.ins.matricule,
  insOid: TEST_PATIENT.ins.oid,
  identityStatus: 'QUAL',
  externalId: null,
};

describe('worklist service', () => {
  let db: Db;
  let dir: string;
  let secretary: Actor;
  let doctor: Actor;
  let patientsRepo: ReturnType<typeof createPatientsRepo>;
  let patientService: ReturnType<typeof createPatientService>;
  let changes: number;
  let seq = 0;

  const addPatient = (over: Partial<PatientFields> = {}) => {
    const id = patientsRepo.insert({ ...QUAL_PATIENT, ...over }, null);
    patientService.index.upsert(patientsRepo.get(id)!);
    return id;
  };

  const service = (settings: Partial<WorklistSettings> = {}) =>
    createWorklistService({
      db,
      patients: patientsRepo,
      audit: createAuditRepo(db),
      blobs: createBlobStore(dir),
      lookup: createPatientLookup({ patients: patientsRepo, index: patientService.index }),
      settings,
      extractPdfText: null,
      onChange: () => changes++,
    });

  /** Builds, records and ingests one MSSanté message; returns its items. */
  async function receive(
    worklist: ReturnType<typeof service>,
    docs: SampleDocOptions[] | null,
    extra: { pdfs?: { filename: string; content: Buffer }[]; subject?: string; dnt?: string } = {},
  ) {
    const raw = await buildMssMessage({
      from: 'labo@labo.mssante.fr',
      to: 'cabinet@cabinet.mssante.fr',
      subject: extra.subject ?? 'XDM/1.0/DDM+Compte rendu TCHITCHI Catarina 21/06/1936',
      ...(docs ? { xdmZip: await buildSampleXdmZip({ docs }) } : {}),
      ...(extra.pdfs ? { pdfs: extra.pdfs } : {}),
      messageId: `<m${++seq}@test>`,
      ...(extra.dnt ? { dispositionNotificationTo: extra.dnt } : {}),
    });
    const parsed = await parseMssMessage(raw);
    const { id } = recordImportedMessage(db, { content: raw, messageId: parsed.messageId ?? null, sender: 'labo@labo.mssante.fr', subject: parsed.subject });
    return { items: await worklist.ingestParsedMessage({ id }, parsed), parsed, messageId: id };
  }

  const documents = () => db.prepare('SELECT id, patient_id, cda_id, version_number, replaced_by, deleted_by_sender_at, filed_by FROM documents ORDER BY id').all() as {
    id: number; patient_id: number; cda_id: string; version_number: number; replaced_by: number | null; deleted_by_sender_at: string | null; filed_by: number | null }[];
  const mdn = () => db.prepare('SELECT received_message_id, recipient, disposition, error_code, status FROM mdn_due').all();
  const auditActions = () => createAuditRepo(db).list({ limit: 100 }).map((a) => `${a.action}:${a.actor}`).reverse();

  beforeEach(() => {
    db = openDatabase({ file: ':memory:' });
    dir = mkdtempSync(join(tmpdir(), 'lgc-worklist-'));
    const users = createUsersRepo(db);
    const s = users.upsert({ nationalId: 'SEC1', familyName: 'DURAND', givenName: 'Sophie', role: 'secretary', professionCode: null, mssanteAddress: null });
    const d = users.upsert({ nationalId: '810000000001', familyName: 'CHARLES', givenName: 'Pascal', role: 'doctor', professionCode: '10', mssanteAddress: null });
    secretary = { userId: s.id, displayName: 'Sophie DURAND', role: 'secretary' };
    doctor = { userId: d.id, displayName: 'Dr Pascal CHARLES', role: 'doctor' };
    patientsRepo = createPatientsRepo(db);
    patientService = createPatientService({ patients: patientsRepo, audit: createAuditRepo(db), transaction: (fn) => db.transaction(fn)() });
    changes = 0;
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('confirm mode: a certain document is pre-attached, one action files it, the doctor validates', async () => {
    const pid = addPatient();
    const worklist = service({ autoIntegration: 'confirm' });
    const { items } = await receive(worklist, [{}]);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'propose', rule: 'auto', patientId: pid, patientLabel: 'TCHITCHI Catarina', typeCode: '11488-4', read: false, sender: 'labo@labo.mssante.fr', mailbox: 'import-fichiers@lgc.local', subject: 'Compte rendu TCHITCHI Catarina 21/06/1936' });
    expect(documents()).toEqual([]);

    expect(worklist.acceptAllCertain(secretary)).toEqual({ accepted: 1, skipped: 0 });
    const [item] = worklist.list({ status: ['integre'] });
    expect(item).toMatchObject({ id: items[0]!.id, confirmedBy: 'Sophie DURAND', needsValidation: true, validatedBy: null });
    expect(documents()).toEqual([expect.objectContaining({ patient_id: pid, cda_id: '1.2.250.1.999.1.1', filed_by: secretary.userId })]);
    expect(worklist.list({ toValidate: true }).map((i) => i.id)).toEqual([item!.id]);

    expect(() => worklist.validate(secretary, item!.id)).toThrow(/réservée au médecin/);
    expect(worklist.validate(doctor, item!.id)).toMatchObject({ needsValidation: false, validatedBy: 'Dr Pascal CHARLES' });
    expect(auditActions()).toEqual([
      'worklist.reception:LGC Ségur (automatique)',
      'worklist.classement:Sophie DURAND',
      'worklist.acceptation_groupee:Sophie DURAND',
      'worklist.validation:Dr Pascal CHARLES',
    ]);
    expect(changes).toBeGreaterThanOrEqual(3);
  });

  it('direct mode: filed on reception by the software; integration receipt due when asked', async () => {
    const pid = addPatient();
    const worklist = service({ autoIntegration: 'direct', requireDoctorValidation: false });
    const { items, messageId } = await receive(worklist, [{}], { dnt: 'labo@labo.mssante.fr' });
    expect(items[0]).toMatchObject({ status: 'integre', rule: 'auto', patientId: pid, confirmedBy: 'LGC Ségur (automatique)', needsValidation: false });
    expect(documents()).toEqual([expect.objectContaining({ patient_id: pid, filed_by: null })]);
    expect(mdn()).toEqual([{ received_message_id: messageId, recipient: 'labo@labo.mssante.fr', disposition: 'processed', error_code: null, status: 'pending' }]);
  });

  it('is idempotent per message and document', async () => {
    addPatient();
    const worklist = service();
    const first = await receive(worklist, [{}, { cdaId: '1.2.250.1.999.1.2', setId: '1.2.250.1.999.2.2' }]);
    const again = await worklist.ingestParsedMessage({ id: first.messageId }, first.parsed);
    expect(again.map((i) => i.id)).toEqual(first.items.map((i) => i.id));
    expect(worklist.list()).toHaveLength(2);
  });

  it('a document already filed is "déjà intégré", never filed twice', async () => {
    const pid = addPatient();
    const worklist = service({ autoIntegration: 'direct' });
    await receive(worklist, [{}]);
    const { items } = await receive(worklist, [{ title: 'Même document, nouvel envoi' }]);
    expect(items[0]).toMatchObject({ status: 'integre', patientId: pid, note: expect.stringMatching(/^Déjà intégré le .* dans le dossier de TCHITCHI Catarina\.$/) });
    expect(documents()).toHaveLength(1);
  });

  it('a pending duplicate becomes "déjà intégré" when the first copy is filed', async () => {
    addPatient({ identityStatus: 'VALI' });
    const worklist = service();
    const a = await receive(worklist, [{}]);
    const b = await receive(worklist, [{}]);
    expect(b.items[0]!.note).toMatch(/déjà reçu dans un autre message/);
    worklist.accept(secretary, a.items[0]!.id);
    expect(worklist.accept(secretary, b.items[0]!.id)).toMatchObject({ status: 'integre', note: expect.stringMatching(/^Déjà intégré/) });
    expect(documents()).toHaveLength(1);
  });

  it('replacement (action C, RPLC parent): the new version replaces the old one, history kept, undo restores', async () => {
    addPatient();
    const worklist = service({ autoIntegration: 'direct' });
    await receive(worklist, [{}]);
    const v2 = await receive(worklist, [{ cdaId: '1.2.250.1.999.1.9', version: 2, action: 'C', parentId: '1.2.250.1.999.1.1' }]);
    expect(v2.items[0]).toMatchObject({ status: 'integre', action: 'C', note: expect.stringMatching(/Remplace la version 1/) });
    const [d1, d2] = documents();
    expect(d1).toMatchObject({ cda_id: '1.2.250.1.999.1.1', replaced_by: d2!.id });
    expect(d2).toMatchObject({ cda_id: '1.2.250.1.999.1.9', version_number: 2, replaced_by: null });

    expect(worklist.undo(secretary, v2.items[0]!.id)).toMatchObject({ status: 'propose', rule: 'auto' });
    expect(documents()).toEqual([expect.objectContaining({ cda_id: '1.2.250.1.999.1.1', replaced_by: null })]);
    const detail = worklist.get(secretary, v2.items[0]!.id);
    expect(detail.history.map((h) => h.action)).toEqual([
      'Reçu : rattachement certain (INS qualifiée)',
      'Classé automatiquement (INS qualifiée, traits concordants) (annulé)',
      'Annulé : classé automatiquement (INS qualifiée, traits concordants)',
    ]);
  });

  it('same setId with a higher versionNumber replaces; an older version arriving late is kept in history', async () => {
    addPatient();
    const worklist = service({ autoIntegration: 'direct' });
    await receive(worklist, [{ cdaId: '1.2.250.1.999.1.3', version: 3 }]);
    await receive(worklist, [{ cdaId: '1.2.250.1.999.1.4', version: 4 }]);
    const late = await receive(worklist, [{ cdaId: '1.2.250.1.999.1.2', version: 2 }]);
    expect(late.items[0]!.note).toMatch(/version plus récente \(version 4\)|Version antérieure à la version 4/);
    const docs = documents();
    const byVersion = Object.fromEntries(docs.map((d) => [d.version_number, d]));
    expect(byVersion[3]!.replaced_by).toBe(byVersion[4]!.id);
    expect(byVersion[2]!.replaced_by).toBe(byVersion[4]!.id);
    expect(byVersion[4]!.replaced_by).toBeNull();
  });

  it('a new version whose previous one is in another patient file is a conflict, not filed', async () => {
    const pid = addPatient();
    const other = addPatient({ birthName: 'ADRTROIS', birthGivenNames: ['Dominique'], birthDate: '1997-02-26', insMatricule: '297022A02077878', birthplaceCode: '2A020' });
    const worklist = service({ autoIntegration: 'direct' });
    await receive(worklist, [{}]);
    expect(documents()[0]!.patient_id).toBe(pid);
    const v2 = await receive(worklist, [{
      cdaId: '1.2.250.1.999.1.9', version: 2, action: 'C', parentId: '1.2.250.1.999.1.1',
      ins: { matricule: '297022A02077878', oid: TEST_PATIENT.ins.oid }, birthName: 'ADRTROIS', givenNames: ['Dominique'], birthDate: '1997-02-26', birthplaceCode: '2A020',
    }]);
    expect(v2.items[0]).toMatchObject({ status: 'conflit', rule: 'conflict', patientId: other });
    expect(worklist.get(secretary, v2.items[0]!.id).conflict).toEqual([
      { field: 'Dossier de la version précédente', document: 'ADRTROIS Dominique', local: 'TCHITCHI Catarina' },
    ]);
    expect(documents()).toHaveLength(1);
  });

  it('deletion (action D): marked "supprimé par l’émetteur", removed only after confirmation, undoable', async () => {
    const pid = addPatient();
    const worklist = service({ autoIntegration: 'direct' });
    await receive(worklist, [{}]);
    const del = await receive(worklist, [{ action: 'D' }]);
    expect(del.items[0]).toMatchObject({ status: 'supprime_emetteur', action: 'D', patientId: pid, note: expect.stringMatching(/demande la suppression/) });
    expect(documents()[0]!.deleted_by_sender_at).toBeNull();
    expect(() => worklist.accept(secretary, del.items[0]!.id)).toThrow(/pas en attente/);

    expect(worklist.confirmDeletion(secretary, del.items[0]!.id)).toMatchObject({ status: 'integre', note: expect.stringMatching(/Suppression confirmée/) });
    expect(documents()[0]!.deleted_by_sender_at).not.toBeNull();
    expect(() => worklist.confirmDeletion(secretary, del.items[0]!.id)).toThrow(/Aucune demande/);

    expect(worklist.undo(secretary, del.items[0]!.id).status).toBe('supprime_emetteur');
    expect(documents()[0]!.deleted_by_sender_at).toBeNull();
  });

  it('open items word versions and deletions from the current state, not from their arrival', async () => {
    addPatient();
    const worklist = service(); // confirm mode: both versions wait in the worklist
    const v1 = await receive(worklist, [{}]);
    const v2 = await receive(worklist, [{ cdaId: '1.2.250.1.999.1.9', version: 2, action: 'C', parentId: '1.2.250.1.999.1.1' }]);
    const note = () => worklist.get(secretary, v2.items[0]!.id).item.note;
    expect(note()).toMatch(/Remplace une version encore dans la liste de travail/);
    worklist.accept(secretary, v1.items[0]!.id);
    expect(note()).toMatch(/Nouvelle version du document classé le .* \(version 1\) : elle le remplacera/);
    expect(note()).not.toMatch(/n’a pas été intégrée/);

    const del = await receive(worklist, [{ cdaId: '1.2.250.1.999.1.9', action: 'D' }]);
    const delNote = () => worklist.get(secretary, del.items[0]!.id).item.note;
    expect(delNote()).toMatch(/encore dans la liste de travail/);
    worklist.accept(secretary, v2.items[0]!.id);
    expect(delNote()).toMatch(/demande la suppression du document .* classé le .* dans le dossier de TCHITCHI Catarina/);
  });

  it('deletion of a document still pending in the worklist rejects it on confirmation', async () => {
    addPatient({ identityStatus: 'PROV' });
    const worklist = service();
    const pending = await receive(worklist, [{}]);
    const del = await receive(worklist, [{ action: 'D' }]);
    worklist.confirmDeletion(secretary, del.items[0]!.id);
    expect(worklist.list({ status: ['rejete'] }).map((i) => i.id)).toEqual([pending.items[0]!.id]);
  });

  it('INS of a non-qualified identity: proposed, accepted by a person, needs the doctor', async () => {
    const pid = addPatient({ identityStatus: 'RECUP' });
    const worklist = service({ autoIntegration: 'direct' });
    const { items } = await receive(worklist, [{}]);
    expect(items[0]).toMatchObject({ status: 'propose', rule: 'proposed', patientId: pid });
    expect(worklist.acceptAllCertain(secretary).accepted).toBe(0);
    expect(worklist.accept(secretary, items[0]!.id)).toMatchObject({ status: 'integre', needsValidation: true });
  });

  it('traits only: candidates listed, nothing pre-attached; the chosen patient files it', async () => {
    const pid = addPatient({ insMatricule: null, identityStatus: 'VALI' });
    const worklist = service({ autoIntegration: 'direct' });
    const { items } = await receive(worklist, [{ ins: null }]);
    expect(items[0]).toMatchObject({ status: 'propose', rule: 'proposed', patientId: null, candidateCount: 1 });
    expect(() => worklist.accept(secretary, items[0]!.id)).toThrow(/Aucun patient proposé/);
    const detail = worklist.get(secretary, items[0]!.id);
    expect(detail.candidates).toEqual([expect.objectContaining({ patientId: pid, label: 'TCHITCHI Catarina', identityStatus: 'VALI', score: 1 })]);
    expect(detail.documentPatient).toEqual({ birthName: 'TCHITCHI', givenNames: ['Catarina', 'Bella'], birthDate: '1936-06-21', sex: 'F', insPresent: false });
    expect(worklist.changePatient(secretary, items[0]!.id, pid)).toMatchObject({ status: 'integre', patientId: pid });
  });

  it('conflict: never accepted with one keystroke; a secretary may not overrule a different INS, a doctor may', async () => {
    const local = addPatient();
    const worklist = service();
    const { items } = await receive(worklist, [{ birthDate: '1936-06-12' }]);
    expect(items[0]).toMatchObject({ status: 'conflit', rule: 'conflict', patientId: local });
    expect(() => worklist.accept(secretary, items[0]!.id)).toThrow(/Conflit d’identité/);
    expect(worklist.get(secretary, items[0]!.id).conflict).toEqual([{ field: 'Date de naissance', document: '12/06/1936', local: '21/06/1936' }]);

    const other = addPatient({ birthName: 'ADRTROIS', birthGivenNames: ['Dominique'], birthDate: '1997-02-26', insMatricule: '297022A02077878', birthplaceCode: '2A020' });
    expect(() => worklist.changePatient(secretary, items[0]!.id, other)).toThrow(/seul un médecin/);
    // Settling the conflict on the identity with the same INS: filed, and a doctor validates even if the practice does not require it.
    const lenient = service({ requireDoctorValidation: false });
    expect(lenient.changePatient(secretary, items[0]!.id, local)).toMatchObject({ status: 'integre', needsValidation: true });
    lenient.undo(secretary, items[0]!.id);
    expect(lenient.changePatient(doctor, items[0]!.id, other)).toMatchObject({ status: 'integre', patientId: other, validatedBy: 'Dr Pascal CHARLES' });
  });

  it('"accept all certain" re-checks the identity: no longer qualified → proposed again', async () => {
    const pid = addPatient();
    const worklist = service();
    const { items } = await receive(worklist, [{}]);
    patientsRepo.update(pid, { ...QUAL_PATIENT, identityStatus: 'VALI' });
    expect(worklist.acceptAllCertain(secretary)).toEqual({ accepted: 0, skipped: 1 });
    const detail = worklist.get(secretary, items[0]!.id);
    expect(detail.item.rule).toBe('proposed');
    expect(detail.reasons.at(-1)).toMatch(/n’est plus qualifiée/);
  });

  it('reject: a reason is required, the receipt reports the error, undo brings it back', async () => {
    const worklist = service();
    const { items, messageId } = await receive(worklist, [{ ins: null }], { dnt: 'labo@labo.mssante.fr' });
    expect(items[0]!.rule).toBe('none');
    expect(() => worklist.reject(secretary, items[0]!.id, '  ')).toThrow(/motif/);
    expect(worklist.reject(secretary, items[0]!.id, 'Patient inconnu du cabinet')).toMatchObject({ status: 'rejete', note: 'Patient inconnu du cabinet' });
    expect(mdn()).toEqual([{ received_message_id: messageId, recipient: 'labo@labo.mssante.fr', disposition: 'error', error_code: 'PATIENT_INCONNU', status: 'pending' }]);
    expect(() => worklist.reject(secretary, items[0]!.id, 'encore')).toThrow(/déjà rejeté/);
    expect(worklist.undo(secretary, items[0]!.id)).toMatchObject({ status: 'a_classer', note: null });
    expect(mdn()).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    expect(() => worklist.undo(secretary, items[0]!.id)).toThrow(/Rien à annuler/);
  });

  it('"create patient" is pre-filled from the document, without the INS', async () => {
    const worklist = service();
    const { items } = await receive(worklist, [{ birthName: 'Le Goff', givenNames: ['Yann', 'Marie'], birthDate: '2001-02-03', sex: 'M', birthplaceCode: '29019' }]);
    expect(items[0]!.rule).toBe('none');
    expect(worklist.createPatientFromItem(secretary, items[0]!.id)).toEqual({
      birthName: 'LE GOFF',
      birthGivenNames: ['Yann', 'Marie'],
      birthDate: '2001-02-03',
      sex: 'M',
      birthplaceCode: '29019',
    });
  });

  it('plain PDF: patient from the subject, type from keywords, PDF served, read flag', async () => {
    const pid = addPatient({ insMatricule: null, identityStatus: 'PROV' });
    const worklist = service();
    const { items } = await receive(worklist, null, { pdfs: [{ filename: 'resultats.pdf', content: MINIMAL_PDF }], subject: 'Résultats de biologie TCHITCHI Catarina 21/06/1936' });
    expect(items[0]).toMatchObject({ status: 'propose', rule: 'proposed', typeCode: '11502-2', typeLabel: "CR d'examens biologiques", candidateCount: 1 });
    expect(worklist.get(secretary, items[0]!.id).candidates[0]!.patientId).toBe(pid);
    expect(worklist.list({ unreadOnly: true })).toEqual([]);
    expect(worklist.pdf(secretary, items[0]!.id)).toEqual({ base64: MINIMAL_PDF.toString('base64'), fileName: 'resultats.pdf' });
    expect(worklist.setRead(secretary, items[0]!.id, false).read).toBe(false);
  });

  it('lists with filters and sorts; detail carries the structured narrative and the history', async () => {
    addPatient();
    const worklist = service();
    await receive(worklist, [{ ins: null, code: { code: '18748-4', displayName: 'Imagerie' }, cdaId: '1.2.3.1', setId: '1.2.3.2' }]);
    const second = await receive(worklist, [{}]);
    expect(worklist.list({ sort: 'type' }).map((i) => i.typeLabel)).toEqual(["CR d'imagerie médicale", 'CR ou fiche de consultation ou de visite']);
    expect(worklist.list({ typeCode: '18748-4' })).toHaveLength(1);
    expect(worklist.list({ status: ['propose'], limit: 1 })).toHaveLength(1);
    expect(worklist.list({ patientId: second.items[0]!.patientId! }).map((i) => i.id)).toEqual([second.items[0]!.id]);
    expect(worklist.list({ mailbox: 'autre@x.fr' })).toEqual([]);
    const detail = worklist.get(secretary, second.items[0]!.id);
    expect(detail).toMatchObject({ title: 'Compte rendu de consultation', author: 'Jean MEDECIN — Cabinet du Parc', hasPdf: false });
    expect(detail.narrative[0]).toMatchObject({ title: 'Conclusion' });
    expect(detail.reasons[0]).toMatch(/INS qualifiée identique/);
    expect(worklist.list({ read: true }).map((i) => i.id)).toEqual([second.items[0]!.id]);
  });

  it('settings are the practice’s, changed by a doctor only', () => {
    const worklist = service();
    expect(worklist.settings()).toEqual({ autoIntegration: 'confirm', requireDoctorValidation: true });
    const stored = createWorklistService({
      db, patients: patientsRepo, audit: createAuditRepo(db), blobs: createBlobStore(dir),
      lookup: createPatientLookup({ patients: patientsRepo, index: patientService.index }), extractPdfText: null,
    });
    expect(() => stored.updateSettings(secretary, { autoIntegration: 'direct' })).toThrow(/réservée au médecin/);
    expect(stored.updateSettings(doctor, { autoIntegration: 'direct', requireDoctorValidation: false })).toEqual({ autoIntegration: 'direct', requireDoctorValidation: false });
    expect(stored.settings().autoIntegration).toBe('direct');
  });
  it('a message whose only attachment is unreadable becomes one item saying so: never filed, rejectable, raw kept', async () => {
    const worklist = service();
    addPatient();
    const raw = await buildMssMessage({
      from: 'labo@labo.mssante.fr',
      to: 'cabinet@cabinet.mssante.fr',
      subject: 'XDM/1.0/DDM+Compte rendu TCHITCHI Catarina 21/06/1936',
      xdmZip: Buffer.from('PK\u0003\u0004 pas une archive, tronquée'),
      messageId: '<illisible@test>',
    });
    const parsed = await parseMssMessage(raw);
    expect(parsed.documents).toEqual([]);
    expect(parsed.problems.length).toBeGreaterThan(0);
    const { id: messageId } = recordImportedMessage(db, { content: raw, messageId: parsed.messageId ?? null, sender: 'labo@labo.mssante.fr', subject: parsed.subject });
    const items = await worklist.ingestParsedMessage({ id: messageId }, parsed);
    expect(items).toHaveLength(1);
    const item = items[0]!;
    expect(item).toMatchObject({ status: 'a_classer', rule: 'none', patientId: null });
    expect(item.note).toContain('Aucun document lisible');
    expect(item.note).toContain(parsed.problems[0]!.message);
    expect(worklist.get(secretary, item.id).reasons).toContain(parsed.problems[0]!.message);
    // Ingesting the same message again (restart, resync) does not add a second item.
    expect((await worklist.ingestParsedMessage({ id: messageId }, parsed)).map((i) => i.id)).toEqual([item.id]);
    // Nothing to file: accepting or attaching is refused in French; rejecting closes it.
    expect(() => worklist.accept(secretary, item.id)).toThrow(/Aucun document lisible/);
    expect(() => worklist.changePatient(secretary, item.id, 1)).toThrow(/Aucun document lisible/);
    expect(worklist.reject(secretary, item.id, 'Nouvel envoi demandé au laboratoire')).toMatchObject({ status: 'rejete' });
    expect(documents()).toEqual([]);
    // The received message stays recorded.
    const kept = db.prepare('SELECT id FROM received_messages WHERE id = ?').get(messageId);
    expect(kept).toBeTruthy();
  });

  it('a plain message without any attachment and without problems adds nothing to the worklist', async () => {
    const worklist = service();
    const { items } = await receive(worklist, null, { subject: 'Question sur un rendez-vous' });
    expect(items).toEqual([]);
  });
});
