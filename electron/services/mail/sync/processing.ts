import type { Logger } from '../../log/logger';
import type { MailRepo } from './repo';
import type { OnStored, StoredMessageRow } from './types';

/**
 * Hands committed messages to the `onStored` hook (the worklist pipeline), one at a time, away
 * from the sync loop: a slow or failing hook never delays or stops the sync. Success → state
 * `parsed`; failure → state `error` with the reason, retried at the next start (bounded).
 */
export interface ProcessingQueue {
  enqueue(row: StoredMessageRow): void;
  /** Re-enqueues rows left `stored` or `error` (crash, hook failure), oldest first. Returns how many. */
  retryPending(): number;
  /** Resolves when everything enqueued so far has been handled. */
  idle(): Promise<void>;
  /** Stops taking rows; resolves once the row being handled (if any) is done, so the database can close after. */
  close(): Promise<void>;
}

export const MAX_PROCESS_ATTEMPTS = 5;

export function createProcessingQueue(deps: { repo: MailRepo; onStored?: OnStored; logger: Logger }): ProcessingQueue {
  const { repo, logger } = deps;
  const queue: StoredMessageRow[] = [];
  const queued = new Set<number>();
  let running: Promise<void> | null = null;
  let closed = false;

  const handle = async (row: StoredMessageRow) => {
    if (!deps.onStored) {
      repo.markProcessed(row.id);
      return;
    }
    try {
      await deps.onStored(row);
      repo.markProcessed(row.id);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn('Traitement du message reçu en échec (sera repris)', { id: row.id, mailbox: row.mailboxAddress, error });
      try {
        repo.markFailed(row.id, reason || 'erreur inconnue');
      } catch (e) {
        logger.error('Impossible de noter l’échec du traitement', { id: row.id, error: e });
      }
    }
  };

  const pump = async () => {
    while (queue.length && !closed) {
      const row = queue.shift()!;
      try {
        await handle(row);
      } finally {
        queued.delete(row.id);
      }
    }
  };

  const kick = () => {
    if (running) return;
    running = pump().finally(() => {
      running = null;
      if (queue.length && !closed) kick();
    });
  };

  return {
    enqueue(row) {
      if (closed || queued.has(row.id)) return;
      queued.add(row.id);
      queue.push(row);
      kick();
    },
    retryPending() {
      let n = 0;
      for (const row of repo.pendingProcessing(MAX_PROCESS_ATTEMPTS)) {
        if (queued.has(row.id)) continue;
        queued.add(row.id);
        queue.push(row);
        n++;
      }
      if (n) kick();
      return n;
    },
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      queue.length = 0;
      queued.clear();
      while (running) await running;
    },
  };
}
