import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dailyBackupDue, listBackups, restore, snapshot } from '../../electron/services/store/backup';
import { openDatabase } from '../../electron/services/store/db';

describe('backups', () => {
  it('snapshot while open, keep the last N, restore with a safety copy of the current file first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgc-backup-'));
    const file = join(dir, 'lgc.sqlite');
    const db = openDatabase({ file });
    db.prepare("INSERT INTO settings (key, value) VALUES ('v', 'avant')").run();
    const backups = join(dir, 'sauvegardes');
    expect(dailyBackupDue(backups)).toBe(true);
    const first = snapshot(db, backups, 2, new Date('2026-11-20T10:00:00Z'));
    snapshot(db, backups, 2, new Date('2026-11-21T10:00:00Z'));
    snapshot(db, backups, 2, new Date('2026-11-22T10:00:00Z'));
    expect(listBackups(backups)).toHaveLength(2);
    expect(existsSync(first.file)).toBe(false);
    expect(dailyBackupDue(backups)).toBe(false);

    const keep = listBackups(backups)[0]!;
    db.prepare("UPDATE settings SET value = 'après' WHERE key = 'v'").run();
    db.close();

    const { safetyCopy } = restore(file, keep.file, join(dir, 'securite'));
    expect(safetyCopy && existsSync(safetyCopy)).toBeTruthy();
    const restored = openDatabase({ file });
    expect(restored.prepare("SELECT value FROM settings WHERE key = 'v'").pluck().get()).toBe('avant');
    restored.close();
    const safety = openDatabase({ file: safetyCopy! });
    expect(safety.prepare("SELECT value FROM settings WHERE key = 'v'").pluck().get()).toBe('après');
    safety.close();
  });

  it('refuses to restore a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgc-backup-'));
    expect(() => restore(join(dir, 'x.sqlite'), join(dir, 'absent.sqlite'), dir)).toThrow(/introuvable/);
  });
});
