import type { Statement } from 'better-sqlite3';
import type { WorklistStatus } from '../../../shared/domain';
import type { Db } from '../store/db';
import type { MatchRule } from './match';

/** Typed SQL of the worklist: items, their history, filed documents, receipts due. */

export interface ItemRow {
  id: number;
  received_message_id: number;
  document_key: string;
  status: WorklistStatus;
  patient_id: number | null;
  decision: string | null;
  type_code: string | null;
  type_label: string | null;
  read: number;
  created_at: string;
  updated_at: string;
  rule: MatchRule | null;
  candidates: string | null;
  ins_qualified: number;
  document_ins: string | null;
  action: 'C' | 'D' | null;
  cda_id: string | null;
  set_id: string | null;
  version_number: number | null;
  parent_ids: string | null;
  title: string | null;
  author: string | null;
  document_date: string | null;
  type_confidence: number | null;
  class_code: string | null;
  file_name: string | null;
  content_sha256: string | null;
  content_mime: string | null;
  pdf_sha256: string | null;
  problems: string | null;
  document_id: number | null;
  duplicate_of: number | null;
  note: string | null;
  confirmed_by: number | null;
  confirmed_by_name: string | null;
  confirmed_at: string | null;
  validated_by: number | null;
  validated_by_name: string | null;
  validated_at: string | null;
  needs_validation: number;
  mdn_to: string | null;
}

/** An item with its message, mailbox and patient, as listed. */
export interface ListedRow extends ItemRow {
  received_at: string;
  sender: string | null;
  subject: string | null;
  mailbox: string;
  p_birth_name: string | null;
  p_used_name: string | null;
  p_birth_given_names: string | null;
  p_used_given_name: string | null;
  p_sex: 'F' | 'M' | null;
  p_birth_date: string | null;
}

/** Columns an action may change; saved before the action so that undo restores them. */
export const MUTABLE_COLUMNS = [
  'status', 'patient_id', 'rule', 'document_id', 'duplicate_of', 'note', 'confirmed_by', 'confirmed_by_name', 'confirmed_at',
  'validated_by', 'validated_by_name', 'validated_at', 'needs_validation',
] as const;
export type MutableColumn = (typeof MUTABLE_COLUMNS)[number];
export type ItemSnapshot = Pick<ItemRow, MutableColumn>;

export interface DocumentRow {
  id: number;
  patient_id: number;
  cda_id: string | null;
  set_id: string | null;
  version_number: number | null;
  title: string | null;
  type_label: string | null;
  filed_at: string;
  replaced_by: number | null;
  deleted_by_sender_at: string | null;
  worklist_item_id: number | null;
}

export interface NewDocument {
  patientId: number;
  receivedMessageId: number;
  cdaId: string | null;
  setId: string | null;
  versionNumber: number | null;
  typeCode: string | null;
  typeLabel: string | null;
  title: string | null;
  documentDate: string | null;
  sender: string | null;
  contentSha256: string | null;
  mimeType: string | null;
  replacedBy: number | null;
  filedAt: string;
  filedBy: number | null;
  worklistItemId: number;
}

export interface EventRow {
  id: number;
  item_id: number;
  at: string;
  user_id: number | null;
  actor: string;
  actor_role: string | null;
  action: string;
  label: string;
  from_status: string | null;
  to_status: string | null;
  from_patient_id: number | null;
  to_patient_id: number | null;
  document_id: number | null;
  undo: string | null;
  undone_at: string | null;
}

export interface ListFilter {
  status?: WorklistStatus[];
  mailbox?: string;
  typeCode?: string;
  unreadOnly?: boolean;
  read?: boolean;
  toValidate?: boolean;
  patientId?: number;
  rule?: MatchRule[];
  sort?: 'date' | 'type' | 'patient' | 'status';
  limit?: number;
  offset?: number;
}

const LISTED = `SELECT w.*, r.received_at, r.sender, r.subject, m.address AS mailbox,
    p.birth_name AS p_birth_name, p.used_name AS p_used_name, p.birth_given_names AS p_birth_given_names,
    p.used_given_name AS p_used_given_name, p.sex AS p_sex, p.birth_date AS p_birth_date
  FROM worklist_items w
  JOIN received_messages r ON r.id = w.received_message_id
  JOIN mailboxes m ON m.id = r.mailbox_id
  LEFT JOIN patients p ON p.id = w.patient_id`;

const ORDER: Record<NonNullable<ListFilter['sort']>, string> = {
  date: 'r.received_at DESC, w.id DESC',
  type: 'w.type_label IS NULL, w.type_label COLLATE NOCASE, r.received_at DESC, w.id DESC',
  patient: 'p.birth_name IS NULL, p.birth_name COLLATE NOCASE, p.birth_date, r.received_at DESC, w.id DESC',
  status: `CASE w.status WHEN 'conflit' THEN 0 WHEN 'a_classer' THEN 1 WHEN 'propose' THEN 2 WHEN 'supprime_emetteur' THEN 3
    WHEN 'integre' THEN 4 ELSE 5 END, r.received_at DESC, w.id DESC`,
};

export function createWorklistRepo(db: Db) {
  // Statements built from column lists or filters, prepared once per distinct SQL text.
  const prepared = new Map<string, Statement<unknown[]>>();
  const cached = (sql: string) => {
    let stmt = prepared.get(sql);
    if (!stmt) {
      stmt = db.prepare<unknown[]>(sql);
      prepared.set(sql, stmt);
    }
    return stmt;
  };
  const byId = db.prepare<[number], ItemRow>('SELECT * FROM worklist_items WHERE id = ?');
  const listedById = db.prepare<[number], ListedRow>(`${LISTED} WHERE w.id = ?`);
  const byKey = db.prepare<[number, string], ItemRow>('SELECT * FROM worklist_items WHERE received_message_id = ? AND document_key = ?');
  const byMessage = db.prepare<[number], ItemRow>('SELECT * FROM worklist_items WHERE received_message_id = ? ORDER BY id');
  const pendingByCdaId = db.prepare<[string, number], ItemRow>(
    `SELECT * FROM worklist_items WHERE cda_id = ? AND id <> ? AND (action IS NULL OR action <> 'D')
      AND status IN ('a_classer', 'propose', 'conflit') ORDER BY id`,
  );
  const docByCdaId = db.prepare<[string], DocumentRow>(
    `SELECT id, patient_id, cda_id, set_id, version_number, title, type_label, filed_at, replaced_by, deleted_by_sender_at, worklist_item_id
      FROM documents WHERE cda_id = ?`,
  );
  const docsBySet = db.prepare<[string], DocumentRow>(
    `SELECT id, patient_id, cda_id, set_id, version_number, title, type_label, filed_at, replaced_by, deleted_by_sender_at, worklist_item_id
      FROM documents WHERE set_id = ? ORDER BY version_number`,
  );
  const docById = db.prepare<[number], DocumentRow>(
    `SELECT id, patient_id, cda_id, set_id, version_number, title, type_label, filed_at, replaced_by, deleted_by_sender_at, worklist_item_id
      FROM documents WHERE id = ?`,
  );
  const insertItem = db.prepare(`INSERT INTO worklist_items (received_message_id, document_key, status, patient_id, decision,
      type_code, type_label, read, created_at, updated_at, rule, candidates, ins_qualified, document_ins, action, cda_id, set_id,
      version_number, parent_ids, title, author, document_date, type_confidence, class_code, file_name, content_sha256, content_mime,
      pdf_sha256, problems, duplicate_of, note, mdn_to)
    VALUES (@received_message_id, @document_key, @status, @patient_id, @decision, @type_code, @type_label, 0, @now, @now, @rule,
      @candidates, @ins_qualified, @document_ins, @action, @cda_id, @set_id, @version_number, @parent_ids, @title, @author,
      @document_date, @type_confidence, @class_code, @file_name, @content_sha256, @content_mime, @pdf_sha256, @problems,
      @duplicate_of, @note, @mdn_to)`);
  const insertDoc = db.prepare(`INSERT INTO documents (patient_id, origin, received_message_id, cda_id, set_id, version_number,
      type_code, type_label, title, document_date, sender, content_sha256, mime_type, replaced_by, filed_at, filed_by, worklist_item_id)
    VALUES (@patientId, 'mssante', @receivedMessageId, @cdaId, @setId, @versionNumber, @typeCode, @typeLabel, @title, @documentDate,
      @sender, @contentSha256, @mimeType, @replacedBy, @filedAt, @filedBy, @worklistItemId)`);
  const insertEvent = db.prepare(`INSERT INTO worklist_events (item_id, at, user_id, actor, actor_role, action, label, from_status,
      to_status, from_patient_id, to_patient_id, document_id, undo)
    VALUES (@item_id, @at, @user_id, @actor, @actor_role, @action, @label, @from_status, @to_status, @from_patient_id,
      @to_patient_id, @document_id, @undo)`);
  const events = db.prepare<[number], EventRow>('SELECT * FROM worklist_events WHERE item_id = ? ORDER BY id');
  const lastUndoable = db.prepare<[number], EventRow>(
    'SELECT * FROM worklist_events WHERE item_id = ? AND undo IS NOT NULL AND undone_at IS NULL ORDER BY id DESC LIMIT 1',
  );
  const markUndone = db.prepare('UPDATE worklist_events SET undone_at = ? WHERE id = ?');
  const certain = db.prepare<[], ItemRow>(
    `SELECT * FROM worklist_items WHERE status = 'propose' AND rule = 'auto' AND patient_id IS NOT NULL ORDER BY id`,
  );
  const mdnByMessage = db.prepare<[number], { id: number; status: string; disposition: string }>(
    'SELECT id, status, disposition FROM mdn_due WHERE received_message_id = ?',
  );
  const messageRow = db.prepare<[number], { id: number; message_id: string | null; sender: string | null; subject: string | null;
    received_at: string; mailbox: string }>(
    `SELECT r.id, r.message_id, r.sender, r.subject, r.received_at, m.address AS mailbox
      FROM received_messages r JOIN mailboxes m ON m.id = r.mailbox_id WHERE r.id = ?`,
  );

  return {
    get: (id: number): ItemRow | null => byId.get(id) ?? null,
    getListed: (id: number): ListedRow | null => listedById.get(id) ?? null,
    byKey: (messageId: number, key: string): ItemRow | null => byKey.get(messageId, key) ?? null,
    byMessage: (messageId: number): ItemRow[] => byMessage.all(messageId),
    pendingWithCdaId: (cdaId: string, exceptId: number): ItemRow[] => pendingByCdaId.all(cdaId, exceptId),
    certainItems: (): ItemRow[] => certain.all(),
    message: (id: number) => messageRow.get(id) ?? null,

    insertItem(values: Omit<ItemRow, 'id' | 'read' | 'created_at' | 'updated_at' | 'confirmed_by' | 'confirmed_by_name' | 'confirmed_at' |
      'validated_by' | 'validated_by_name' | 'validated_at' | 'needs_validation' | 'document_id'>, now: string): number {
      return Number(insertItem.run({ ...values, now }).lastInsertRowid);
    },

    /** Updates the given columns (names from a fixed list, values bound). */
    update(id: number, changes: Partial<ItemRow>, now: string): void {
      const cols = Object.keys(changes).filter((k) => k !== 'id');
      if (!cols.length) return;
      for (const c of cols) if (!/^[a-z_0-9]+$/.test(c)) throw new Error(`worklist: bad column ${c}`);
      cached(`UPDATE worklist_items SET ${cols.map((c) => `${c} = @${c}`).join(', ')}, updated_at = @__now WHERE id = @__id`).run({
        ...changes,
        __now: now,
        __id: id,
      });
    },

    list(filter: ListFilter): ListedRow[] {
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (filter.status?.length) {
        where.push(`w.status IN (${filter.status.map((_, i) => `@s${i}`).join(', ')})`);
        filter.status.forEach((s, i) => (params[`s${i}`] = s));
      }
      if (filter.rule?.length) {
        where.push(`w.rule IN (${filter.rule.map((_, i) => `@r${i}`).join(', ')})`);
        filter.rule.forEach((s, i) => (params[`r${i}`] = s));
      }
      if (filter.mailbox) {
        where.push('m.address = @mailbox');
        params.mailbox = filter.mailbox;
      }
      if (filter.typeCode) {
        where.push('w.type_code = @typeCode');
        params.typeCode = filter.typeCode;
      }
      if (filter.unreadOnly || filter.read === false) where.push('w.read = 0');
      else if (filter.read === true) where.push('w.read = 1');
      if (filter.toValidate) where.push('w.needs_validation = 1');
      if (filter.patientId !== undefined) {
        where.push('w.patient_id = @patientId');
        params.patientId = filter.patientId;
      }
      params.limit = Math.min(Math.max(filter.limit ?? 1000, 1), 5000);
      params.offset = Math.max(filter.offset ?? 0, 0);
      const sql = `${LISTED}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${ORDER[filter.sort ?? 'date']} LIMIT @limit OFFSET @offset`;
      return cached(sql).all(params) as ListedRow[];
    },

    documentByCdaId: (cdaId: string): DocumentRow | null => docByCdaId.get(cdaId) ?? null,
    documentsOfSet: (setId: string): DocumentRow[] => docsBySet.all(setId),
    document: (id: number): DocumentRow | null => docById.get(id) ?? null,
    insertDocument: (d: NewDocument): number => Number(insertDoc.run(d).lastInsertRowid),
    setReplacedBy(ids: number[], replacedBy: number | null): void {
      const stmt = cached('UPDATE documents SET replaced_by = ? WHERE id = ?');
      for (const id of ids) stmt.run(replacedBy, id);
    },
    deleteDocument(id: number): void {
      cached('DELETE FROM documents WHERE id = ?').run(id);
    },
    documentsReplacedBy(id: number): number[] {
      return (cached('SELECT id FROM documents WHERE replaced_by = ?').all(id) as { id: number }[]).map((r) => r.id);
    },
    moveDocument(id: number, patientId: number): void {
      cached('UPDATE documents SET patient_id = ? WHERE id = ?').run(patientId, id);
    },
    markDeletedBySender(id: number, at: string | null, by: number | null): void {
      cached('UPDATE documents SET deleted_by_sender_at = ?, deletion_confirmed_by = ? WHERE id = ?').run(at, by, id);
    },

    addEvent(e: Omit<EventRow, 'id' | 'undone_at'>): number {
      return Number(insertEvent.run(e).lastInsertRowid);
    },
    events: (itemId: number): EventRow[] => events.all(itemId),
    lastUndoable: (itemId: number): EventRow | null => lastUndoable.get(itemId) ?? null,
    markUndone: (eventId: number, at: string) => markUndone.run(at, eventId),

    mdnFor: (messageId: number) => mdnByMessage.get(messageId) ?? null,
    upsertMdn(v: { messageId: number; recipient: string; originalMessageId: string | null; disposition: 'processed' | 'error';
      errorCode: string | null; errorLabel: string | null; now: string }): void {
      cached(`INSERT INTO mdn_due (received_message_id, recipient, original_message_id, disposition, error_code, error_label, created_at, status)
          VALUES (@messageId, @recipient, @originalMessageId, @disposition, @errorCode, @errorLabel, @now, 'pending')
        ON CONFLICT (received_message_id) DO UPDATE SET disposition = excluded.disposition, error_code = excluded.error_code,
          error_label = excluded.error_label, created_at = excluded.created_at, status = 'pending'
        WHERE mdn_due.status NOT IN ('queued', 'sent')`).run(v);
    },
    cancelMdn(messageId: number): void {
      cached(`UPDATE mdn_due SET status = 'cancelled' WHERE received_message_id = ? AND status = 'pending'`).run(messageId);
    },

    setting: (key: string): string | null =>
      (cached('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null,
    setSetting(key: string, value: string): void {
      cached('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    },
  };
}

export type WorklistRepo = ReturnType<typeof createWorklistRepo>;
