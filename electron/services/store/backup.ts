import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import type { Db } from './db';
import { MIGRATIONS } from './migrations';

const PREFIX = 'lgc-';
const SUFFIX = '.sqlite';

function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

export interface BackupInfo {
  file: string;
  size: number;
  createdAt: string;
}

/** Consistent snapshot of the live database (VACUUM INTO works while readers and WAL are active). */
export function snapshot(db: Db, backupDir: string, keep: number, now = new Date()): BackupInfo {
  mkdirSync(backupDir, { recursive: true });
  const file = join(backupDir, `${PREFIX}${stamp(now)}${SUFFIX}`);
  db.prepare('VACUUM INTO ?').run(file);
  prune(backupDir, keep);
  return { file, size: statSync(file).size, createdAt: now.toISOString() };
}

export function listBackups(backupDir: string): BackupInfo[] {
  if (!existsSync(backupDir)) return [];
  return readdirSync(backupDir)
    .filter((f) => f.startsWith(PREFIX) && f.endsWith(SUFFIX))
    .sort()
    .reverse()
    .map((f) => {
      const st = statSync(join(backupDir, f));
      return { file: join(backupDir, f), size: st.size, createdAt: st.mtime.toISOString() };
    });
}

function prune(backupDir: string, keep: number): void {
  for (const old of listBackups(backupDir).slice(Math.max(1, keep))) rmSync(old.file, { force: true });
}

/** True when the last snapshot is older than a day (or there is none): the daily backup is due. */
export function dailyBackupDue(backupDir: string, now = new Date()): boolean {
  const latest = listBackups(backupDir)[0];
  return !latest || now.getTime() - new Date(latest.createdAt).getTime() > 24 * 3600 * 1000;
}

/**
 * Restores a snapshot over the database file. The database must be closed by the caller. The
 * current file is first copied aside (safety copy) so a wrong restore can itself be undone.
 */
export function restore(databaseFile: string, backupFile: string, safetyDir: string, now = new Date()): { safetyCopy: string | null } {
  if (!existsSync(backupFile)) throw new AppError('NOT_FOUND', `Sauvegarde introuvable : ${backupFile}`);
  const probe = new Database(backupFile, { readonly: true, fileMustExist: true });
  try {
    const integrity = probe.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new AppError('BAD_INPUT', 'La sauvegarde est endommagée (contrôle d’intégrité en échec).');
    const version = probe.pragma('user_version', { simple: true }) as number;
    if (version > (MIGRATIONS.at(-1)?.version ?? 0)) {
      throw new AppError('BAD_INPUT', 'Cette sauvegarde provient d’une version plus récente du logiciel.');
    }
  } finally {
    probe.close();
  }
  let safetyCopy: string | null = null;
  if (existsSync(databaseFile)) {
    mkdirSync(safetyDir, { recursive: true });
    safetyCopy = join(safetyDir, `avant-restauration-${stamp(now)}${SUFFIX}`);
    const live = new Database(databaseFile);
    try {
      live.prepare('VACUUM INTO ?').run(safetyCopy);
    } finally {
      live.close();
    }
  }
  for (const ext of ['-wal', '-shm']) rmSync(databaseFile + ext, { force: true });
  copyFileSync(backupFile, databaseFile);
  return { safetyCopy };
}
