import type { Migration } from './index';

/**
 * MSSanté mailboxes: sync bookkeeping on received messages, delegations of personal boxes to the
 * secretary, and the persistent outbox (issue #5). `mailboxes.uidvalidity/uidnext/highest_modseq`
 * (0001) hold the sync cursor of INBOX: `uidnext` is the client's own watermark (every UID below
 * it is stored), not a copy of the server's UIDNEXT.
 */
export const m0003Mail: Migration = {
  version: 3,
  name: 'mail sync, delegations, outbox',
  up(db) {
    db.exec(`
      ALTER TABLE mailboxes ADD COLUMN owner_national_id TEXT;
      ALTER TABLE mailboxes ADD COLUMN last_sync_at TEXT;

      ALTER TABLE received_messages ADD COLUMN flags TEXT;                -- JSON array, as last seen on the server
      ALTER TABLE received_messages ADD COLUMN internal_date TEXT;
      ALTER TABLE received_messages ADD COLUMN modseq TEXT;
      ALTER TABLE received_messages ADD COLUMN folder TEXT NOT NULL DEFAULT 'INBOX';
      ALTER TABLE received_messages ADD COLUMN server_state TEXT NOT NULL DEFAULT 'present'
        CHECK (server_state IN ('present', 'expunged', 'moved', 'deleted'));
      ALTER TABLE received_messages ADD COLUMN process_attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE received_messages ADD COLUMN duplicate_of INTEGER REFERENCES received_messages(id);
      CREATE INDEX received_messages_sha ON received_messages(mailbox_id, raw_sha256);
      CREATE INDEX received_messages_state ON received_messages(state) WHERE state <> 'parsed';

      CREATE TABLE mailbox_delegations (
        id INTEGER PRIMARY KEY,
        mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
        delegate_national_id TEXT NOT NULL,
        granted_by TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE UNIQUE INDEX mailbox_delegations_active ON mailbox_delegations(mailbox_id, delegate_national_id)
        WHERE revoked_at IS NULL;

      CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY,
        mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
        kind TEXT NOT NULL CHECK (kind IN ('message', 'mdn')),
        message_id TEXT NOT NULL UNIQUE,
        envelope_from TEXT NOT NULL,
        recipients TEXT NOT NULL,                 -- JSON array of addresses
        subject TEXT NOT NULL,
        raw_sha256 TEXT NOT NULL,                 -- the exact bytes sent, in the raw store
        raw_size INTEGER NOT NULL,
        dsn TEXT,                                 -- JSON: SMTP DSN request (NOTIFY/RET), envelope-level
        patient_id INTEGER REFERENCES patients(id),
        related_received_id INTEGER REFERENCES received_messages(id),
        created_at TEXT NOT NULL,
        created_by_user_id INTEGER REFERENCES users(id),
        created_by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'error', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        sent_at TEXT,
        server_response TEXT
      );
      CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);
    `);
  },
};
