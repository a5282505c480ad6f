import { EventEmitter } from 'node:events';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../log/logger';
import type { AuditActor, AuditRepo } from '../store/audit-repo';
import type { Db } from '../store/db';
import { createRawStore, type RawStore } from './raw-store';
import { composeMssMessage, type ComposeInput } from './send/compose';
import { buildIntegrationMdn, type IntegrationMdnInput } from './send/mdn';
import { createOutbox, type Outbox, type OutboxEntry } from './send/outbox';
import { createSmtpSender, type SmtpSend } from './send/smtp';
import { MailboxSyncEngine, type SyncSummary } from './sync/engine';
import { createProcessingQueue, type ProcessingQueue } from './sync/processing';
import { createMailRepo, type MailboxRow, type MailRepo } from './sync/repo';
import type {
  MailboxConfig,
  MailboxStatus,
  MailServerConfig,
  MailUser,
  OnStored,
  RetryPolicy,
  StoredMessageRow,
  SyncProgress,
  TokenProvider,
} from './sync/types';

/**
 * The practice's MSSanté mailboxes: one sync engine per mailbox visible to the session user
 * (doctor: own personal box, delegated boxes and the organisational box; secretary: the
 * organisational box and the boxes delegated to her), the processing hand-off of received
 * messages, and the persistent outbox. Imports nothing from Electron; the lead wires it in app.ts.
 */

export interface MailboxServiceConfig {
  imap?: MailServerConfig;
  smtp?: MailServerConfig;
  mailboxes: MailboxConfig[];
  /** X-MSS-NIL value (software reference); default `LGC-Segur/<version>`. */
  softwareReference?: string;
  retry?: Partial<RetryPolicy>;
  pollIntervalMs?: number;
  idleRefreshMs?: number;
  outboxBackoff?: { minMs?: number; maxMs?: number; maxAttempts?: number };
}

export interface MailboxServiceDeps {
  db: Db;
  dataDir: string;
  logger: Logger;
  audit: AuditRepo;
  tokenProvider: TokenProvider;
  config: MailboxServiceConfig;
  onStored?: OnStored;
  /** Tests inject an SMTP sender; production builds it from `config.smtp`. */
  smtpSend?: SmtpSend;
}

export interface Delegation {
  mailbox: string;
  delegateNationalId: string;
  grantedBy: string;
  grantedAt: string;
}

export type SendInput = Omit<ComposeInput, 'from' | 'softwareReference'> & {
  /** Sending mailbox (must be visible to the user). */
  mailbox: string;
  fromName?: string;
  patientId?: number | null;
};

interface ServiceEvents {
  change: [];
  progress: [SyncProgress];
  stored: [StoredMessageRow];
  synced: [{ address: string } & SyncSummary];
}

export interface MailboxService {
  start(user: MailUser): void;
  stop(): Promise<void>;
  status(): MailboxStatus[];
  syncNow(): void;
  visibleMailboxes(user: Pick<MailUser, 'nationalId' | 'role'>): MailboxConfig[];
  on<K extends keyof ServiceEvents>(event: K, listener: (...args: ServiceEvents[K]) => void): () => void;
  delegate(mailbox: string, delegateNationalId: string, by: MailUser): void;
  revokeDelegation(mailbox: string, delegateNationalId: string, by: MailUser): void;
  delegations(): Delegation[];
  markRead(user: MailUser, messageRowId: number, read: boolean): Promise<void>;
  flag(user: MailUser, messageRowId: number, flagged: boolean): Promise<void>;
  move(user: MailUser, messageRowId: number, folder: string): Promise<void>;
  deleteOnServer(user: MailUser, messageRowId: number): Promise<void>;
  send(user: MailUser, input: SendInput): Promise<OutboxEntry>;
  enqueueMdn(input: Omit<IntegrationMdnInput, 'softwareReference'> & { relatedReceivedId?: number; patientId?: number | null }, actor?: AuditActor): Promise<OutboxEntry>;
  outbox(limit?: number): OutboxEntry[];
  retryOutbox(id?: number): void;
  cancelOutbox(user: MailUser, id: number): boolean;
  /** Raw RFC 822 source of a stored message. */
  readRaw(messageRowId: number): Promise<Buffer>;
  /** Resolves when received messages handed to onStored so far are processed (tests, shutdown). */
  processingIdle(): Promise<void>;
  readonly rawStore: RawStore;
  close(): Promise<void>;
}

const SYSTEM: AuditActor = { userId: null, displayName: 'LGC Ségur (automatique)', role: null };

export function createMailboxService(deps: MailboxServiceDeps): MailboxService {
  const { db, logger, audit, config } = deps;
  const log = logger.child('mail');
  const rawStore = createRawStore(deps.dataDir);
  const repo: MailRepo = createMailRepo(db, rawStore.pathOf);
  const emitter = new EventEmitter<ServiceEvents>();
  const software = config.softwareReference ?? 'LGC-Segur/0.1';
  const configured = new Map<string, { cfg: MailboxConfig; row: MailboxRow }>();
  for (const cfg of config.mailboxes) {
    const address = cfg.address.trim().toLowerCase();
    configured.set(address, { cfg: { ...cfg, address }, row: repo.ensureMailbox({ ...cfg, address }) });
  }
  const processing: ProcessingQueue = createProcessingQueue({
    repo,
    logger: log,
    onStored: async (row) => {
      emitter.emit('stored', row);
      await deps.onStored?.(row);
    },
  });
  const engines = new Map<string, MailboxSyncEngine>();
  let user: MailUser | null = null;
  let changeTimer: NodeJS.Timeout | undefined;

  const changed = () => {
    if (changeTimer) return;
    changeTimer = setTimeout(() => {
      changeTimer = undefined;
      emitter.emit('change');
    }, 100);
    changeTimer.unref?.();
  };

  // ----- delegations
  const q = {
    delegations: db.prepare<[], { address: string; delegate_national_id: string; granted_by: string; granted_at: string }>(
      `SELECT m.address, d.delegate_national_id, d.granted_by, d.granted_at FROM mailbox_delegations d
        JOIN mailboxes m ON m.id = d.mailbox_id WHERE d.revoked_at IS NULL ORDER BY d.id`,
    ),
    delegatedTo: db.prepare<[string], { address: string }>(
      `SELECT m.address FROM mailbox_delegations d JOIN mailboxes m ON m.id = d.mailbox_id
        WHERE d.revoked_at IS NULL AND d.delegate_national_id = ?`,
    ),
    grant: db.prepare('INSERT INTO mailbox_delegations (mailbox_id, delegate_national_id, granted_by, granted_at) VALUES (?, ?, ?, ?)'),
    revoke: db.prepare('UPDATE mailbox_delegations SET revoked_at = ? WHERE mailbox_id = ? AND delegate_national_id = ? AND revoked_at IS NULL'),
  };

  const visibleMailboxes = (u: Pick<MailUser, 'nationalId' | 'role'>): MailboxConfig[] => {
    const delegated = new Set(q.delegatedTo.all(u.nationalId).map((r) => r.address.toLowerCase()));
    return [...configured.values()]
      .map((c) => c.cfg)
      .filter((c) =>
        c.kind === 'organisational'
        || delegated.has(c.address)
        || (u.role === 'doctor' && c.kind === 'personal' && c.ownerNationalId === u.nationalId));
  };

  const mailboxFor = (address: string) => {
    const c = configured.get(address.trim().toLowerCase());
    if (!c) throw new AppError('NOT_FOUND', `Boîte aux lettres inconnue : ${address}.`);
    return c;
  };

  const assertVisible = (u: MailUser, address: string) => {
    if (!visibleMailboxes(u).some((m) => m.address === address.trim().toLowerCase())) {
      throw new AppError('PERMISSION_DENIED', `La boîte ${address} ne vous est pas accessible (ni personnelle, ni déléguée, ni organisationnelle).`);
    }
  };

  // ----- outbox
  const smtpSend = deps.smtpSend ?? (config.smtp ? createSmtpSender(config.smtp, { logger: log }) : null);
  const outbox: Outbox | null = smtpSend
    ? createOutbox({
        db,
        raw: rawStore,
        audit,
        logger: log,
        send: smtpSend,
        backoff: config.outboxBackoff,
        credentials: async (address) => {
          const c = configured.get(address);
          if (c?.cfg.password !== undefined) return { password: c.cfg.password };
          return { accessToken: await deps.tokenProvider(), refresh: () => deps.tokenProvider() };
        },
      })
    : null;
  outbox?.onChange(changed);

  const requireOutbox = (): Outbox => {
    if (!outbox) throw new AppError('VALIDATION', "L'envoi de messages n'est pas configuré (serveur SMTP de l'opérateur MSSanté manquant).");
    return outbox;
  };

  // ----- engines
  const startEngine = (cfg: MailboxConfig, row: MailboxRow, u: MailUser) => {
    if (!config.imap) return;
    const engine = new MailboxSyncEngine({
      mailbox: row,
      imap: config.imap,
      ...(cfg.password !== undefined ? { password: cfg.password } : { tokenProvider: deps.tokenProvider }),
      user: u,
      db,
      repo,
      raw: rawStore,
      audit,
      logger: log,
      onStored: (r) => processing.enqueue(r),
      retry: config.retry,
      pollIntervalMs: config.pollIntervalMs,
      idleRefreshMs: config.idleRefreshMs,
    });
    engine.on('status', (s) => {
      changed();
      if (s.state === 'connected') outbox?.retryNow();
    });
    engine.on('progress', (p) => emitter.emit('progress', p));
    engine.on('synced', (s) => {
      emitter.emit('synced', { address: row.address, ...s });
      if (s.created) changed();
    });
    engines.set(row.address, engine);
    engine.start();
  };

  const service: MailboxService = {
    rawStore,

    start(u) {
      // Idempotent for the same person (the session emits a change at every token renewal).
      if (user && user.nationalId === u.nationalId) return;
      if (user) void service.stop();
      user = u;
      processing.retryPending();
      for (const cfg of visibleMailboxes(u)) startEngine(cfg, configured.get(cfg.address)!.row, u);
      outbox?.start();
      changed();
    },

    async stop() {
      const running = [...engines.values()];
      engines.clear();
      user = null;
      await outbox?.stop();
      await Promise.all(running.map((e) => e.stop()));
      changed();
    },

    status() {
      const list = user ? visibleMailboxes(user) : [...configured.values()].map((c) => c.cfg);
      return list.map((cfg): MailboxStatus => {
        const base = { address: cfg.address, label: cfg.label, kind: cfg.kind };
        if (!config.imap) return { ...base, state: 'not-configured', detail: "Serveur IMAP de l'opérateur MSSanté non configuré." };
        const engine = engines.get(cfg.address);
        if (!engine) {
          return { ...base, state: 'offline', detail: user ? 'Boîte non connectée.' : 'Connectez-vous avec Pro Santé Connect pour relever cette boîte.' };
        }
        return { ...base, state: engine.status.state, detail: engine.status.detail };
      });
    },

    syncNow() {
      for (const e of engines.values()) e.syncNow();
    },

    visibleMailboxes,

    on(event, listener) {
      emitter.on(event, listener as never);
      return () => emitter.off(event, listener as never);
    },

    delegate(mailbox, delegateNationalId, by) {
      const c = mailboxFor(mailbox);
      if (c.cfg.kind !== 'personal') throw new AppError('VALIDATION', 'Seule une boîte personnelle se délègue ; la boîte organisationnelle est partagée.');
      if (by.role !== 'doctor' || c.cfg.ownerNationalId !== by.nationalId) {
        throw new AppError('PERMISSION_DENIED', 'Seul le titulaire de la boîte personnelle peut la déléguer.');
      }
      try {
        q.grant.run(c.row.id, delegateNationalId, by.nationalId, new Date().toISOString());
      } catch (e) {
        if (/UNIQUE/.test(String(e))) return;
        throw e;
      }
      audit.append(by, 'mail.delegation', null, { boite: c.cfg.address, delegue: delegateNationalId });
      changed();
    },

    revokeDelegation(mailbox, delegateNationalId, by) {
      const c = mailboxFor(mailbox);
      if (by.role !== 'doctor' || c.cfg.ownerNationalId !== by.nationalId) {
        throw new AppError('PERMISSION_DENIED', 'Seul le titulaire de la boîte personnelle peut retirer une délégation.');
      }
      if (q.revoke.run(new Date().toISOString(), c.row.id, delegateNationalId).changes) {
        audit.append(by, 'mail.delegation_retiree', null, { boite: c.cfg.address, delegue: delegateNationalId });
        if (user?.nationalId === delegateNationalId) {
          const e = engines.get(c.cfg.address);
          engines.delete(c.cfg.address);
          void e?.stop();
        }
        changed();
      }
    },

    delegations() {
      return q.delegations.all().map((d) => ({ mailbox: d.address, delegateNationalId: d.delegate_national_id, grantedBy: d.granted_by, grantedAt: d.granted_at }));
    },

    async markRead(u, id, read) {
      await engineForRow(u, id).setSeen(id, read, u);
    },
    async flag(u, id, flagged) {
      await engineForRow(u, id).setFlagged(id, flagged, u);
    },
    async move(u, id, folder) {
      await engineForRow(u, id).move(id, folder, u);
    },
    async deleteOnServer(u, id) {
      await engineForRow(u, id).delete(id, u);
    },

    async send(u, input) {
      const ob = requireOutbox();
      const address = input.mailbox.trim().toLowerCase();
      assertVisible(u, address);
      const c = mailboxFor(address);
      const { mailbox: _m, fromName, patientId, ...compose } = input;
      const composed = await composeMssMessage({
        ...compose,
        from: { address: c.cfg.address, ...(fromName ? { name: fromName } : {}) },
        softwareReference: software,
      });
      return ob.enqueue({
        mailboxId: c.row.id,
        kind: 'message',
        messageId: composed.messageId,
        from: composed.from,
        recipients: composed.recipients,
        subject: composed.subject,
        raw: composed.raw,
        ...(composed.dsn ? { dsn: composed.dsn } : {}),
        patientId: patientId ?? null,
        actor: u,
      });
    },

    async enqueueMdn(input, actor = SYSTEM) {
      const ob = requireOutbox();
      const c = mailboxFor(input.from);
      const mdn = buildIntegrationMdn({ ...input, from: c.cfg.address, softwareReference: software });
      return ob.enqueue({
        mailboxId: c.row.id,
        kind: 'mdn',
        messageId: mdn.messageId,
        from: c.cfg.address,
        recipients: [input.to],
        subject: mdn.subject,
        raw: mdn.raw,
        patientId: input.patientId ?? null,
        relatedReceivedId: input.relatedReceivedId ?? null,
        actor,
      });
    },

    outbox: (limit) => outbox?.list(limit) ?? [],
    retryOutbox: (id) => outbox?.retryNow(id),
    cancelOutbox: (u, id) => requireOutbox().cancel(id, u),

    async readRaw(id) {
      const row = repo.byId(id);
      if (!row) throw new AppError('NOT_FOUND', 'Message introuvable.');
      return rawStore.read(row.rawSha256);
    },

    processingIdle: () => processing.idle(),

    async close() {
      await service.stop();
      await processing.close();
      clearTimeout(changeTimer);
    },
  };

  function engineForRow(u: MailUser, id: number): MailboxSyncEngine {
    const row = repo.byId(id);
    if (!row) throw new AppError('NOT_FOUND', 'Message introuvable.');
    assertVisible(u, row.mailboxAddress);
    const engine = engines.get(row.mailboxAddress.toLowerCase());
    if (!engine) throw new AppError('NETWORK', `La boîte ${row.mailboxAddress} n'est pas connectée.`);
    return engine;
  }

  log.info('Messagerie MSSanté prête', { mailboxes: configured.size, imap: !!config.imap, smtp: !!smtpSend });
  return service;
}
