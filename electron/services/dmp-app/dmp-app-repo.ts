import type { DmpAccessStatus } from '../dmp/types';
import type { Db } from '../store/db';
import type { UploadStatus } from './policy';

/** SQL of the DMP application service (tables of migration 0005). */

export interface StatusRow {
  patient_id: number;
  ins_matricule: string | null;
  status: DmpAccessStatus | null;
  mes_activated: number | null;
  last_document_date: string | null;
  checked_at: string | null;
  error: string | null;
  error_kind: 'hors_ligne' | 'dmp' | null;
  error_at: string | null;
  latest_documents: string | null;
  documents_by_others_since_last_visit: number | null;
  last_visit_at: string | null;
  visit_seen_ids: string | null;
}

export interface PatientStatusRow extends Omit<StatusRow, 'patient_id' | 'ins_matricule' | 'visit_seen_ids'> {
  id: number;
  identity_status: 'PROV' | 'RECUP' | 'VALI' | 'QUAL';
  patient_ins: string | null;
  patient_ins_oid: string | null;
  cached_ins: string | null;
}

export interface ConsentRow {
  dmp_informed_at: string | null;
  dmp_opposed: number;
  dmp_consent_by: number | null;
  dmp_consent_at: string | null;
  consent_by_name: string | null;
}

export interface LocalDocumentRow {
  id: number;
  patient_id: number;
  origin: string;
  type_code: string | null;
  type_label: string | null;
  title: string | null;
  file_name: string | null;
  content_sha256: string | null;
  content_path: string | null;
  document_date: string | null;
  filed_at: string;
  replaced_by: number | null;
  dmp_upload_id: number | null;
}

export interface UploadRow {
  id: number;
  document_id: number;
  patient_id: number;
  hidden_from_professionals: number;
  invisible_to_patient: number;
  invisible_to_legal_representatives: number;
  status: UploadStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  cda_id: string;
  set_id: string;
  version: number;
  replaces_upload_id: number | null;
  cda_sha256: string;
  ins_matricule: string;
  context: string;
  entry_uuid: string | null;
  sent_at: string | null;
  created_at: string;
  created_by: number | null;
}

export type UploadListRow = UploadRow & { title: string | null; type_code: string | null; type_label: string | null; file_name: string | null };

const STATUS_COLUMNS = [
  'ins_matricule',
  'status',
  'mes_activated',
  'last_document_date',
  'checked_at',
  'error',
  'error_kind',
  'error_at',
  'latest_documents',
  'documents_by_others_since_last_visit',
  'last_visit_at',
  'visit_seen_ids',
] as const;
export type StatusColumn = (typeof STATUS_COLUMNS)[number];

export function createDmpAppRepo(db: Db) {
  const patientStatuses = db.prepare<[string], PatientStatusRow>(`SELECT p.id, p.identity_status, p.ins_matricule AS patient_ins,
      p.ins_oid AS patient_ins_oid, s.ins_matricule AS cached_ins, s.status, s.mes_activated, s.last_document_date, s.checked_at,
      s.error, s.error_kind, s.error_at, s.latest_documents, s.documents_by_others_since_last_visit, s.last_visit_at
    FROM patients p LEFT JOIN dmp_status s ON s.patient_id = p.id WHERE p.id IN (SELECT value FROM json_each(?))`);
  const statusOf = db.prepare<[number], StatusRow>('SELECT * FROM dmp_status WHERE patient_id = ?');
  const upserts = new Map<string, ReturnType<Db['prepare']>>();

  const consentOf = db.prepare<[number], ConsentRow>(`SELECT p.dmp_informed_at, p.dmp_opposed, p.dmp_consent_by, p.dmp_consent_at,
      CASE WHEN u.id IS NULL THEN NULL ELSE u.given_name || ' ' || u.family_name END AS consent_by_name
    FROM patients p LEFT JOIN users u ON u.id = p.dmp_consent_by WHERE p.id = ?`);
  const setConsent = db.prepare(`UPDATE patients SET dmp_informed_at = ?, dmp_opposed = ?, dmp_consent_by = ?, dmp_consent_at = ? WHERE id = ?`);

  const insertDocument = db.prepare(`INSERT INTO documents (patient_id, origin, type_code, type_label, title, document_date,
      content_sha256, mime_type, filed_at, filed_by, file_name, content_path)
    VALUES (@patientId, 'local', @typeCode, @typeLabel, @title, @date, @sha256, 'application/pdf', @date, @userId, @fileName, @contentPath)`);
  const documentById = db.prepare<[number], LocalDocumentRow>(`SELECT id, patient_id, origin, type_code, type_label, title, file_name,
      content_sha256, content_path, document_date, filed_at, replaced_by, dmp_upload_id FROM documents WHERE id = ?`);
  const predecessor = db.prepare<[number], { id: number }>(`SELECT id FROM documents WHERE replaced_by = ? ORDER BY id DESC LIMIT 1`);
  const markReplaced = db.prepare('UPDATE documents SET replaced_by = ? WHERE id = ?');
  const documentVersion = db.prepare('UPDATE documents SET cda_id = ?, set_id = ?, version_number = ?, dmp_upload_id = ? WHERE id = ?');

  const insertUpload = db.prepare(`INSERT INTO dmp_uploads (document_id, patient_id, hidden_from_professionals, invisible_to_patient,
      invisible_to_legal_representatives, status, attempts, next_attempt_at, cda_id, set_id, version, replaces_upload_id, cda_sha256,
      ins_matricule, context, created_at, created_by)
    VALUES (@documentId, @patientId, @hidden, @invisiblePatient, @invisibleLegal, 'en_attente', 0, @createdAt, @cdaId, @setId, @version,
      @replacesUploadId, @cdaSha256, @ins, @context, @createdAt, @createdBy)`);
  const uploadById = db.prepare<[number], UploadRow>('SELECT * FROM dmp_uploads WHERE id = ?');
  const latestSent = db.prepare<[number], UploadRow>(
    `SELECT * FROM dmp_uploads WHERE document_id = ? AND status = 'envoye' ORDER BY version DESC, id DESC LIMIT 1`,
  );
  const active = db.prepare<[number], UploadRow>(
    `SELECT * FROM dmp_uploads WHERE document_id = ? AND status IN ('en_attente', 'envoi') ORDER BY id LIMIT 1`,
  );
  const nextDue = db.prepare<[string], UploadRow>(
    `SELECT * FROM dmp_uploads WHERE status = 'en_attente' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT 1`,
  );
  const earliestPending = db.prepare<[], { at: string | null }>(`SELECT min(next_attempt_at) AS at FROM dmp_uploads WHERE status = 'en_attente'`);
  const startAttempt = db.prepare(`UPDATE dmp_uploads SET status = 'envoi', attempts = attempts + 1 WHERE id = ? AND status = 'en_attente'`);
  const requeue = db.prepare(`UPDATE dmp_uploads SET status = 'en_attente', next_attempt_at = ?, last_error = ? WHERE id = ?`);
  const fail = db.prepare(`UPDATE dmp_uploads SET status = 'erreur', next_attempt_at = NULL, last_error = ? WHERE id = ?`);
  const sent = db.prepare(`UPDATE dmp_uploads SET status = 'envoye', next_attempt_at = NULL, last_error = NULL, sent_at = ?, entry_uuid = ? WHERE id = ?`);
  const resetInterrupted = db.prepare(`UPDATE dmp_uploads SET status = 'en_attente', next_attempt_at = ? WHERE status = 'envoi'`);
  const dueNow = db.prepare(`UPDATE dmp_uploads SET next_attempt_at = ? WHERE status = 'en_attente'`);
  const pendingOfPatient = db.prepare<[number], UploadRow>(`SELECT * FROM dmp_uploads WHERE patient_id = ? AND status = 'en_attente'`);
  const listForPatient = db.prepare<[number], UploadListRow>(`SELECT u.*, d.title, d.type_code, d.type_label, d.file_name
    FROM dmp_uploads u JOIN documents d ON d.id = u.document_id WHERE u.patient_id = ? ORDER BY u.id DESC`);
  const sentByCdaIds = db.prepare<[string], { cda_id: string; document_id: number }>(
    `SELECT cda_id, document_id FROM dmp_uploads WHERE cda_id IN (SELECT value FROM json_each(?))`,
  );
  const practiceIds = db.prepare<[], { national_id: string }>('SELECT national_id FROM users');

  return {
    patientStatuses(ids: number[]): PatientStatusRow[] {
      return patientStatuses.all(JSON.stringify(ids));
    },
    status(patientId: number): StatusRow | undefined {
      return statusOf.get(patientId);
    },
    /** Insert or update only the given columns of a patient's dmp_status row. */
    saveStatus(patientId: number, fields: Partial<Pick<StatusRow, StatusColumn>>): void {
      const cols = STATUS_COLUMNS.filter((c) => c in fields);
      if (!cols.length) return;
      const key = cols.join(',');
      let stmt = upserts.get(key);
      if (!stmt) {
        stmt = db.prepare(`INSERT INTO dmp_status (patient_id, ${key}) VALUES (@patient_id, ${cols.map((c) => `@${c}`).join(', ')})
          ON CONFLICT (patient_id) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`);
        upserts.set(key, stmt);
      }
      stmt.run({ patient_id: patientId, ...fields });
    },
    consent(patientId: number): ConsentRow | undefined {
      return consentOf.get(patientId);
    },
    setConsent(patientId: number, informedAt: string | null, opposed: boolean, userId: number | null, at: string): void {
      setConsent.run(informedAt, opposed ? 1 : 0, userId, at, patientId);
    },
    insertDocument(p: { patientId: number; typeCode: string; typeLabel: string; title: string; date: string; sha256: string; userId: number | null; fileName: string; contentPath: string }): number {
      return Number(insertDocument.run(p).lastInsertRowid);
    },
    document(id: number): LocalDocumentRow | undefined {
      return documentById.get(id);
    },
    predecessor(documentId: number): number | undefined {
      return predecessor.get(documentId)?.id;
    },
    markReplaced(oldId: number, newId: number): void {
      markReplaced.run(newId, oldId);
    },
    setDocumentVersion(documentId: number, cdaId: string, setId: string, version: number, uploadId: number): void {
      documentVersion.run(cdaId, setId, version, uploadId, documentId);
    },
    insertUpload(p: {
      documentId: number; patientId: number; hidden: number; invisiblePatient: number; invisibleLegal: number; cdaId: string; setId: string;
      version: number; replacesUploadId: number | null; cdaSha256: string; ins: string; context: string; createdAt: string; createdBy: number | null;
    }): number {
      return Number(insertUpload.run(p).lastInsertRowid);
    },
    upload(id: number): UploadRow | undefined {
      return uploadById.get(id);
    },
    latestSent(documentId: number): UploadRow | undefined {
      return latestSent.get(documentId);
    },
    activeUpload(documentId: number): UploadRow | undefined {
      return active.get(documentId);
    },
    nextDue(nowIso: string): UploadRow | undefined {
      return nextDue.get(nowIso);
    },
    earliestPending(): string | null {
      return earliestPending.get()?.at ?? null;
    },
    /** Claims a queued upload for sending; false when someone else took it. */
    startAttempt(id: number): boolean {
      return startAttempt.run(id).changes === 1;
    },
    requeue(id: number, nextAttemptAt: string, error: string | null): void {
      requeue.run(nextAttemptAt, error, id);
    },
    fail(id: number, error: string): void {
      fail.run(error, id);
    },
    markSent(id: number, sentAt: string, entryUuid: string | null): void {
      sent.run(sentAt, entryUuid, id);
    },
    resetInterrupted(nowIso: string): number {
      return resetInterrupted.run(nowIso).changes;
    },
    makeAllDue(nowIso: string): void {
      dueNow.run(nowIso);
    },
    pendingOfPatient(patientId: number): UploadRow[] {
      return pendingOfPatient.all(patientId);
    },
    uploadsOfPatient(patientId: number): UploadListRow[] {
      return listForPatient.all(patientId);
    },
    localDocumentsByCdaId(cdaIds: string[]): Map<string, number> {
      return new Map(sentByCdaIds.all(JSON.stringify(cdaIds)).map((r) => [r.cda_id, r.document_id]));
    },
    practiceNationalIds(): Set<string> {
      return new Set(practiceIds.all().map((r) => r.national_id));
    },
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
  };
}

export type DmpAppRepo = ReturnType<typeof createDmpAppRepo>;
