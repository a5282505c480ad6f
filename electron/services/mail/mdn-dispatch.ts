import { AppError } from '../../../shared/errors';
import type { Logger } from '../log/logger';
import type { MailboxService } from './mailbox-service';
import type { MessagingRepo } from './messaging-repo';

/**
 * Sends the integration receipts (MDN, domain.md §4) that the worklist records as due (`mdn_due`,
 * written by `refreshMdn` once every document of a message that asked for one is integrated or
 * rejected): each due row is handed to the outbox once, then marked `queued` with the outbox id.
 *
 * Exactly once, across restarts: the outbox row carries the received message
 * (`related_received_id`); a due row still `pending` whose receipt is already in the outbox (a
 * crash between the two writes) is linked to it instead of being queued again. A row that cannot
 * be queued yet (SMTP not configured, mailbox removed) stays `pending` with the reason, and is
 * retried at the next pass (start, any worklist change).
 */

export interface MdnDispatcher {
  /** One pass over the due receipts; concurrent calls coalesce into one more pass. */
  dispatch(): Promise<{ queued: number }>;
  /** Due rows whose receipt was delivered become `sent`. */
  reconcile(): number;
  stop(): Promise<void>;
}

export interface MdnDispatcherDeps {
  repo: MessagingRepo;
  enqueueMdn: MailboxService['enqueueMdn'];
  logger: Logger;
  now?: () => Date;
}

const ADDRESS = /^[^\s@<>()",;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

/** `Dr X <x@y.fr>` or `x@y.fr` → `x@y.fr`; null when it is not one address. */
export function addressOf(header: string): string | null {
  const angle = /<([^<>]+)>/.exec(header);
  const candidate = (angle ? angle[1]! : header).trim();
  return ADDRESS.test(candidate) ? candidate : null;
}

export function createMdnDispatcher(deps: MdnDispatcherDeps): MdnDispatcher {
  const { repo, logger } = deps;
  const log = logger.child('mdn');
  const now = () => (deps.now ? deps.now() : new Date()).toISOString();
  let running: Promise<{ queued: number }> | null = null;
  let again = false;
  let stopped = false;

  const pass = async (): Promise<number> => {
    let queued = 0;
    for (const due of repo.pendingMdns()) {
      if (stopped) break;
      const already = repo.mdnInOutbox(due.received_message_id);
      if (already !== null) {
        repo.markMdnQueued(due.id, already, now());
        continue;
      }
      const to = addressOf(due.recipient);
      const original = due.original_message_id ?? due.header_message_id;
      if (!to || !original) {
        const reason = !to ? `Adresse de l’accusé illisible : ${due.recipient.slice(0, 100)}` : 'Message reçu sans Message-ID : accusé impossible à rattacher.';
        repo.dropMdn(due.id, reason);
        log.warn('Accusé de traitement abandonné', { due: due.id, reason });
        continue;
      }
      try {
        const entry = await deps.enqueueMdn({
          from: due.mailbox,
          to,
          originalMessageId: original,
          ...(due.subject ? { originalSubject: due.subject } : {}),
          originalRecipient: due.mailbox,
          result: due.disposition === 'processed'
            ? { ok: true }
            : { ok: false, code: due.error_code ?? 'NON_INTEGRE', label: due.error_label ?? 'Document non intégré par le destinataire' },
          relatedReceivedId: due.received_message_id,
          patientId: due.patient_id,
        });
        repo.markMdnQueued(due.id, entry.id, now());
        queued++;
      } catch (error) {
        const message = error instanceof AppError ? error.message : String((error as Error)?.message ?? error);
        repo.noteMdnError(due.id, message);
        log.warn('Accusé de traitement non mis en file', { due: due.id, error });
      }
    }
    return queued;
  };

  const dispatcher: MdnDispatcher = {
    dispatch() {
      if (stopped) return Promise.resolve({ queued: 0 });
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        let queued = 0;
        try {
          do {
            again = false;
            queued += await pass();
          } while (again && !stopped);
        } catch (error) {
          log.error('Erreur de l’envoi des accusés de traitement', { error });
        } finally {
          running = null;
        }
        return { queued };
      })();
      return running;
    },
    reconcile: () => repo.reconcileSentMdns(),
    async stop() {
      stopped = true;
      await running;
    },
  };
  return dispatcher;
}
