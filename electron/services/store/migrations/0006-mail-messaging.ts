import type { Migration } from './index';

/**
 * Mailbox handling by the practice (issue #5): integration receipts due to senders are handed to
 * the outbox exactly once (`mdn_due.status = 'queued'` with the outbox row, then `sent` when the
 * operator accepted it), and the receipts (MDN) received for the practice's own messages are kept
 * with the message they answer. `mdn_due` is rebuilt: its status gains `queued`.
 */
export const m0006MailMessaging: Migration = {
  version: 6,
  name: 'mail receipts: mdn_due queued in the outbox, received receipts',
  up(db) {
    db.exec(`
      CREATE TABLE mdn_due_new (
        id INTEGER PRIMARY KEY,
        received_message_id INTEGER NOT NULL UNIQUE REFERENCES received_messages(id),
        recipient TEXT NOT NULL,                  -- Disposition-Notification-To
        original_message_id TEXT,
        disposition TEXT NOT NULL CHECK (disposition IN ('processed', 'error')),
        error_code TEXT,
        error_label TEXT,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'sent', 'cancelled')),
        outbox_id INTEGER REFERENCES mail_outbox(id),  -- the MDN in the outbox, once queued
        queued_at TEXT,
        sent_at TEXT,
        last_error TEXT                           -- why it could not be queued yet (French)
      );
      INSERT INTO mdn_due_new (id, received_message_id, recipient, original_message_id, disposition, error_code, error_label, created_at, status, sent_at)
        SELECT id, received_message_id, recipient, original_message_id, disposition, error_code, error_label, created_at, status, sent_at FROM mdn_due;
      DROP TABLE mdn_due;
      ALTER TABLE mdn_due_new RENAME TO mdn_due;
      CREATE INDEX mdn_due_pending ON mdn_due(status) WHERE status IN ('pending', 'queued');

      CREATE INDEX mail_outbox_related ON mail_outbox(related_received_id) WHERE related_received_id IS NOT NULL;
      ALTER TABLE mail_outbox ADD COLUMN attachments TEXT;          -- JSON array of attachment names, for the list
      ALTER TABLE mail_outbox ADD COLUMN read_receipt INTEGER NOT NULL DEFAULT 0 CHECK (read_receipt IN (0, 1));

      CREATE TABLE mail_receipts (
        id INTEGER PRIMARY KEY,
        received_message_id INTEGER NOT NULL UNIQUE REFERENCES received_messages(id),
        original_message_id TEXT,                 -- Original-Message-ID of the report
        outbox_id INTEGER REFERENCES mail_outbox(id), -- the practice's message it answers, when known
        sender TEXT,
        disposition TEXT,                         -- as written
        disposition_type TEXT,                    -- processed, displayed, deleted...
        error_code TEXT,
        error_label TEXT,
        received_at TEXT NOT NULL
      );
      CREATE INDEX mail_receipts_outbox ON mail_receipts(outbox_id) WHERE outbox_id IS NOT NULL;
      CREATE INDEX mail_receipts_original ON mail_receipts(original_message_id);
    `);
  },
};
