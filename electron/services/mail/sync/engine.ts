import { EventEmitter } from 'node:events';
import type { ImapFlow, FetchMessageObject } from 'imapflow';
import { AppError } from '../../../../shared/errors';
import type { Logger } from '../../log/logger';
import { SYSTEM_ACTOR, type AuditRepo } from '../../store/audit-repo';
import type { Db } from '../../store/db';
import type { RawPut, RawStore } from '../raw-store';
import { open } from 'node:fs/promises';
import { classifyMailError, createImapClient, usedAuthMechanism } from './connection';
import { readRowHeaders, type RowHeaders } from './headers';
import type { MailboxRow, MailRepo, MessageMeta, StoreOutcome } from './repo';
import {
  DEFAULT_RETRY,
  type MailServerConfig,
  type MailUser,
  type MailboxState,
  type RetryPolicy,
  type StoredMessageRow,
  type SyncProgress,
  type TokenProvider,
} from './types';

/**
 * Sync engine of one MSSanté mailbox (INBOX): connection with the PSC token, initial and
 * incremental sync driven by UIDVALIDITY and the client's own UID watermark, CONDSTORE flag
 * updates when offered, IDLE push (polling when IDLE is missing), reconnection with backoff.
 *
 * Durability: for each message the raw source is written (temp + fsync + rename) and then its
 * row and the watermark move are committed in one transaction, before anything else happens
 * (processing, flags). The background loop never throws: failures become the status.
 */

export interface SyncEngineOptions {
  mailbox: MailboxRow;
  imap: MailServerConfig;
  /** PSC access token of the session user (XOAUTH2). */
  tokenProvider?: TokenProvider;
  /** Sandbox/legacy password login instead of the token. */
  password?: string;
  user: MailUser | null;
  db: Db;
  repo: MailRepo;
  raw: RawStore;
  audit?: AuditRepo;
  logger: Logger;
  /** Called after each new message is committed (the processing queue). */
  onStored?: (row: StoredMessageRow) => void;
  retry?: Partial<RetryPolicy>;
  /** Polling period when the server has no IDLE (default 60 s). */
  pollIntervalMs?: number;
  /** Safety re-sync while idling (default 5 min). */
  idleRefreshMs?: number;
  /** Bytes of message sources asked per FETCH command (default 128 MB; memory is bounded by the write pipeline, not by this). */
  batchBytes?: number;
  /** Messages above this size are streamed to disk instead of buffered (default 16 MB). */
  streamAboveBytes?: number;
  /** Larger messages are left on the server and reported (default 1 GB). */
  maxMessageBytes?: number;
  clientVersion?: string;
}

export interface EngineStatus {
  state: Exclude<MailboxState, 'not-configured'>;
  detail: string | null;
}

export interface SyncSummary {
  phase: SyncProgress['phase'];
  listed: number;
  created: number;
  relocated: number;
  duplicates: number;
}

interface EngineEvents {
  status: [EngineStatus];
  progress: [SyncProgress];
  stored: [StoredMessageRow, StoreOutcome];
  synced: [SyncSummary];
}

class KilledError extends Error {
  constructor() {
    super('moteur de synchronisation arrêté');
  }
}

const FETCH_LIST_QUERY = { uid: true, size: true, flags: true, internalDate: true } as const;

const hhmm = (d: Date) => d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });

export class MailboxSyncEngine extends EventEmitter<EngineEvents> {
  readonly mailbox: MailboxRow;
  readonly #o: SyncEngineOptions;
  readonly #log: Logger;
  readonly #retry: RetryPolicy;
  #status: EngineStatus = { state: 'offline', detail: 'Connexion en cours…' };
  #client: ImapFlow | null = null;
  #loop: Promise<void> | null = null;
  #stopped = false;
  #killed = false;
  #dirty = false;
  #wake: (() => void) | null = null;
  #lock: Promise<unknown> = Promise.resolve();
  #sessionSynced = false;

  constructor(options: SyncEngineOptions) {
    super();
    this.mailbox = options.mailbox;
    this.#o = options;
    this.#log = options.logger.child(`mail.${options.mailbox.address}`);
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  get status(): EngineStatus {
    return this.#status;
  }

  get running(): boolean {
    return this.#loop !== null;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopped = false;
    this.#loop = this.#run().finally(() => {
      this.#loop = null;
    });
  }

  /** Asks for a sync as soon as possible (breaks IDLE or a reconnection wait). */
  syncNow(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  /** Clean stop: IMAP LOGOUT, loop finished. Used at PSC session end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    const client = this.#client;
    if (client) {
      await Promise.race([client.logout().catch(() => undefined), sleep(2000)]);
      client.close();
    }
    await this.#loop;
    this.#setStatus('offline', 'Boîte déconnectée.');
  }

  /**
   * Abrupt end, as if the process were killed: the socket is dropped and nothing more is written,
   * whatever step the sync was at (tests of crash recovery).
   */
  kill(): void {
    this.#killed = true;
    this.#stopped = true;
    this.#wake?.();
    this.#client?.close();
  }

  /** Resolves when the loop has ended (after stop() or kill()). */
  async whenStopped(): Promise<void> {
    await this.#loop;
  }

  // -------------------------------------------------------------------------------------------
  // Mailbox actions (user-initiated), run on the engine's connection and audited.

  async setSeen(rowId: number, seen: boolean, actor: MailUser): Promise<void> {
    await this.#flagAction(rowId, '\\Seen', seen, actor, seen ? 'mail.lu' : 'mail.non_lu');
  }

  async setFlagged(rowId: number, flagged: boolean, actor: MailUser): Promise<void> {
    await this.#flagAction(rowId, '\\Flagged', flagged, actor, flagged ? 'mail.marque' : 'mail.demarque');
  }

  async move(rowId: number, folder: string, actor: MailUser): Promise<void> {
    await this.#action(rowId, actor, async (client, row) => {
      const request = `UID MOVE ${row.uid} ${JSON.stringify(folder)}`;
      this.#assertDurable(row.id);
      const list = await client.list();
      if (!list.some((f) => f.path === folder)) await client.mailboxCreate(folder);
      const res = await client.messageMove(String(row.uid), folder, { uid: true });
      if (!res) throw new AppError('REMOTE_SERVICE', 'Le serveur a refusé le déplacement du message.');
      this.#o.repo.setServerState(row.id, 'moved', folder);
      this.#auditAction(actor, 'mail.deplacement', { message: row.id, dossier: folder }, request);
    });
  }

  /** Deletes on the server (\Deleted + UID EXPUNGE); the local copy (raw + row) stays. */
  async delete(rowId: number, actor: MailUser): Promise<void> {
    await this.#action(rowId, actor, async (client, row) => {
      this.#assertDurable(row.id);
      const ok = await client.messageDelete(String(row.uid), { uid: true });
      if (!ok) throw new AppError('REMOTE_SERVICE', 'Le serveur a refusé la suppression du message.');
      this.#o.repo.setServerState(row.id, 'deleted');
      this.#auditAction(actor, 'mail.suppression', { message: row.id }, `UID STORE ${row.uid} +FLAGS (\\Deleted) ; UID EXPUNGE ${row.uid}`);
    });
  }

  async #flagAction(rowId: number, flag: string, on: boolean, actor: MailUser, action: string): Promise<void> {
    await this.#action(rowId, actor, async (client, row) => {
      const ok = on
        ? await client.messageFlagsAdd(String(row.uid), [flag], { uid: true })
        : await client.messageFlagsRemove(String(row.uid), [flag], { uid: true });
      if (!ok) throw new AppError('REMOTE_SERVICE', 'Le serveur a refusé la modification du message.');
      this.#auditAction(actor, action, { message: row.id }, `UID STORE ${row.uid} ${on ? '+' : '-'}FLAGS.SILENT (${flag})`);
    });
  }

  async #action(rowId: number, actor: MailUser, fn: (client: ImapFlow, row: StoredMessageRow) => Promise<void>): Promise<void> {
    const row = this.#o.repo.byId(rowId);
    if (!row || row.mailboxId !== this.mailbox.id) throw new AppError('NOT_FOUND', 'Message introuvable dans cette boîte.');
    if (row.serverState !== 'present') throw new AppError('CONFLICT', "Ce message n'est plus dans la boîte de réception du serveur.");
    await this.#exclusive(async () => {
      const client = this.#client;
      if (!client || !client.usable || !client.mailbox) {
        throw new AppError('NETWORK', `La boîte ${this.mailbox.address} est hors ligne : action impossible pour le moment.`);
      }
      if (Number(client.mailbox.uidValidity) !== row.uidvalidity) {
        this.syncNow();
        throw new AppError('CONFLICT', 'La boîte a été réorganisée par le serveur ; resynchronisation en cours, réessayez dans un instant.');
      }
      await fn(client, row);
    });
  }

  /** Before a destructive server action: the local copy must be intact and the DB durable. */
  #assertDurable(rowId: number): void {
    const row = this.#o.repo.byId(rowId)!;
    if (!this.#o.raw.has(row.rawSha256)) {
      throw new AppError('INTERNAL', 'La copie locale du message est introuvable : action refusée pour ne rien perdre.');
    }
    this.#o.db.pragma('wal_checkpoint(FULL)');
  }

  #auditAction(actor: MailUser, action: string, detail: Record<string, unknown>, request: string): void {
    this.#o.audit?.append(actor, action, null, { boite: this.mailbox.address, ...detail, requete: request });
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((r) => (release = r));
    try {
      await previous.catch(() => undefined);
      return await fn();
    } finally {
      release();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Background loop

  #setStatus(state: EngineStatus['state'], detail: string | null): void {
    if (this.#killed) return;
    if (this.#status.state === state && this.#status.detail === detail) return;
    this.#status = { state, detail };
    this.emit('status', this.#status);
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      let client: ImapFlow | null = null;
      try {
        if (this.#status.state !== 'error') this.#setStatus('offline', 'Connexion en cours…');
        client = await this.#connect();
        attempt = 0;
        await this.#session(client);
      } catch (error) {
        if (this.#stopped) break;
        client?.close();
        this.#client = null;
        const c = classifyMailError(error);
        const delay = Math.min(this.#retry.maxMs, this.#retry.minMs * 2 ** Math.min(attempt, 16));
        attempt++;
        this.#log.warn('Synchronisation interrompue', { error, state: c.state, retryInMs: delay });
        if (!c.retry) {
          this.#setStatus('error', c.detail);
          break;
        }
        this.#setStatus(c.state, `${c.detail} Nouvelle tentative dans ${Math.max(1, Math.round(delay / 1000))} s.`);
        await this.#sleep(delay);
      }
    }
  }

  async #connect(): Promise<ImapFlow> {
    const { password, tokenProvider } = this.#o;
    if (password !== undefined) return this.#open({ password });
    if (!tokenProvider) throw new AppError('UNAUTHENTICATED', 'Aucune session Pro Santé Connect : connexion à la messagerie impossible.');
    let token: string;
    try {
      token = await tokenProvider();
    } catch (error) {
      throw new AppError('UNAUTHENTICATED', `Session Pro Santé Connect indisponible : ${error instanceof Error ? error.message : 'jeton absent'}`);
    }
    try {
      return await this.#open({ accessToken: token });
    } catch (error) {
      if (!classifyMailError(error).auth || this.#stopped) throw error;
      // An expired token: ask for a fresh one and reconnect silently once.
      const fresh = await tokenProvider().catch(() => token);
      if (fresh === token) throw error;
      this.#log.info('Jeton PSC renouvelé après refus, nouvelle connexion');
      return this.#open({ accessToken: fresh });
    }
  }

  async #open(auth: { accessToken?: string; password?: string }): Promise<ImapFlow> {
    const client = createImapClient(this.#o.imap, { user: this.mailbox.address, ...auth }, {
      logger: this.#log,
      clientVersion: this.#o.clientVersion,
    });
    client.on('error', (error: unknown) => this.#log.debug('Erreur de connexion IMAP', { error }));
    try {
      await client.connect();
    } catch (error) {
      client.close();
      throw error;
    }
    if (this.#stopped) {
      client.close();
      throw new KilledError();
    }
    this.#client = client;
    this.#sessionSynced = false;
    const mech = usedAuthMechanism(client);
    this.#o.audit?.append(this.#actor(), 'mail.connexion', null, {
      boite: this.mailbox.address,
      serveur: `${this.#o.imap.host}:${this.#o.imap.port}`,
      chiffrement: client.secureConnection ? 'TLS' : 'aucun (bac à sable)',
      requete: `AUTHENTICATE ${mech}`,
    });
    return client;
  }

  #actor() {
    return this.#o.user ?? SYSTEM_ACTOR;
  }

  async #session(client: ImapFlow): Promise<void> {
    let closed = false;
    let onClosed!: () => void;
    const closedSignal = new Promise<void>((resolve) => (onClosed = resolve));
    client.once('close', () => {
      closed = true;
      onClosed();
      this.#wake?.();
    });
    const dirty = () => this.syncNow();
    client.on('exists', dirty);
    client.on('expunge', dirty);
    client.on('flags', dirty);

    await this.#exclusive(() => client.mailboxOpen('INBOX'));
    await this.#exclusive(() => this.#syncOnce(client));
    while (!this.#stopped) {
      await this.#waitForChange(client, closedSignal);
      if (this.#stopped) return;
      if (closed || !client.usable) throw Object.assign(new Error('connexion fermée par le serveur'), { code: 'NoConnection' });
      await this.#exclusive(() => this.#syncOnce(client));
    }
  }

  async #waitForChange(client: ImapFlow, closed: Promise<void>): Promise<void> {
    if (this.#dirty) {
      this.#dirty = false;
      return;
    }
    const hasIdle = client.capabilities.has('IDLE');
    const wait = hasIdle ? (this.#o.idleRefreshMs ?? 5 * 60_000) : (this.#o.pollIntervalMs ?? 60_000);
    const woken = new Promise<void>((resolve) => (this.#wake = resolve));
    if (hasIdle) void client.idle().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([woken, closed, new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
    clearTimeout(timer);
    this.#wake = null;
    this.#dirty = false;
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopped) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#wake = null;
    this.#dirty = false;
  }

  #checkAlive(): void {
    if (this.#killed || this.#stopped) throw new KilledError();
  }

  /** One sync pass on the selected INBOX. */
  async #syncOnce(client: ImapFlow): Promise<SyncSummary> {
    const { repo, raw, db } = this.#o;
    const box = this.mailbox;
    const selected = client.mailbox;
    if (!selected) throw Object.assign(new Error('boîte non sélectionnée'), { code: 'NoConnection' });
    const uidvalidity = Number(selected.uidValidity);
    const cursor = repo.cursor(box.id);
    let phase: SyncProgress['phase'];
    if (cursor.uidvalidity === null) {
      phase = 'initial';
      repo.setCursor(box.id, uidvalidity, 1);
    } else if (cursor.uidvalidity !== uidvalidity) {
      phase = 'resync';
      this.#log.warn('UIDVALIDITY modifiée : resynchronisation complète', { before: cursor.uidvalidity, after: uidvalidity });
      this.#checkAlive();
      db.transaction(() => {
        repo.setCursor(box.id, uidvalidity, 1);
        repo.setModseq(box.id, null);
      })();
      this.#o.audit?.append(this.#actor(), 'mail.resynchronisation', null, {
        boite: box.address, ancienneUidValidity: cursor.uidvalidity, nouvelleUidValidity: uidvalidity, requete: 'SELECT INBOX',
      });
    } else {
      phase = 'incremental';
    }
    const watermark = phase === 'incremental' ? cursor.uidnext : 1;
    const summary: SyncSummary = { phase, listed: 0, created: 0, relocated: 0, duplicates: 0 };

    // 1. What is new: UID, size, flags and date of every UID at or above the watermark (headers are
    //    read locally from the source: ENVELOPE would make the server parse every message).
    const listRequest = `UID FETCH ${watermark}:* (UID RFC822.SIZE FLAGS INTERNALDATE)`;
    const listing: FetchMessageObject[] = [];
    if (selected.exists > 0) {
      for await (const m of client.fetch(`${watermark}:*`, FETCH_LIST_QUERY, { uid: true })) {
        if (m.uid >= watermark) listing.push(m);
      }
    }
    listing.sort((a, b) => a.uid - b.uid);
    summary.listed = listing.length;

    if (listing.length) {
      this.#setStatus('syncing', this.#progressText(phase, 0, listing.length));
      await this.#fetchAndStore(client, uidvalidity, listing, phase, summary);
      this.#o.audit?.append(this.#actor(), 'mail.synchronisation', null, {
        boite: box.address,
        phase,
        messages: listing.length,
        nouveaux: summary.created,
        requete: `${listRequest} ; UID FETCH ${listing[0]!.uid}:${listing.at(-1)!.uid} (BODY.PEEK[])`,
      });
    }

    // 2. Flags changed elsewhere (CONDSTORE), and messages expunged elsewhere.
    await this.#syncFlags(client, uidvalidity);
    if (phase === 'resync') repo.expireStaleLocations(box.id, uidvalidity);
    await this.#detectExpunged(client, uidvalidity);

    this.#checkAlive();
    const now = new Date();
    repo.setSynced(box.id, now.toISOString());
    this.#sessionSynced = true;
    this.#setStatus('connected', `À jour (synchronisée à ${hhmm(now)}).`);
    this.emit('synced', summary);
    return summary;
  }

  #progressText(phase: SyncProgress['phase'], done: number, total: number): string {
    const label = phase === 'initial' ? 'Synchronisation initiale' : phase === 'resync' ? 'Resynchronisation complète' : 'Réception';
    return `${label} : ${done} / ${total} message${total > 1 ? 's' : ''}.`;
  }

  async #fetchAndStore(client: ImapFlow, uidvalidity: number, listing: FetchMessageObject[], phase: SyncProgress['phase'], summary: SyncSummary): Promise<void> {
    const { repo, raw, db } = this.#o;
    const box = this.mailbox;
    const streamAbove = this.#o.streamAboveBytes ?? 16 * 1024 * 1024;
    const maxBytes = this.#o.maxMessageBytes ?? 1024 * 1024 * 1024;
    const batchBytes = this.#o.batchBytes ?? 128 * 1024 * 1024;
    const metaByUid = new Map(listing.map((m) => [m.uid, m]));
    const order = listing.map((m) => m.uid);
    const done = new Set<number>();
    let next = 0; // index in `order` of the first UID not yet done
    let count = 0;
    let lastStatusAt = 0;

    const watermarkAfter = (uid: number): number => {
      done.add(uid);
      while (next < order.length && done.has(order[next]!)) next++;
      return next < order.length ? order[next]! : order.at(-1)! + 1;
    };

    const commitGroup = (group: { uid: number; put: { sha256: string; size: number }; headers: RowHeaders }[]) => {
      this.#checkAlive();
      const results = db.transaction(() => group.map(({ uid, put, headers }) => {
        const r = repo.storeMessage(box.id, uidvalidity, uid, put, toMeta(metaByUid.get(uid)!, headers), new Date().toISOString());
        repo.setCursor(box.id, uidvalidity, watermarkAfter(uid));
        return r;
      }))();
      for (const result of results) {
        count++;
        if (result.outcome === 'new') summary.created++;
        else if (result.outcome === 'relocated') summary.relocated++;
        else if (result.outcome === 'duplicate') summary.duplicates++;
        this.emit('stored', result.row, result.outcome);
        if (result.outcome === 'new') this.#o.onStored?.(result.row);
      }
      this.emit('progress', { address: box.address, phase, done: count, total: listing.length });
      const now = Date.now();
      if (now - lastStatusAt >= 250 || count === listing.length) {
        lastStatusAt = now;
        this.#setStatus('syncing', this.#progressText(phase, count, listing.length));
      }
    };

    const skip = (uid: number) => {
      this.#checkAlive();
      db.transaction(() => repo.setCursor(box.id, uidvalidity, watermarkAfter(uid)))();
    };

    // Small messages: fetched in batches; their files are written concurrently while the next
    // ones arrive, and committed in UID order by groups once the files and their folders are
    // durable. Big messages: alone, streamed to disk.
    const maxInFlight = 128;
    const maxInFlightBytes = 24 * 1024 * 1024;
    const groupSize = 64;
    interface Pending { uid: number; size: number; headers: RowHeaders; put?: RawPut; error?: unknown; done: Promise<void> }
    const queue: Pending[] = [];
    let inFlightBytes = 0;
    const settled = (p: Pending) => p.put !== undefined || p.error !== undefined;
    // The committer runs beside the fetch loop: network, file writes and commits overlap.
    let committer: Promise<void> | null = null;
    let committerError: unknown = null;
    let spaceWaiter: (() => void) | null = null;
    const freeSpace = () => {
      const w = spaceWaiter;
      spaceWaiter = null;
      w?.();
    };
    const runCommitter = async () => {
      while (queue.length && committerError === null) {
        if (!settled(queue[0]!)) await queue[0]!.done;
        let n = 0;
        while (n < queue.length && n < groupSize && settled(queue[n]!)) n++;
        const group = queue.slice(0, n);
        const failed = group.find((g) => g.error !== undefined);
        if (failed) throw failed.error;
        await raw.syncDirs(group.map((g) => g.put!.sha256));
        commitGroup(group.map((g) => ({ uid: g.uid, put: g.put!, headers: g.headers })));
        queue.splice(0, n);
        for (const g of group) inFlightBytes -= g.size;
        freeSpace();
      }
    };
    const kickCommitter = () => {
      if (committer) return;
      committer = runCommitter()
        .catch((e: unknown) => {
          committerError = e ?? new Error('validation impossible');
        })
        .finally(() => {
          committer = null;
          freeSpace();
          if (queue.length && committerError === null) kickCommitter();
        });
    };
    const drain = async () => {
      while (committer) await committer;
      if (committerError !== null) throw committerError;
    };

    let i = 0;
    while (i < listing.length) {
      this.#checkAlive();
      const first = listing[i]!;
      const size = first.size ?? 0;
      if (size > maxBytes) {
        this.#log.error('Message trop volumineux laissé sur le serveur', { uid: first.uid, size });
        this.#o.audit?.append(this.#actor(), 'mail.message_ignore', null, { boite: box.address, uid: first.uid, taille: size, motif: 'taille' });
        skip(first.uid);
        i++;
        continue;
      }
      if (size > streamAbove) {
        const dl = await client.download(String(first.uid), undefined, { uid: true, chunkSize: 4 * 1024 * 1024 });
        if (!dl || !('content' in dl) || !dl.content) {
          skip(first.uid); // expunged meanwhile
        } else {
          const put = await raw.putStream(dl.content, { maxBytes });
          commitGroup([{ uid: first.uid, put, headers: readRowHeaders(await readHead(put.path)) }]);
        }
        i++;
        continue;
      }
      const batch: number[] = [];
      let bytes = 0;
      while (i < listing.length) {
        const m = listing[i]!;
        const s = m.size ?? 0;
        if (s > streamAbove || s > maxBytes) break;
        if (batch.length && (bytes + s > batchBytes || batch.length >= 2000)) break;
        batch.push(m.uid);
        bytes += s;
        i++;
      }
      const got = new Set<number>();
      try {
        for await (const msg of client.fetch(compactUidSet(batch), { uid: true, source: true }, { uid: true })) {
          if (!msg.source || !metaByUid.has(msg.uid) || got.has(msg.uid)) continue;
          this.#checkAlive();
          if (committerError !== null) throw committerError;
          got.add(msg.uid);
          const p: Pending = { uid: msg.uid, size: msg.source.length, headers: readRowHeaders(msg.source), done: Promise.resolve() };
          p.done = raw.put(msg.source, { syncDir: false }).then((r) => { p.put = r; }, (e: unknown) => { p.error = e ?? new Error('écriture impossible'); });
          queue.push(p);
          inFlightBytes += p.size;
          kickCommitter();
          while ((queue.length >= maxInFlight || inFlightBytes > maxInFlightBytes) && committerError === null) {
            await new Promise<void>((resolve) => {
              spaceWaiter = resolve;
              kickCommitter();
            });
          }
        }
        await drain();
      } finally {
        // Writes still running finish on their own (a file without row is harmless: content-addressed).
        await Promise.allSettled(queue.map((q) => q.done));
        while (committer) await committer;
        queue.length = 0;
        inFlightBytes = 0;
      }
      for (const uid of batch) if (!got.has(uid)) skip(uid); // expunged between listing and fetch
    }
  }

  async #syncFlags(client: ImapFlow, uidvalidity: number): Promise<void> {
    const { repo } = this.#o;
    const box = this.mailbox;
    const selected = client.mailbox;
    if (!selected) return;
    const cursor = repo.cursor(box.id);
    const top = cursor.uidnext - 1;
    const serverModseq = selected.highestModseq !== undefined ? String(selected.highestModseq) : null;
    const condstore = client.enabled.has('CONDSTORE') && serverModseq !== null && !selected.noModseq;
    if (top >= 1 && condstore && cursor.highestModseq && cursor.highestModseq !== serverModseq) {
      for await (const m of client.fetch(`1:${top}`, { uid: true, flags: true }, { uid: true, changedSince: BigInt(cursor.highestModseq) })) {
        this.#checkAlive();
        repo.updateFlags(box.id, uidvalidity, m.uid, [...(m.flags ?? [])], m.modseq !== undefined ? String(m.modseq) : null);
      }
    } else if (top >= 1 && !condstore && !this.#sessionSynced) {
      for await (const m of client.fetch(`1:${top}`, { uid: true, flags: true }, { uid: true })) {
        this.#checkAlive();
        repo.updateFlags(box.id, uidvalidity, m.uid, [...(m.flags ?? [])], null);
      }
    }
    this.#checkAlive();
    if (condstore) repo.setModseq(box.id, serverModseq);
  }

  /** Cheap check (count), then UID SEARCH ALL only when the counts disagree. */
  async #detectExpunged(client: ImapFlow, uidvalidity: number): Promise<void> {
    const { repo } = this.#o;
    const selected = client.mailbox;
    if (!selected) return;
    const local = repo.presentUids(this.mailbox.id, uidvalidity);
    if (local.length === selected.exists) return;
    const uids = await client.search({ all: true }, { uid: true });
    if (!Array.isArray(uids)) return;
    const onServer = new Set(uids);
    this.#checkAlive();
    this.#o.db.transaction(() => {
      for (const r of local) if (!onServer.has(r.uid)) repo.setServerState(r.id, 'expunged');
    })();
  }
}

function toMeta(m: FetchMessageObject, headers: RowHeaders): MessageMeta {
  const date = m.internalDate instanceof Date ? m.internalDate.toISOString() : m.internalDate ? new Date(m.internalDate).toISOString() : null;
  return {
    messageId: headers.messageId,
    sender: headers.sender,
    subject: headers.subject,
    flags: [...(m.flags ?? [])],
    internalDate: date,
    modseq: m.modseq !== undefined ? String(m.modseq) : null,
  };
}

/** First 256 KB of a stored file (headers of a streamed message). */
async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(256 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** `1,2,3,7,8` → `1:3,7:8`. */
export function compactUidSet(uids: number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (const u of sorted.slice(1)) {
    if (u === prev + 1) {
      prev = u;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}:${prev}`);
    start = prev = u;
  }
  parts.push(start === prev ? `${start}` : `${start}:${prev}`);
  return parts.join(',');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
