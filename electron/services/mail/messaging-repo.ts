import type { Db } from '../store/db';
import type { OutboxStatus } from './send/outbox';

/**
 * SQL of the practice's messaging screen (migration 0006): the outbox as listed to people, the
 * integration receipts due to senders (`mdn_due`) and their hand-off to the outbox, the receipts
 * received for the practice's own messages, recent correspondents, the record documents that can
 * be attached. The outbox rows themselves are written by `send/outbox.ts`.
 */

export interface OutboxListRow {
  id: number;
  mailbox: string;
  kind: 'message' | 'mdn';
  message_id: string;
  recipients: string;
  subject: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  sent_at: string | null;
  created_at: string;
  created_by: string;
  patient_id: number | null;
  attachments: string | null;
  read_receipt: number;
}

export interface ReceiptRow {
  id: number;
  received_message_id: number;
  original_message_id: string | null;
  outbox_id: number | null;
  sender: string | null;
  disposition: string | null;
  disposition_type: string | null;
  error_code: string | null;
  error_label: string | null;
  received_at: string;
  mailbox: string;
  /** Subject of the receipt itself. */
  subject: string | null;
  /** Subject of the practice's message it answers, when known. */
  original_subject: string | null;
}

export interface DueMdnRow {
  id: number;
  received_message_id: number;
  recipient: string;
  original_message_id: string | null;
  disposition: 'processed' | 'error';
  error_code: string | null;
  error_label: string | null;
  /** The mailbox that received the original message. */
  mailbox: string;
  /** Message-ID header of the received message (fallback when the due row has none). */
  header_message_id: string | null;
  subject: string | null;
  patient_id: number | null;
}

export interface AttachableDocumentRow {
  id: number;
  patient_id: number;
  origin: 'mssante' | 'dmp' | 'local';
  title: string | null;
  type_label: string | null;
  file_name: string | null;
  document_date: string | null;
  filed_at: string;
  content_sha256: string | null;
  mime_type: string | null;
  replaced_by: number | null;
  deleted_by_sender_at: string | null;
  item_pdf_sha256: string | null;
  upload_cda_sha256: string | null;
}

const OUTBOX = `SELECT o.id, m.address AS mailbox, o.kind, o.message_id, o.recipients, o.subject, o.status, o.attempts, o.next_attempt_at,
    o.last_error, o.sent_at, o.created_at, o.created_by, o.patient_id, o.attachments, o.read_receipt
  FROM mail_outbox o JOIN mailboxes m ON m.id = o.mailbox_id`;

const RECEIPTS = `SELECT r.id, r.received_message_id, r.original_message_id, r.outbox_id, r.sender, r.disposition, r.disposition_type, r.error_code,
    r.error_label, r.received_at, m.address AS mailbox, rm.subject, o.subject AS original_subject
  FROM mail_receipts r JOIN received_messages rm ON rm.id = r.received_message_id JOIN mailboxes m ON m.id = rm.mailbox_id
  LEFT JOIN mail_outbox o ON o.id = r.outbox_id`;

export function createMessagingRepo(db: Db) {
  const q = {
    outbox: db.prepare<[number], OutboxListRow>(`${OUTBOX} ORDER BY o.id DESC LIMIT ?`),
    outboxById: db.prepare<[number], OutboxListRow>(`${OUTBOX} WHERE o.id = ?`),
    setExtras: db.prepare('UPDATE mail_outbox SET attachments = ?, read_receipt = ? WHERE id = ?'),
    receipts: db.prepare<[number], ReceiptRow>(`${RECEIPTS} ORDER BY r.received_at DESC, r.id DESC LIMIT ?`),
    receiptsOf: db.prepare<[number], ReceiptRow>(`${RECEIPTS} WHERE r.outbox_id = ? ORDER BY r.received_at, r.id`),
    outboxByMessageId: db.prepare<[string], { id: number }>(`SELECT id FROM mail_outbox WHERE message_id = ? AND kind = 'message'`),
    insertReceipt: db.prepare(`INSERT INTO mail_receipts (received_message_id, original_message_id, outbox_id, sender, disposition, disposition_type,
        error_code, error_label, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (received_message_id) DO NOTHING`),
    receivedMeta: db.prepare<[number], { sender: string | null; received_at: string }>('SELECT sender, received_at FROM received_messages WHERE id = ?'),

    pendingMdns: db.prepare<[], DueMdnRow>(`SELECT d.id, d.received_message_id, d.recipient, d.original_message_id, d.disposition, d.error_code,
        d.error_label, m.address AS mailbox, rm.message_id AS header_message_id, rm.subject,
        (SELECT w.patient_id FROM worklist_items w WHERE w.received_message_id = d.received_message_id AND w.patient_id IS NOT NULL ORDER BY w.id LIMIT 1) AS patient_id
      FROM mdn_due d JOIN received_messages rm ON rm.id = d.received_message_id JOIN mailboxes m ON m.id = rm.mailbox_id
      WHERE d.status = 'pending' ORDER BY d.id`),
    mdnInOutbox: db.prepare<[number], { id: number }>(`SELECT id FROM mail_outbox WHERE kind = 'mdn' AND related_received_id = ? ORDER BY id LIMIT 1`),
    markQueued: db.prepare(`UPDATE mdn_due SET status = 'queued', outbox_id = ?, queued_at = ?, last_error = NULL WHERE id = ? AND status <> 'sent'`),
    noteMdnError: db.prepare(`UPDATE mdn_due SET last_error = ? WHERE id = ? AND status = 'pending'`),
    dropMdn: db.prepare(`UPDATE mdn_due SET status = 'cancelled', last_error = ? WHERE id = ? AND status = 'pending'`),
    reconcileSent: db.prepare(`UPDATE mdn_due SET status = 'sent', sent_at = (SELECT o.sent_at FROM mail_outbox o WHERE o.id = mdn_due.outbox_id)
      WHERE status = 'queued' AND outbox_id IN (SELECT id FROM mail_outbox WHERE status = 'sent')`),

    sentRecipients: db.prepare<[], { recipients: string; at: string; mailbox: string }>(
      `SELECT o.recipients, o.created_at AS at, m.address AS mailbox FROM mail_outbox o JOIN mailboxes m ON m.id = o.mailbox_id
        WHERE o.kind = 'message' AND o.status <> 'cancelled' ORDER BY o.id DESC LIMIT 500`,
    ),
    receivedSenders: db.prepare<[], { sender: string | null; at: string; mailbox: string }>(
      `SELECT r.sender, r.received_at AS at, m.address AS mailbox FROM received_messages r JOIN mailboxes m ON m.id = r.mailbox_id
        WHERE r.sender IS NOT NULL ORDER BY r.id DESC LIMIT 1000`,
    ),

    documentsOf: db.prepare<[number], AttachableDocumentRow>(`SELECT d.id, d.patient_id, d.origin, d.title, d.type_label, d.file_name, d.document_date,
        d.filed_at, d.content_sha256, d.mime_type, d.replaced_by, d.deleted_by_sender_at, w.pdf_sha256 AS item_pdf_sha256, u.cda_sha256 AS upload_cda_sha256
      FROM documents d LEFT JOIN worklist_items w ON w.id = d.worklist_item_id LEFT JOIN dmp_uploads u ON u.id = d.dmp_upload_id
      WHERE d.patient_id = ? ORDER BY COALESCE(d.document_date, d.filed_at) DESC, d.id DESC`),
    document: db.prepare<[number], AttachableDocumentRow>(`SELECT d.id, d.patient_id, d.origin, d.title, d.type_label, d.file_name, d.document_date,
        d.filed_at, d.content_sha256, d.mime_type, d.replaced_by, d.deleted_by_sender_at, w.pdf_sha256 AS item_pdf_sha256, u.cda_sha256 AS upload_cda_sha256
      FROM documents d LEFT JOIN worklist_items w ON w.id = d.worklist_item_id LEFT JOIN dmp_uploads u ON u.id = d.dmp_upload_id
      WHERE d.id = ?`),
  };

  return {
    outbox: (limit: number): OutboxListRow[] => q.outbox.all(limit),
    outboxById: (id: number): OutboxListRow | null => q.outboxById.get(id) ?? null,
    setOutboxExtras(id: number, attachments: string[], readReceipt: boolean): void {
      q.setExtras.run(attachments.length ? JSON.stringify(attachments) : null, readReceipt ? 1 : 0, id);
    },

    receipts: (limit: number): ReceiptRow[] => q.receipts.all(limit),
    receiptsOf: (outboxId: number): ReceiptRow[] => q.receiptsOf.all(outboxId),
    /** Records a received receipt (once per received message); true when it is new. */
    insertReceipt(v: {
      receivedMessageId: number;
      originalMessageId: string | null;
      disposition: string | null;
      dispositionType: string | null;
      errorCode: string | null;
      errorLabel: string | null;
    }): boolean {
      const outbox = v.originalMessageId ? (q.outboxByMessageId.get(v.originalMessageId)?.id ?? null) : null;
      const meta = q.receivedMeta.get(v.receivedMessageId);
      if (!meta) return false;
      return q.insertReceipt.run(v.receivedMessageId, v.originalMessageId, outbox, meta.sender, v.disposition, v.dispositionType, v.errorCode, v.errorLabel, meta.received_at).changes > 0;
    },

    pendingMdns: (): DueMdnRow[] => q.pendingMdns.all(),
    mdnInOutbox: (receivedMessageId: number): number | null => q.mdnInOutbox.get(receivedMessageId)?.id ?? null,
    markMdnQueued: (dueId: number, outboxId: number, at: string) => q.markQueued.run(outboxId, at, dueId),
    noteMdnError: (dueId: number, error: string) => q.noteMdnError.run(error.slice(0, 500), dueId),
    dropMdn: (dueId: number, reason: string) => q.dropMdn.run(reason.slice(0, 500), dueId),
    /** `queued` → `sent` once the outbox has delivered the receipt to the operator. */
    reconcileSentMdns: (): number => q.reconcileSent.run().changes,

    sentRecipients: () => q.sentRecipients.all(),
    receivedSenders: () => q.receivedSenders.all(),

    documentsOf: (patientId: number): AttachableDocumentRow[] => q.documentsOf.all(patientId),
    document: (id: number): AttachableDocumentRow | null => q.document.get(id) ?? null,
  };
}

export type MessagingRepo = ReturnType<typeof createMessagingRepo>;
