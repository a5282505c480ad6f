import { AppError } from '../../../../shared/errors';
import type { Logger } from '../../log/logger';
import type { AuditActor, AuditRepo } from '../../store/audit-repo';
import type { Db } from '../../store/db';
import type { RawStore } from '../raw-store';
import { classifyMailError } from '../sync/connection';
import type { DsnRequest } from './compose';
import type { SmtpSend } from './smtp';

/**
 * Persistent outbox: every outgoing message (and integration MDN) is stored first — raw bytes in
 * the raw store, a `mail_outbox` row — then sent by a worker with exponential backoff. It
 * survives offline periods and restarts (a row left `sending` by a crash is retried: the same
 * Message-ID lets the recipient recognise a duplicate). Permanent refusals (5xx) stop retrying.
 */

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'error' | 'cancelled';

export interface OutboxEntry {
  id: number;
  mailbox: string;
  kind: 'message' | 'mdn';
  messageId: string;
  recipients: string[];
  subject: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  sentAt: string | null;
  patientId: number | null;
  /** « En attente », « Envoyé le 02/03/2026 à 10:15 », « Erreur : … ». */
  label: string;
}

export interface OutboxItemInput {
  mailboxId: number;
  kind: 'message' | 'mdn';
  messageId: string;
  from: string;
  recipients: string[];
  subject: string;
  raw: Buffer;
  dsn?: DsnRequest;
  patientId?: number | null;
  relatedReceivedId?: number | null;
  actor: AuditActor;
}

export interface OutboxOptions {
  db: Db;
  raw: RawStore;
  audit?: AuditRepo;
  logger: Logger;
  send: SmtpSend;
  /** Credentials for a mailbox at send time (PSC token of the session user, or sandbox password). */
  credentials: (mailboxAddress: string) => Promise<{ accessToken?: string; password?: string; refresh?: () => Promise<string> }>;
  backoff?: { minMs?: number; maxMs?: number; maxAttempts?: number };
  now?: () => Date;
}

interface OutboxRow {
  id: number;
  mailbox_id: number;
  address: string;
  kind: 'message' | 'mdn';
  message_id: string;
  envelope_from: string;
  recipients: string;
  subject: string;
  raw_sha256: string;
  raw_size: number;
  dsn: string | null;
  patient_id: number | null;
  created_by_user_id: number | null;
  created_by: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  sent_at: string | null;
}

const SELECT = `SELECT o.*, m.address FROM mail_outbox o JOIN mailboxes m ON m.id = o.mailbox_id`;

function frDateTime(iso: string): string {
  const d = new Date(iso);
  const date = d.toLocaleDateString('fr-FR', { day: '2-digit', month: '2-digit', year: 'numeric' });
  const time = d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });
  return `${date} à ${time}`;
}

export function outboxLabel(e: { status: OutboxStatus; sentAt: string | null; lastError: string | null; nextAttemptAt: string }): string {
  switch (e.status) {
    case 'sent':
      return `Envoyé le ${frDateTime(e.sentAt!)}`;
    case 'error':
      return `Erreur : ${e.lastError ?? 'raison inconnue'}`;
    case 'cancelled':
      return 'Annulé';
    case 'sending':
      return 'Envoi en cours';
    default:
      return e.lastError ? `En attente (nouvel essai le ${frDateTime(e.nextAttemptAt)} ; dernière erreur : ${e.lastError})` : 'En attente';
  }
}

export function createOutbox(options: OutboxOptions) {
  const { db, raw, audit, logger } = options;
  const now = options.now ?? (() => new Date());
  const minMs = options.backoff?.minMs ?? 30_000;
  const maxMs = options.backoff?.maxMs ?? 3600_000;
  const maxAttempts = options.backoff?.maxAttempts ?? 20;
  const log = logger.child('outbox');
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let started = false;
  let working: Promise<void> | null = null;
  const listeners = new Set<() => void>();

  const toEntry = (r: OutboxRow): OutboxEntry => {
    const e = {
      id: r.id,
      mailbox: r.address,
      kind: r.kind,
      messageId: r.message_id,
      recipients: JSON.parse(r.recipients) as string[],
      subject: r.subject,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      lastError: r.last_error,
      sentAt: r.sent_at,
      patientId: r.patient_id,
    };
    return { ...e, label: outboxLabel(e) };
  };

  const q = {
    insert: db.prepare(`INSERT INTO mail_outbox (mailbox_id, kind, message_id, envelope_from, recipients, subject, raw_sha256, raw_size, dsn,
      patient_id, related_received_id, created_at, created_by_user_id, created_by, status, next_attempt_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`),
    byId: db.prepare<[number], OutboxRow>(`${SELECT} WHERE o.id = ?`),
    due: db.prepare<[string], OutboxRow>(`${SELECT} WHERE o.status = 'pending' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT 1`),
    nextDue: db.prepare<[], { at: string }>(`SELECT MIN(next_attempt_at) AS at FROM mail_outbox WHERE status = 'pending'`),
    list: db.prepare<[number], OutboxRow>(`${SELECT} ORDER BY o.id DESC LIMIT ?`),
    sending: db.prepare("UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'pending'"),
    sent: db.prepare("UPDATE mail_outbox SET status = 'sent', sent_at = ?, server_response = ?, last_error = NULL WHERE id = ?"),
    retry: db.prepare("UPDATE mail_outbox SET status = 'pending', next_attempt_at = ?, last_error = ? WHERE id = ?"),
    failed: db.prepare("UPDATE mail_outbox SET status = 'error', last_error = ? WHERE id = ?"),
    resetSending: db.prepare("UPDATE mail_outbox SET status = 'pending' WHERE status = 'sending'"),
    retryNow: db.prepare("UPDATE mail_outbox SET status = 'pending', next_attempt_at = ? WHERE status IN ('pending', 'error') AND (? IS NULL OR id = ?)"),
    cancel: db.prepare("UPDATE mail_outbox SET status = 'cancelled' WHERE id = ? AND status IN ('pending', 'error')"),
  };

  const emit = () => {
    for (const l of listeners) {
      try {
        l();
      } catch (e) {
        log.warn('listener failed', { error: e });
      }
    }
  };

  const schedule = () => {
    clearTimeout(timer);
    if (!started) return;
    const next = q.nextDue.get()?.at;
    if (!next) return;
    const delay = Math.max(0, Math.min(2 ** 31 - 1, Date.parse(next) - now().getTime()));
    timer = setTimeout(() => void work(), delay);
    timer.unref?.();
  };

  const attempt = async (row: OutboxRow): Promise<void> => {
    q.sending.run(row.id);
    emit();
    const content = await raw.read(row.raw_sha256);
    const to = JSON.parse(row.recipients) as string[];
    const dsn = row.dsn ? (JSON.parse(row.dsn) as DsnRequest) : null;
    const request = `MAIL FROM:<${row.envelope_from}> ; ${to.map((t) => `RCPT TO:<${t}>`).join(' ; ')} ; DATA (${row.raw_size} octets)`;
    try {
      const creds = await options.credentials(row.address);
      const sendWith = (accessToken?: string) => options.send({
        from: row.envelope_from,
        to,
        raw: content,
        dsn,
        dsnEnvelopeId: row.message_id.replace(/[<>]/g, ''),
        auth: { user: row.address, ...(accessToken ? { accessToken } : { password: creds.password }) },
      });
      let result;
      try {
        result = await sendWith(creds.accessToken);
      } catch (error) {
        // Expired token: a fresh one, once, silently.
        if (!creds.accessToken || !creds.refresh || !classifyMailError(error, 'SMTP').auth) throw error;
        const fresh = await creds.refresh();
        if (fresh === creds.accessToken) throw error;
        result = await sendWith(fresh);
      }
      const at = now().toISOString();
      q.sent.run(at, result.response.slice(0, 500), row.id);
      audit?.append({ userId: row.created_by_user_id, displayName: row.created_by, role: null }, row.kind === 'mdn' ? 'mail.accuse_envoye' : 'mail.envoye', row.patient_id, {
        boite: row.address, messageId: row.message_id, destinataires: to, requete: request, reponse: result.response.slice(0, 200),
      });
      log.info('Message envoyé', { id: row.id, mailbox: row.address });
    } catch (error) {
      const c = classifyMailError(error, 'SMTP');
      const attempts = row.attempts + 1;
      if (!c.retry || attempts >= maxAttempts) {
        q.failed.run(c.detail, row.id);
        audit?.append({ userId: row.created_by_user_id, displayName: row.created_by, role: null }, 'mail.envoi_echec', row.patient_id, {
          boite: row.address, messageId: row.message_id, requete: request, erreur: c.detail,
        });
        log.warn('Envoi abandonné', { id: row.id, error });
      } else {
        const delay = Math.min(maxMs, minMs * 2 ** (attempts - 1));
        q.retry.run(new Date(now().getTime() + delay).toISOString(), c.detail, row.id);
        log.info('Envoi reporté', { id: row.id, delayMs: delay, error });
      }
    }
    emit();
  };

  const work = async (): Promise<void> => {
    if (running || !started) return working ?? undefined;
    running = true;
    working = (async () => {
      try {
        for (;;) {
          if (!started) break;
          const row = q.due.get(now().toISOString());
          if (!row) break;
          await attempt(row);
        }
      } catch (error) {
        log.error('Erreur de la file d’envoi', { error });
      } finally {
        running = false;
        working = null;
        schedule();
      }
    })();
    return working;
  };

  return {
    /** Stores the message and queues it; sending happens in the background. */
    async enqueue(item: OutboxItemInput): Promise<OutboxEntry> {
      if (!item.recipients.length) throw new AppError('VALIDATION', 'Aucun destinataire.');
      const put = await raw.put(item.raw);
      const at = now().toISOString();
      const id = Number(db.transaction(() => {
        const r = q.insert.run(
          item.mailboxId, item.kind, item.messageId, item.from, JSON.stringify(item.recipients), item.subject, put.sha256, put.size,
          item.dsn ? JSON.stringify(item.dsn) : null, item.patientId ?? null, item.relatedReceivedId ?? null, at,
          item.actor.userId, item.actor.displayName, at,
        );
        audit?.append(item.actor, item.kind === 'mdn' ? 'mail.accuse_prepare' : 'mail.envoi', item.patientId ?? null, {
          messageId: item.messageId, destinataires: item.recipients, objet: item.subject, taille: put.size, requete: 'file d’envoi (SMTP en attente)',
        });
        return r.lastInsertRowid;
      })());
      const entry = toEntry(q.byId.get(id)!);
      emit();
      void work();
      return entry;
    },
    get(id: number): OutboxEntry | undefined {
      const r = q.byId.get(id);
      return r ? toEntry(r) : undefined;
    },
    list(limit = 200): OutboxEntry[] {
      return q.list.all(limit).map(toEntry);
    },
    /** Starts the worker; rows a crash left `sending` go back to `pending`. */
    start(): void {
      if (started) return;
      started = true;
      q.resetSending.run();
      void work();
    },
    async stop(): Promise<void> {
      started = false;
      clearTimeout(timer);
      await working;
    },
    /** Retries now (all, or one message), e.g. when the connection comes back. */
    retryNow(id?: number): void {
      q.retryNow.run(now().toISOString(), id ?? null, id ?? null);
      emit();
      void work();
    },
    cancel(id: number, actor: AuditActor): boolean {
      const ok = q.cancel.run(id).changes > 0;
      if (ok) {
        const r = q.byId.get(id)!;
        audit?.append(actor, 'mail.envoi_annule', r.patient_id, { messageId: r.message_id });
        emit();
      }
      return ok;
    },
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Resolves when the current sending round is over. */
    async idle(): Promise<void> {
      while (working) await working;
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
