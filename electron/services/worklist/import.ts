import { createHash } from 'node:crypto';
import type { Db } from '../store/db';

/**
 * Files given by hand (`lgc ingest`, tests, benchmarks) enter the worklist like received mail: a
 * `received_messages` row in a local pseudo-mailbox, one per distinct content.
 */

export const IMPORT_MAILBOX = { address: 'import-fichiers@lgc.local', label: 'Import de fichiers' } as const;

const mailboxIds = new WeakMap<Db, number>();

export function ensureImportMailbox(db: Db): number {
  const known = mailboxIds.get(db);
  if (known !== undefined) return known;
  const found = db.prepare<[string], { id: number }>('SELECT id FROM mailboxes WHERE address = ?').get(IMPORT_MAILBOX.address);
  if (found) {
    mailboxIds.set(db, found.id);
    return found.id;
  }
  const id = Number(
    db.prepare(`INSERT INTO mailboxes (address, label, kind) VALUES (?, ?, 'organisational')`).run(IMPORT_MAILBOX.address, IMPORT_MAILBOX.label)
      .lastInsertRowid,
  );
  mailboxIds.set(db, id);
  return id;
}

export interface ImportedMessage {
  /** Bytes of the file (raw message, archive or PDF): the same bytes give the same row. */
  content: Buffer;
  messageId?: string | null;
  sender?: string | null;
  subject?: string | null;
  receivedAt?: string;
  /** Defaults to the import mailbox. */
  mailboxId?: number;
}

function statementsOf(db: Db) {
  return {
    find: db.prepare<[number, string], { id: number }>('SELECT id FROM received_messages WHERE mailbox_id = ? AND raw_sha256 = ? ORDER BY id LIMIT 1'),
    nextUid: db.prepare<[number], { uid: number }>('SELECT COALESCE(MAX(uid), 0) + 1 AS uid FROM received_messages WHERE mailbox_id = ? AND uidvalidity = 0'),
    insert: db.prepare(`INSERT INTO received_messages (mailbox_id, uidvalidity, uid, message_id, raw_sha256, raw_size, sender, subject, received_at, state)
      VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, 'parsed')`),
  };
}
const statements = new WeakMap<Db, ReturnType<typeof statementsOf>>();

/** The `received_messages` row of an imported file (created once per content and mailbox). */
export function recordImportedMessage(db: Db, m: ImportedMessage): { id: number; created: boolean } {
  let st = statements.get(db);
  if (!st) {
    st = statementsOf(db);
    statements.set(db, st);
  }
  const mailboxId = m.mailboxId ?? ensureImportMailbox(db);
  const sha = createHash('sha256').update(m.content).digest('hex');
  const found = st.find.get(mailboxId, sha);
  if (found) return { id: found.id, created: false };
  const next = st.nextUid.get(mailboxId)!.uid;
  const id = Number(
    st.insert.run(mailboxId, next, m.messageId ?? null, sha, m.content.length, m.sender ?? null, m.subject ?? null, m.receivedAt ?? new Date().toISOString())
      .lastInsertRowid,
  );
  return { id, created: true };
}
