import type { Db } from './db';

export interface PatientDocumentRow {
  id: number;
  title: string | null;
  fileName: string | null;
  typeCode: string | null;
  typeLabel: string | null;
  date: string | null;
  origin: 'mssante' | 'dmp' | 'local';
  sender: string | null;
  replaced: boolean;
  deletedBySender: boolean;
  filedAt: string;
}

/** The documents of a patient's record, every origin (received, produced here, from the DMP). */
export function createDocumentsRepo(db: Db) {
  const ofPatient = db.prepare<[number], { id: number; title: string | null; file_name: string | null; type_code: string | null; type_label: string | null;
    document_date: string | null; origin: 'mssante' | 'dmp' | 'local'; sender: string | null; replaced_by: number | null; deleted_by_sender_at: string | null; filed_at: string }>(
    `SELECT id, title, file_name, type_code, type_label, document_date, origin, sender, replaced_by, deleted_by_sender_at, filed_at
       FROM documents WHERE patient_id = ? ORDER BY COALESCE(document_date, filed_at) DESC, id DESC`,
  );
  const one = db.prepare<[number], { id: number; patient_id: number; origin: string; worklist_item_id: number | null }>(
    'SELECT id, patient_id, origin, worklist_item_id FROM documents WHERE id = ?',
  );
  return {
    ofPatient(patientId: number): PatientDocumentRow[] {
      return ofPatient.all(patientId).map((r) => ({
        id: r.id,
        title: r.title,
        fileName: r.file_name,
        typeCode: r.type_code,
        typeLabel: r.type_label,
        date: r.document_date,
        origin: r.origin,
        sender: r.sender,
        replaced: r.replaced_by !== null,
        deletedBySender: r.deleted_by_sender_at !== null,
        filedAt: r.filed_at,
      }));
    },
    get(id: number): { id: number; patientId: number; origin: string; worklistItemId: number | null } | null {
      const r = one.get(id);
      return r ? { id: r.id, patientId: r.patient_id, origin: r.origin, worklistItemId: r.worklist_item_id } : null;
    },
  };
}
