import type { Migration } from './index';

/** Appointments feed "today's patients"; last_seen_at orders the recent list. */
export const m0002SearchAndAgenda: Migration = {
  version: 2,
  name: 'agenda and recent patients',
  up(db) {
    db.exec(`
      CREATE TABLE appointments (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        starts_at TEXT NOT NULL,
        reason TEXT
      );
      CREATE INDEX appointments_starts_at ON appointments(starts_at);
      ALTER TABLE patients ADD COLUMN last_seen_at TEXT;
    `);
  },
};
