import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Whether this workstation's first-run checklist has been seen, kept beside the practice data
 * (`premier-demarrage.json`): a reinstall keeps it, a new data folder asks again.
 */

export interface FirstRunState {
  completedAt: string;
}

export function firstRunStatePath(dataDir: string): string {
  return join(dataDir, 'premier-demarrage.json');
}

export function readFirstRunState(dataDir: string): FirstRunState | null {
  const file = firstRunStatePath(dataDir);
  if (!existsSync(file)) return null;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<FirstRunState>;
    return typeof value.completedAt === 'string' ? { completedAt: value.completedAt } : null;
  } catch {
    return null; // unreadable: showing the checklist once more is harmless
  }
}

export function writeFirstRunState(dataDir: string, at: Date = new Date()): FirstRunState {
  const file = firstRunStatePath(dataDir);
  mkdirSync(dirname(file), { recursive: true });
  const state: FirstRunState = { completedAt: at.toISOString() };
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
  return state;
}
