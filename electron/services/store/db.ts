import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../../shared/errors';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path of the SQLite file, or ':memory:' for tests. */
  file: string;
  /** Migrations to apply (defaults to all); tests pass a prefix to build an older schema. */
  migrations?: readonly Migration[];
}

/**
 * Opens the practice database: WAL, foreign keys on, then the numbered forward-only migrations,
 * each in its own transaction with its version recorded. A file written by a newer version of
 * the software is refused rather than half-understood.
 */
export function openDatabase({ file, migrations = MIGRATIONS }: OpenOptions): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  // A development Electron launch points at a copy of the native module built for Electron's ABI.
  const nativeBinding = process.env.LGC_SQLITE_NATIVE_BINDING;
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // 32 MB page cache (default 2 MB): a 100k-patient practice's indexes stay in memory, which
  // matters for imports and the worklist's lookups; the memory is only taken as pages are read.
  db.pragma('cache_size = -32768');
  db.pragma('temp_store = MEMORY');
  migrate(db, migrations);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): { applied: number[] } {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AppError(
      'INTERNAL',
      `La base de données (version ${current}) a été créée par une version plus récente du logiciel (qui connaît la version ${latest}). Mettez le logiciel à jour.`,
    );
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied.push(migration.version);
  }
  return { applied };
}
