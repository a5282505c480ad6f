import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingestCommand } from '../../electron/cli/commands/ingest';
import { createPatientService, type Actor } from '../../electron/services/identity/patients';
import { parseMssMessage } from '../../electron/services/mail/parse';
import { readXdmArchive } from '../../electron/services/mail/xdm';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo, type PatientFields } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';
import { createBlobStore } from '../../electron/services/worklist/blob-store';
import { recordImportedMessage } from '../../electron/services/worklist/import';
import { createPatientLookup } from '../../electron/services/worklist/lookup';
import { createWorklistService, type WorklistSettings } from '../../electron/services/worklist/worklist-service';
import { buildSampleXdmZip } from '../helpers/mss-message';

/**
 * The ANS example archives (ansforge/interop-exemples-xdm) through the worklist: their patient
 * PAT-TROIS Dominique (INS test root .10) seeded as QUAL → automatic; as PROV → proposed; the
 * replacement (C) and deletion (D) variants; and never an automatic decision for anyone else.
 */
const FIXTURES = resolve(process.env.LGC_ANS_XDM_DIR ?? join(process.cwd(), '..', 'shared', 'fixtures', 'ans-xdm'));
const available = existsSync(FIXTURES) && readdirSync(FIXTURES).some((f) => f.endsWith('.zip'));
if (!available) console.log(`worklist-ans-fixtures : ignoré — exemples ANS absents (${FIXTURES}).`);

const PAT_TROIS: PatientFields = {
  birthName: 'PAT-TROIS',
  birthGivenNames: ['Dominique', 'Marie-Louise'],
  birthDate: '1979-03-28',
  sex: 'F',
  birthplaceCode: '51215',
  usedName: null,
  usedGivenName: null,
  insMatricule: '279035121518989',
  insOid: '1.2.250.1.213.1.4.10',
  identityStatus: 'QUAL',
  externalId: null,
};

const zip = (name: string) => readFileSync(join(FIXTURES, name));

async function messageWith(xdm: Buffer, dnt?: string): Promise<Buffer> {
  return new MailComposer({
    from: 'labo@labo.mssante.fr',
    to: 'cabinet@cabinet.mssante.fr',
    subject: 'XDM/1.0/DDM+Compte rendu PAT-TROIS Dominique 28/03/1979',
    text: 'Veuillez trouver ci-joint le compte rendu.',
    attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm, contentType: 'application/zip' }],
    ...(dnt ? { headers: { 'Disposition-Notification-To': dnt } } : {}),
  }).compile().build();
}

describe.skipIf(!available)('worklist with the ANS IHE_XDM examples', () => {
  let db: Db;
  let dir: string;
  let secretary: Actor;
  let patientsRepo: ReturnType<typeof createPatientsRepo>;
  let patients: ReturnType<typeof createPatientService>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lgc-worklist-ans-'));
    db = openDatabase({ file: join(dir, 'lgc.sqlite') });
    const u = createUsersRepo(db).upsert({ nationalId: 'SEC1', familyName: 'DURAND', givenName: 'Sophie', role: 'secretary', professionCode: null, mssanteAddress: null });
    secretary = { userId: u.id, displayName: 'Sophie DURAND', role: 'secretary' };
    patientsRepo = createPatientsRepo(db);
    patients = createPatientService({ patients: patientsRepo, audit: createAuditRepo(db), transaction: (fn) => db.transaction(fn)() });
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const seed = (over: Partial<PatientFields> = {}) => {
    const id = patientsRepo.insert({ ...PAT_TROIS, ...over }, null);
    patients.index.upsert(patientsRepo.get(id)!);
    return id;
  };

  const worklistWith = (settings: Partial<WorklistSettings>) =>
    createWorklistService({
      db,
      patients: patientsRepo,
      audit: createAuditRepo(db),
      blobs: createBlobStore(dir),
      lookup: createPatientLookup({ patients: patientsRepo, index: patients.index }),
      settings,
      extractPdfText: null,
    });

  async function ingest(worklist: ReturnType<typeof worklistWith>, xdm: Buffer, dnt?: string) {
    const raw = await messageWith(xdm, dnt);
    const parsed = await parseMssMessage(raw);
    const { id } = recordImportedMessage(db, { content: raw, messageId: parsed.messageId ?? null, sender: 'labo@labo.mssante.fr', subject: parsed.subject });
    return worklist.ingestParsedMessage({ id }, parsed);
  }

  it('QUAL identity with the same INS and traits → automatic (filed directly, receipt due)', async () => {
    const pid = seed();
    const worklist = worklistWith({ autoIntegration: 'direct', requireDoctorValidation: false });
    const items = await ingest(worklist, zip('BIO-CR-BIO_2024.01_TSH_2.zip'), 'labo@labo.mssante.fr');
    expect(items).toEqual([expect.objectContaining({ rule: 'auto', status: 'integre', patientId: pid, typeCode: '11502-2', typeLabel: "CR d'examens biologiques" })]);
    expect(db.prepare('SELECT patient_id, origin, cda_id FROM documents').all()).toEqual([
      { patient_id: pid, origin: 'mssante', cda_id: '1.2.250.1.213.1.1.1.55.2024.10.1' },
    ]);
    expect(db.prepare('SELECT disposition, status FROM mdn_due').all()).toEqual([{ disposition: 'processed', status: 'pending' }]);
    const detail = worklist.get(secretary, items[0]!.id);
    expect(detail.hasPdf || detail.narrative.length > 0).toBe(true);
    expect(detail.documentPatient).toMatchObject({ birthName: 'PAT-TROIS', birthDate: '1979-03-28', insPresent: true });
  });

  it('PROV identity with the same INS → proposed, with the qualification offered', async () => {
    const pid = seed({ identityStatus: 'PROV' });
    const worklist = worklistWith({ autoIntegration: 'direct' });
    const items = await ingest(worklist, zip('BIO-CR-BIO_2024.01_TSH_2.zip'));
    expect(items[0]).toMatchObject({ rule: 'proposed', status: 'propose', patientId: pid });
    expect(worklist.get(secretary, items[0]!.id).reasons.join(' ')).toMatch(/qualifiez l’identité/);
    expect(db.prepare('SELECT count(*) AS n FROM documents').get()).toEqual({ n: 0 });
  });

  it('replacement (C) of a filed version, then deletion (D) after confirmation', async () => {
    const pid = seed();
    const worklist = worklistWith({ autoIntegration: 'direct', requireDoctorValidation: false });
    // Version 1 of the Microbiologie document, as the lab sent it before (same patient, ids of the ANS example).
    const v1 = await buildSampleXdmZip({
      docs: [{
        ins: { matricule: PAT_TROIS.insMatricule!, oid: PAT_TROIS.insOid! },
        birthName: 'PAT-TROIS', givenNames: ['DOMINIQUE', 'MARIE-LOUISE'], birthDate: '1979-03-28', sex: 'F', birthplaceCode: '51215',
        cdaId: '1.2.250.1.213.1.1.1.55.2024.8.1', setId: '1.2.250.1.213.1.1.1.55.2024.8', version: 1,
        code: { code: '11502-2', displayName: 'CR de biologie' },
      }],
    });
    expect((await ingest(worklist, v1))[0]).toMatchObject({ rule: 'auto', status: 'integre' });

    const v2 = await ingest(worklist, zip('BIO-CR-BIO_2024.01_Microbiologie_V2.zip'));
    expect(v2[0]).toMatchObject({ rule: 'auto', status: 'integre', action: 'C', patientId: pid, note: expect.stringMatching(/Remplace la version 1/) });
    const docs = db.prepare('SELECT id, cda_id, replaced_by, deleted_by_sender_at FROM documents ORDER BY id').all() as { id: number; cda_id: string; replaced_by: number | null; deleted_by_sender_at: string | null }[];
    expect(docs).toEqual([
      { id: docs[0]!.id, cda_id: '1.2.250.1.213.1.1.1.55.2024.8.1', replaced_by: docs[1]!.id, deleted_by_sender_at: null },
      { id: docs[1]!.id, cda_id: '1.2.250.1.213.1.1.1.55.2024.8.2', replaced_by: null, deleted_by_sender_at: null },
    ]);

    const del = await ingest(worklist, zip('BIO-CR-BIO_2024.01_Microbiologie_V2_Delete.zip'));
    expect(del[0]).toMatchObject({ status: 'supprime_emetteur', action: 'D', patientId: pid });
    expect(db.prepare('SELECT deleted_by_sender_at FROM documents WHERE id = ?').get(docs[1]!.id)).toEqual({ deleted_by_sender_at: null });
    worklist.confirmDeletion(secretary, del[0]!.id);
    expect((db.prepare('SELECT deleted_by_sender_at FROM documents WHERE id = ?').get(docs[1]!.id) as { deleted_by_sender_at: string | null }).deleted_by_sender_at).not.toBeNull();
  });

  it('a plain PDF (the lab report of an example) is matched from its text, never automatically', async () => {
    const pid = seed();
    const worklist = createWorklistService({
      db, patients: patientsRepo, audit: createAuditRepo(db), blobs: createBlobStore(dir),
      lookup: createPatientLookup({ patients: patientsRepo, index: patients.index, db }), settings: { autoIntegration: 'direct' },
    });
    const pdf = (await readXdmArchive(zip('BIO-CR-BIO_2024.01_TSH_2.zip'))).documents[0]!.cda!.pdf!;
    const raw = await new MailComposer({
      from: 'labo@labo.mssante.fr', to: 'cabinet@cabinet.mssante.fr', subject: 'Envoi', text: 'Bonjour',
      attachments: [{ filename: 'scan0001.pdf', content: pdf, contentType: 'application/pdf' }],
    }).compile().build();
    const parsed = await parseMssMessage(raw);
    const { id } = recordImportedMessage(db, { content: raw, subject: parsed.subject });
    const [item] = await worklist.ingestParsedMessage({ id }, parsed);
    expect(item).toMatchObject({ rule: 'proposed', status: 'propose', patientId: null, typeCode: '11502-2' });
    const detail = worklist.get(secretary, item!.id);
    expect(detail.candidates[0]).toMatchObject({ patientId: pid, matched: expect.arrayContaining(['nom de naissance', 'prénom', 'date de naissance', 'sexe']) });
    expect(detail.hasPdf).toBe(true);
  });

  it('over every example: automatic only for the seeded QUAL identity with agreeing traits', async () => {
    const pid = seed();
    const worklist = worklistWith({ autoIntegration: 'confirm' });
    const outcome: Record<string, string> = {};
    for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.zip')).sort()) {
      for (const item of await ingest(worklist, zip(f))) {
        outcome[f] = item.rule;
        if (item.rule === 'auto') {
          expect(item.patientId).toBe(pid);
          const id = worklist.decision(item.id).identity;
          expect({ birthName: id.birthName, first: id.givenNames[0]?.toUpperCase(), birthDate: id.birthDate, sex: id.sex }).toEqual({ birthName: 'PAT-TROIS', first: 'DOMINIQUE', birthDate: '1979-03-28', sex: 'F' });
        }
      }
    }
    expect(outcome['BIO-CR-BIO_2024.01_TSH_2.zip']).toBe('auto');
    expect(outcome['CANCER-PPS_2022.01_Autopresentable.zip']).toBe('conflict'); // same INS, other birth date
    expect(outcome['BIO-CR-BIO_2023.01_Electrophorese.zip']).toBe('conflict'); // same INS, other birthplace
    expect(outcome['CSE-CS8_2024.01.zip']).not.toBe('auto'); // INS key invalid
    expect(outcome['OBP-SCM_2024.01.zip']).toBe('none'); // another patient (INS .8) unknown here
    expect(Object.values(outcome).filter((r) => r === 'auto').length).toBeGreaterThan(40);
  });
});

describe.skipIf(!available)('lgc ingest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lgc-ingest-'));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<{ code: number; lines: Record<string, unknown>[] }> {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const code = await ingestCommand(args);
    vi.restoreAllMocks();
    return { code, lines: out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('prints one JSON line per document with the decision, idempotently', async () => {
    const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
    const pid = createPatientsRepo(db).insert({ ...PAT_TROIS, identityStatus: 'PROV' }, null);
    db.close();
    const files = ['BIO-CR-BIO_2024.01_TSH_2.zip', 'BIO-CR-BIO_2024.01_Microbiologie_V2_Delete.zip'].map((f) => join(FIXTURES, f));
    const first = await run(['--data-dir', dir, '--json', ...files, join(dir, 'absent.pdf')]);
    expect(first.code).toBe(1);
    expect(first.lines).toEqual([
      expect.objectContaining({ file: files[0], documentId: '1.2.250.1.213.1.1.1.55.2024.10.1', decision: 'proposed', patientId: pid, typeCode: '11502-2', typeLabel: "CR d'examens biologiques", action: null }),
      expect.objectContaining({ file: files[1], documentId: '1.2.250.1.213.1.1.1.55.2024.8.2', decision: 'proposed', status: 'supprime_emetteur', action: 'D' }),
      { file: join(dir, 'absent.pdf'), error: expect.stringMatching(/fichier illisible/) },
    ]);
    expect((first.lines[0]!.candidates as { matched: string[] }[])[0]!.matched).toContain('INS');
    const again = await run(['--data-dir', dir, '--json', files[0]!]);
    expect(again).toEqual({ code: 0, lines: [expect.objectContaining({ itemId: first.lines[0]!.itemId })] });
  });
});
