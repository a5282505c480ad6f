import type { Db } from '../../store/db';
import type { MailboxConfig, StoredMessageRow } from './types';

/**
 * SQL of the sync engine: mailboxes and their cursor, received messages and their location on
 * the server. Every write that makes a message "stored" happens in one transaction with the
 * cursor move, so a crash leaves either both or neither.
 */

export interface MailboxRow {
  id: number;
  address: string;
  label: string;
  kind: 'personal' | 'organisational';
  ownerNationalId: string | null;
}

export interface SyncCursor {
  uidvalidity: number | null;
  /** The client's watermark: every UID below it is stored (or was gone when fetched). */
  uidnext: number;
  highestModseq: string | null;
  lastSyncAt: string | null;
}

export interface MessageMeta {
  messageId: string | null;
  sender: string | null;
  subject: string | null;
  flags: string[];
  internalDate: string | null;
  modseq: string | null;
}

export type StoreOutcome =
  /** A new message: processing (onStored) follows. */
  | 'new'
  /** This (mailbox, uidvalidity, uid) was already stored: nothing done. */
  | 'existing'
  /** The same bytes known under an older UIDVALIDITY (or an expunged location): location updated. */
  | 'relocated'
  /** Another copy of a message already stored (same Message-ID, or same bytes): kept, not processed again. */
  | 'duplicate';

interface ReceivedDbRow {
  id: number;
  mailbox_id: number;
  address: string;
  uidvalidity: number;
  uid: number;
  message_id: string | null;
  raw_sha256: string;
  raw_size: number;
  sender: string | null;
  subject: string | null;
  received_at: string;
  state: 'stored' | 'parsed' | 'error';
  server_state: string;
  duplicate_of: number | null;
  process_attempts: number;
}

const ROW_SELECT = `SELECT r.id, r.mailbox_id, m.address, r.uidvalidity, r.uid, r.message_id, r.raw_sha256, r.raw_size,
  r.sender, r.subject, r.received_at, r.state, r.server_state, r.duplicate_of, r.process_attempts
  FROM received_messages r JOIN mailboxes m ON m.id = r.mailbox_id`;

export function createMailRepo(db: Db, rawPathOf: (sha256: string) => string) {
  const toRow = (r: ReceivedDbRow): StoredMessageRow => ({
    id: r.id,
    mailboxId: r.mailbox_id,
    mailboxAddress: r.address,
    uidvalidity: r.uidvalidity,
    uid: r.uid,
    messageId: r.message_id,
    rawSha256: r.raw_sha256,
    rawSize: r.raw_size,
    rawPath: rawPathOf(r.raw_sha256),
    sender: r.sender,
    subject: r.subject,
    receivedAt: r.received_at,
    state: r.state,
  });

  const q = {
    mailboxByAddress: db.prepare<[string], { id: number; address: string; label: string; kind: 'personal' | 'organisational'; owner_national_id: string | null }>(
      'SELECT id, address, label, kind, owner_national_id FROM mailboxes WHERE address = ? COLLATE NOCASE',
    ),
    insertMailbox: db.prepare('INSERT INTO mailboxes (address, label, kind, owner_national_id, owner_user_id) VALUES (?, ?, ?, ?, (SELECT id FROM users WHERE national_id = ?))'),
    updateMailbox: db.prepare('UPDATE mailboxes SET label = ?, kind = ?, owner_national_id = ?, owner_user_id = (SELECT id FROM users WHERE national_id = ?) WHERE id = ?'),
    cursor: db.prepare<[number], { uidvalidity: number | null; uidnext: number | null; highest_modseq: string | null; last_sync_at: string | null }>(
      'SELECT uidvalidity, uidnext, highest_modseq, last_sync_at FROM mailboxes WHERE id = ?',
    ),
    setCursor: db.prepare('UPDATE mailboxes SET uidvalidity = ?, uidnext = ? WHERE id = ?'),
    setModseq: db.prepare('UPDATE mailboxes SET highest_modseq = ? WHERE id = ?'),
    setSynced: db.prepare('UPDATE mailboxes SET last_sync_at = ? WHERE id = ?'),
    byLocation: db.prepare<[number, number, number], ReceivedDbRow>(`${ROW_SELECT} WHERE r.mailbox_id = ? AND r.uidvalidity = ? AND r.uid = ?`),
    bySha: db.prepare<[number, string], ReceivedDbRow>(`${ROW_SELECT} WHERE r.mailbox_id = ? AND r.raw_sha256 = ? ORDER BY r.id`),
    byMessageId: db.prepare<[number, string], ReceivedDbRow>(`${ROW_SELECT} WHERE r.mailbox_id = ? AND r.message_id = ? ORDER BY r.id`),
    byId: db.prepare<[number], ReceivedDbRow>(`${ROW_SELECT} WHERE r.id = ?`),
    insert: db.prepare(`INSERT INTO received_messages (mailbox_id, uidvalidity, uid, message_id, raw_sha256, raw_size, sender, subject,
      received_at, state, flags, internal_date, modseq, duplicate_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    relocate: db.prepare(`UPDATE received_messages SET uidvalidity = ?, uid = ?, server_state = 'present', folder = 'INBOX',
      flags = ?, modseq = ? WHERE id = ?`),
    flags: db.prepare('UPDATE received_messages SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uidvalidity = ? AND uid = ?'),
    serverState: db.prepare('UPDATE received_messages SET server_state = ?, folder = COALESCE(?, folder) WHERE id = ?'),
    presentUids: db.prepare<[number, number], { id: number; uid: number }>(
      "SELECT id, uid FROM received_messages WHERE mailbox_id = ? AND uidvalidity = ? AND server_state = 'present' AND folder = 'INBOX'",
    ),
    staleToExpunged: db.prepare("UPDATE received_messages SET server_state = 'expunged' WHERE mailbox_id = ? AND uidvalidity <> ? AND server_state = 'present'"),
    pending: db.prepare<[number, number], ReceivedDbRow>(
      `${ROW_SELECT} WHERE r.state IN ('stored', 'error') AND r.duplicate_of IS NULL AND r.process_attempts < ? ORDER BY r.id LIMIT ?`,
    ),
    processed: db.prepare("UPDATE received_messages SET state = 'parsed', error = NULL WHERE id = ? AND state <> 'parsed'"),
    failed: db.prepare("UPDATE received_messages SET state = 'error', error = ?, process_attempts = process_attempts + 1 WHERE id = ? AND state <> 'parsed'"),
  };

  const mailboxRow = (r: { id: number; address: string; label: string; kind: 'personal' | 'organisational'; owner_national_id: string | null }): MailboxRow => ({
    id: r.id, address: r.address, label: r.label, kind: r.kind, ownerNationalId: r.owner_national_id,
  });

  return {
    ensureMailbox(cfg: MailboxConfig): MailboxRow {
      const owner = cfg.ownerNationalId ?? null;
      const existing = q.mailboxByAddress.get(cfg.address);
      if (existing) {
        q.updateMailbox.run(cfg.label, cfg.kind, owner, owner, existing.id);
        return { ...mailboxRow(existing), label: cfg.label, kind: cfg.kind, ownerNationalId: owner };
      }
      const id = Number(q.insertMailbox.run(cfg.address.toLowerCase(), cfg.label, cfg.kind, owner, owner).lastInsertRowid);
      return { id, address: cfg.address.toLowerCase(), label: cfg.label, kind: cfg.kind, ownerNationalId: owner };
    },

    mailboxByAddress(address: string): MailboxRow | undefined {
      const r = q.mailboxByAddress.get(address);
      return r ? mailboxRow(r) : undefined;
    },

    cursor(mailboxId: number): SyncCursor {
      const r = q.cursor.get(mailboxId);
      return { uidvalidity: r?.uidvalidity ?? null, uidnext: r?.uidnext ?? 1, highestModseq: r?.highest_modseq ?? null, lastSyncAt: r?.last_sync_at ?? null };
    },

    setCursor(mailboxId: number, uidvalidity: number, uidnext: number): void {
      q.setCursor.run(uidvalidity, uidnext, mailboxId);
    },

    setModseq(mailboxId: number, modseq: string | null): void {
      q.setModseq.run(modseq, mailboxId);
    },

    setSynced(mailboxId: number, at: string): void {
      q.setSynced.run(at, mailboxId);
    },

    /**
     * Records one fetched message (the raw file is already durable). Idempotent on the location
     * and, for other locations, on Message-ID + sha256. Call inside a transaction with the cursor move.
     */
    storeMessage(mailboxId: number, uidvalidity: number, uid: number, raw: { sha256: string; size: number }, meta: MessageMeta, now: string): { outcome: StoreOutcome; row: StoredMessageRow } {
      const here = q.byLocation.get(mailboxId, uidvalidity, uid);
      if (here) return { outcome: 'existing', row: toRow(here) };
      const flags = JSON.stringify(meta.flags);
      const isStale = (r: ReceivedDbRow) => r.uidvalidity !== uidvalidity || r.server_state !== 'present';
      const original = (r: ReceivedDbRow) => r.duplicate_of ?? r.id;

      const sameBytes = q.bySha.all(mailboxId, raw.sha256).filter((r) => (r.message_id ?? null) === (meta.messageId ?? null));
      const movable = sameBytes.find(isStale);
      if (movable) {
        q.relocate.run(uidvalidity, uid, flags, meta.modseq, movable.id);
        return { outcome: 'relocated', row: toRow({ ...movable, uidvalidity, uid, server_state: 'present' }) };
      }
      let duplicateOf: number | null = sameBytes[0] ? original(sameBytes[0]) : null;
      if (duplicateOf === null && meta.messageId) {
        const sameId = q.byMessageId.all(mailboxId, meta.messageId);
        if (sameId[0]) duplicateOf = original(sameId[0]);
        // The old location of a message whose copy now lives here is gone.
        for (const r of sameId) if (r.uidvalidity !== uidvalidity && r.server_state === 'present') q.serverState.run('expunged', null, r.id);
      }
      const id = Number(q.insert.run(
        mailboxId, uidvalidity, uid, meta.messageId, raw.sha256, raw.size, meta.sender, meta.subject,
        now, duplicateOf === null ? 'stored' : 'parsed', flags, meta.internalDate, meta.modseq, duplicateOf,
      ).lastInsertRowid);
      const row = q.byId.get(id)!;
      return { outcome: duplicateOf === null ? 'new' : 'duplicate', row: toRow(row) };
    },

    updateFlags(mailboxId: number, uidvalidity: number, uid: number, flags: string[], modseq: string | null): void {
      q.flags.run(JSON.stringify(flags), modseq, mailboxId, uidvalidity, uid);
    },

    setServerState(id: number, state: 'present' | 'expunged' | 'moved' | 'deleted', folder?: string): void {
      q.serverState.run(state, folder ?? null, id);
    },

    presentUids(mailboxId: number, uidvalidity: number): { id: number; uid: number }[] {
      return q.presentUids.all(mailboxId, uidvalidity);
    },

    /** After a full resync: rows still pointing at the old UIDVALIDITY are no longer on the server. */
    expireStaleLocations(mailboxId: number, uidvalidity: number): number {
      return q.staleToExpunged.run(mailboxId, uidvalidity).changes;
    },

    byId(id: number): (StoredMessageRow & { serverState: string; duplicateOf: number | null }) | undefined {
      const r = q.byId.get(id);
      return r ? { ...toRow(r), serverState: r.server_state, duplicateOf: r.duplicate_of } : undefined;
    },

    /** Rows whose processing (onStored) has not succeeded yet. */
    pendingProcessing(maxAttempts: number, limit = 1000): StoredMessageRow[] {
      return q.pending.all(maxAttempts, limit).map(toRow);
    },

    markProcessed(id: number): void {
      q.processed.run(id);
    },

    markFailed(id: number, error: string): void {
      q.failed.run(error.slice(0, 1000), id);
    },
  };
}

export type MailRepo = ReturnType<typeof createMailRepo>;
