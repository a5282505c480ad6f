import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../electron/services/store/db';
import { MIGRATIONS } from '../../electron/services/store/migrations';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { createPatientsRepo } from '../../electron/services/store/patients-repo';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'lgc-store-')), 'lgc.sqlite');

describe('migrations', () => {
  it('bring an empty database to the latest schema, WAL and foreign keys on, versions recorded', () => {
    const db = openDatabase({ file: tmp() });
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const recorded = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(recorded).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    for (const t of ['patients', 'identity_events', 'users', 'documents', 'received_messages', 'worklist_items', 'dmp_status', 'audit_log', 'appointments']) {
      expect(tables).toContain(t);
    }
  });

  it('upgrade a database of the previous schema and keep its data', () => {
    const file = tmp();
    const old = openDatabase({ file, migrations: MIGRATIONS.slice(0, 1) });
    expect(schemaVersion(old)).toBe(1);
    old.prepare(`INSERT INTO patients (birth_name, birth_given_names, birth_date, sex, identity_status, created_at, updated_at)
      VALUES ('DUPONT', '["Jeanne"]', '1950-01-02', 'F', 'PROV', 'x', 'x')`).run();
    old.close();
    const db = openDatabase({ file });
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    const patient = createPatientsRepo(db).get(1)!;
    expect(patient.birthName).toBe('DUPONT');
    expect(patient.lastSeenAt).toBeNull(); // column added by migration 2
  });

  it('apply each migration atomically: a failing one leaves the previous version', () => {
    const db = new Database(':memory:');
    const broken = [MIGRATIONS[0]!, { version: 2, name: 'broken', up: (d: Database.Database) => d.exec('CREATE TABLE t (a); SELECT * FROM nowhere') }];
    expect(() => migrate(db, broken)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 't'").pluck().get()).toBe(0);
  });

  it('refuse a database written by a newer version of the software', () => {
    const file = tmp();
    const db = openDatabase({ file });
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase({ file })).toThrow(/plus récente/);
  });
});

describe('audit log', () => {
  it('is append-only', () => {
    const db = openDatabase({ file: ':memory:' });
    const audit = createAuditRepo(db);
    audit.append({ userId: null, displayName: 'Test', role: null }, 'patient.creation', null, { a: 1 });
    expect(audit.list({ limit: 10 })).toHaveLength(1);
    expect(() => db.prepare("UPDATE audit_log SET action = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
  });
});
