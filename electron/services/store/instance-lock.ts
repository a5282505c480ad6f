import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';

/**
 * Which process works on a data folder (`lgc.pid`): the application, the browser host or a CLI
 * command holding the database. A restore refuses to replace the file under a running
 * application; a second application on the same folder is refused. A crash leaves the file
 * behind with a dead pid: it is then ignored.
 */

export interface InstanceLock {
  release(): void;
}

function lockFile(dataDir: string): string {
  return join(dataDir, 'lgc.pid');
}

/** Whether a process with this pid runs on this machine (EPERM: it does, under another user). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live process (other than this one) working on the folder, if any. */
export function runningInstance(dataDir: string): { pid: number; since: string } | null {
  let content: { pid?: unknown; host?: unknown; since?: unknown };
  try {
    content = JSON.parse(readFileSync(lockFile(dataDir), 'utf8')) as typeof content;
  } catch {
    return null;
  }
  const pid = Number(content.pid);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  // Another machine sharing the folder cannot be probed: taken as running, to be safe.
  if (content.host !== hostname() || isProcessRunning(pid)) return { pid, since: String(content.since ?? '') };
  return null;
}

export function acquireInstanceLock(dataDir: string, now = new Date()): InstanceLock {
  const other = runningInstance(dataDir);
  if (other) {
    throw new AppError(
      'CONFLICT',
      `LGC Ségur est déjà ouvert sur ce dossier de données (processus ${other.pid}, depuis ${other.since}). Fermez-le d’abord.`,
      other,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const file = lockFile(dataDir);
  writeFileSync(file, JSON.stringify({ pid: process.pid, host: hostname(), since: now.toISOString() }));
  return {
    release() {
      try {
        const content = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
        if (content.pid === process.pid) rmSync(file, { force: true });
      } catch {
        // Already gone.
      }
    },
  };
}
