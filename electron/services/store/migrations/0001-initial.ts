import type { Migration } from './index';

export const m0001Initial: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        national_id TEXT NOT NULL UNIQUE,
        family_name TEXT NOT NULL,
        given_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('doctor', 'secretary')),
        profession_code TEXT,
        mssante_address TEXT,
        created_at TEXT NOT NULL,
        last_login_at TEXT
      );

      CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        birth_name TEXT NOT NULL,
        birth_given_names TEXT NOT NULL,          -- JSON array, first = premier prénom
        birth_date TEXT NOT NULL,                 -- YYYY-MM-DD
        sex TEXT NOT NULL CHECK (sex IN ('F', 'M')),
        birthplace_code TEXT,                     -- COG, 5 characters
        used_name TEXT,
        used_given_name TEXT,
        ins_matricule TEXT,
        ins_oid TEXT,
        identity_status TEXT NOT NULL DEFAULT 'PROV' CHECK (identity_status IN ('PROV', 'RECUP', 'VALI', 'QUAL')),
        external_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id)
      );
      CREATE UNIQUE INDEX patients_ins ON patients(ins_matricule) WHERE ins_matricule IS NOT NULL;
      CREATE UNIQUE INDEX patients_external_id ON patients(external_id) WHERE external_id IS NOT NULL;
      CREATE INDEX patients_birth_traits ON patients(birth_date, sex);

      CREATE TABLE identity_events (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        at TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id),
        from_status TEXT,
        to_status TEXT NOT NULL,
        reason TEXT NOT NULL,
        evidence TEXT                             -- JSON: INSi result, ID document type...
      );
      CREATE INDEX identity_events_patient ON identity_events(patient_id, at);

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id),
        actor TEXT NOT NULL,
        actor_role TEXT,
        action TEXT NOT NULL,
        patient_id INTEGER REFERENCES patients(id),
        detail TEXT
      );
      CREATE INDEX audit_log_patient ON audit_log(patient_id, id);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

      CREATE TABLE mailboxes (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('personal', 'organisational')),
        owner_user_id INTEGER REFERENCES users(id),
        uidvalidity INTEGER,
        uidnext INTEGER,
        highest_modseq TEXT
      );

      CREATE TABLE received_messages (
        id INTEGER PRIMARY KEY,
        mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        message_id TEXT,
        raw_sha256 TEXT NOT NULL,                 -- content-addressed raw RFC 822 source
        raw_size INTEGER NOT NULL,
        sender TEXT,
        subject TEXT,
        received_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'stored' CHECK (state IN ('stored', 'parsed', 'error')),
        error TEXT,
        UNIQUE (mailbox_id, uidvalidity, uid)
      );
      CREATE INDEX received_messages_message_id ON received_messages(message_id);

      CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        origin TEXT NOT NULL CHECK (origin IN ('mssante', 'dmp', 'local')),
        received_message_id INTEGER REFERENCES received_messages(id),
        cda_id TEXT,
        set_id TEXT,
        version_number INTEGER,
        type_code TEXT,
        type_label TEXT,
        title TEXT,
        document_date TEXT,
        sender TEXT,
        content_sha256 TEXT,
        mime_type TEXT,
        replaced_by INTEGER REFERENCES documents(id),
        deleted_by_sender_at TEXT,
        filed_at TEXT NOT NULL,
        filed_by INTEGER REFERENCES users(id)
      );
      CREATE UNIQUE INDEX documents_cda_id ON documents(cda_id) WHERE cda_id IS NOT NULL;
      CREATE INDEX documents_patient ON documents(patient_id, document_date);
      CREATE INDEX documents_set ON documents(set_id);

      CREATE TABLE worklist_items (
        id INTEGER PRIMARY KEY,
        received_message_id INTEGER NOT NULL REFERENCES received_messages(id),
        document_key TEXT NOT NULL,               -- stable key of the document inside the message
        status TEXT NOT NULL CHECK (status IN ('a_classer', 'propose', 'integre', 'conflit', 'rejete', 'supprime_emetteur')),
        patient_id INTEGER REFERENCES patients(id),
        decision TEXT,                            -- JSON: rule, candidates, scores, matched traits
        type_code TEXT,
        type_label TEXT,
        read INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (received_message_id, document_key)
      );
      CREATE INDEX worklist_items_status ON worklist_items(status, created_at);

      CREATE TABLE dmp_status (
        patient_id INTEGER PRIMARY KEY REFERENCES patients(id),
        status TEXT NOT NULL,
        mes_activated INTEGER,
        last_document_date TEXT,
        checked_at TEXT NOT NULL
      );

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `);
  },
};
