import type { Migration } from './index';

/**
 * DMP application data (issue #7): the patient's information / opposition to the feeding of their
 * DMP, the queue of documents to send (survives restarts), the local documents produced by the
 * doctor (PDF kept content-addressed under <dataDir>/documents), and a richer DMP status cache.
 * dmp_status is rebuilt: `status` becomes nullable so that a failed first check can be recorded.
 */
export const m0005Dmp: Migration = {
  version: 5,
  name: 'dmp consent, upload queue and status cache',
  up(db) {
    db.exec(`
      ALTER TABLE patients ADD COLUMN dmp_informed_at TEXT;
      ALTER TABLE patients ADD COLUMN dmp_opposed INTEGER NOT NULL DEFAULT 0 CHECK (dmp_opposed IN (0, 1));
      ALTER TABLE patients ADD COLUMN dmp_consent_by INTEGER REFERENCES users(id);
      ALTER TABLE patients ADD COLUMN dmp_consent_at TEXT;

      CREATE TABLE dmp_uploads (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        hidden_from_professionals INTEGER NOT NULL DEFAULT 0 CHECK (hidden_from_professionals IN (0, 1)),
        invisible_to_patient INTEGER NOT NULL DEFAULT 0 CHECK (invisible_to_patient IN (0, 1)),
        invisible_to_legal_representatives INTEGER NOT NULL DEFAULT 0 CHECK (invisible_to_legal_representatives IN (0, 1)),
        status TEXT NOT NULL CHECK (status IN ('en_attente', 'envoi', 'envoye', 'erreur')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,                          -- French, shown as « erreur : … » or with « en attente »
        cda_id TEXT NOT NULL UNIQUE,
        set_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        replaces_upload_id INTEGER REFERENCES dmp_uploads(id),
        cda_sha256 TEXT NOT NULL,                 -- the CDA N1 built at enqueue time (blob store)
        ins_matricule TEXT NOT NULL,              -- INS the CDA carries (checked again before sending)
        context TEXT NOT NULL,                    -- JSON: professional + practice of the VIHF (no secret)
        entry_uuid TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id)
      );
      CREATE INDEX dmp_uploads_queue ON dmp_uploads(status, next_attempt_at);
      CREATE INDEX dmp_uploads_document ON dmp_uploads(document_id, version);
      CREATE INDEX dmp_uploads_patient ON dmp_uploads(patient_id, id);
      CREATE INDEX dmp_uploads_set ON dmp_uploads(set_id, version);

      ALTER TABLE documents ADD COLUMN file_name TEXT;
      ALTER TABLE documents ADD COLUMN content_path TEXT;
      ALTER TABLE documents ADD COLUMN dmp_upload_id INTEGER REFERENCES dmp_uploads(id);

      CREATE TABLE dmp_status_new (
        patient_id INTEGER PRIMARY KEY REFERENCES patients(id),
        ins_matricule TEXT,                       -- INS checked (a changed INS invalidates the cache)
        status TEXT CHECK (status IS NULL OR status IN ('VALIDE', 'EXPIRE', 'INTERDIT', 'NON_EXISTE')),
        mes_activated INTEGER,
        last_document_date TEXT,
        checked_at TEXT,                          -- last successful check
        error TEXT,                               -- French, last failed check (kept until a success)
        error_kind TEXT CHECK (error_kind IS NULL OR error_kind IN ('hors_ligne', 'dmp')),
        error_at TEXT,
        latest_documents TEXT,                    -- JSON: a few { typeCode, typeLabel, date } for the badge
        documents_by_others_since_last_visit INTEGER,
        last_visit_at TEXT,                       -- last DMP consultation (documents())
        visit_seen_ids TEXT                       -- JSON: uniqueIds listed at that consultation
      );
      INSERT INTO dmp_status_new (patient_id, status, mes_activated, last_document_date, checked_at)
        SELECT patient_id, status, mes_activated, last_document_date, checked_at FROM dmp_status
        WHERE status IN ('VALIDE', 'EXPIRE', 'INTERDIT', 'NON_EXISTE');
      DROP TABLE dmp_status;
      ALTER TABLE dmp_status_new RENAME TO dmp_status;
    `);
  },
};
