import type { Migration } from './index';

/**
 * Worklist of received documents (issue #6): the matching decision and the document summary on
 * each item, who confirmed / validated, the item history (undo), the link between a filed
 * document and its item, and the integration receipts (MDN) due to senders who asked for one.
 * Document bytes live in the content-addressed store `<dataDir>/documents/<aa>/<sha256>`.
 */
export const m0004Worklist: Migration = {
  version: 4,
  name: 'worklist decisions, history and receipts due',
  up(db) {
    db.exec(`
      ALTER TABLE worklist_items ADD COLUMN rule TEXT CHECK (rule IS NULL OR rule IN ('auto', 'proposed', 'conflict', 'none'));
      ALTER TABLE worklist_items ADD COLUMN candidates TEXT;          -- JSON [{patientId, score, matched[]}]
      ALTER TABLE worklist_items ADD COLUMN ins_qualified INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE worklist_items ADD COLUMN document_ins TEXT;        -- INS read from the metadata (valid key), for re-checks
      ALTER TABLE worklist_items ADD COLUMN action TEXT CHECK (action IS NULL OR action IN ('C', 'D'));
      ALTER TABLE worklist_items ADD COLUMN cda_id TEXT;              -- root or root^extension, as the XDS uniqueId
      ALTER TABLE worklist_items ADD COLUMN set_id TEXT;
      ALTER TABLE worklist_items ADD COLUMN version_number INTEGER;
      ALTER TABLE worklist_items ADD COLUMN parent_ids TEXT;          -- JSON: CDA ids this one replaces (RPLC)
      ALTER TABLE worklist_items ADD COLUMN title TEXT;
      ALTER TABLE worklist_items ADD COLUMN author TEXT;
      ALTER TABLE worklist_items ADD COLUMN document_date TEXT;
      ALTER TABLE worklist_items ADD COLUMN type_confidence REAL;
      ALTER TABLE worklist_items ADD COLUMN class_code TEXT;
      ALTER TABLE worklist_items ADD COLUMN file_name TEXT;
      ALTER TABLE worklist_items ADD COLUMN content_sha256 TEXT;      -- the document as received (CDA or PDF)
      ALTER TABLE worklist_items ADD COLUMN content_mime TEXT;
      ALTER TABLE worklist_items ADD COLUMN pdf_sha256 TEXT;          -- readable PDF (N1 body, N3 copy, or the PDF)
      ALTER TABLE worklist_items ADD COLUMN problems TEXT;            -- JSON ProblemItem[]
      ALTER TABLE worklist_items ADD COLUMN document_id INTEGER REFERENCES documents(id);   -- filed as
      ALTER TABLE worklist_items ADD COLUMN duplicate_of INTEGER REFERENCES documents(id);  -- already filed before
      ALTER TABLE worklist_items ADD COLUMN note TEXT;
      ALTER TABLE worklist_items ADD COLUMN confirmed_by INTEGER REFERENCES users(id);
      ALTER TABLE worklist_items ADD COLUMN confirmed_by_name TEXT;
      ALTER TABLE worklist_items ADD COLUMN confirmed_at TEXT;
      ALTER TABLE worklist_items ADD COLUMN validated_by INTEGER REFERENCES users(id);
      ALTER TABLE worklist_items ADD COLUMN validated_by_name TEXT;
      ALTER TABLE worklist_items ADD COLUMN validated_at TEXT;
      ALTER TABLE worklist_items ADD COLUMN needs_validation INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE worklist_items ADD COLUMN mdn_to TEXT;              -- Disposition-Notification-To of the message
      CREATE INDEX worklist_items_cda_id ON worklist_items(cda_id) WHERE cda_id IS NOT NULL;
      CREATE INDEX worklist_items_set ON worklist_items(set_id) WHERE set_id IS NOT NULL;
      CREATE INDEX worklist_items_patient ON worklist_items(patient_id);
      CREATE INDEX worklist_items_validation ON worklist_items(needs_validation) WHERE needs_validation = 1;

      ALTER TABLE documents ADD COLUMN worklist_item_id INTEGER REFERENCES worklist_items(id);
      ALTER TABLE documents ADD COLUMN deletion_confirmed_by INTEGER REFERENCES users(id);

      CREATE TABLE worklist_events (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES worklist_items(id),
        at TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id),
        actor TEXT NOT NULL,
        actor_role TEXT,
        action TEXT NOT NULL,                     -- reception, classement, rejet, validation, suppression, annulation...
        label TEXT NOT NULL,                      -- French, for the history shown to people
        from_status TEXT,
        to_status TEXT,
        from_patient_id INTEGER REFERENCES patients(id),
        to_patient_id INTEGER REFERENCES patients(id),
        document_id INTEGER,                      -- no foreign key: an undone filing deletes its document row
        undo TEXT,                                -- JSON: what undoing this event restores; NULL = not undoable
        undone_at TEXT
      );
      CREATE INDEX worklist_events_item ON worklist_events(item_id, id);

      CREATE TABLE mdn_due (
        id INTEGER PRIMARY KEY,
        received_message_id INTEGER NOT NULL UNIQUE REFERENCES received_messages(id),
        recipient TEXT NOT NULL,                  -- Disposition-Notification-To
        original_message_id TEXT,
        disposition TEXT NOT NULL CHECK (disposition IN ('processed', 'error')),
        error_code TEXT,
        error_label TEXT,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'cancelled')),
        sent_at TEXT
      );
      CREATE INDEX mdn_due_pending ON mdn_due(status) WHERE status = 'pending';
    `);
  },
};
