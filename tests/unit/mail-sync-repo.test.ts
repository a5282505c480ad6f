import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../electron/services/log/logger';
import { compactUidSet } from '../../electron/services/mail/sync/engine';
import { createProcessingQueue, MAX_PROCESS_ATTEMPTS } from '../../electron/services/mail/sync/processing';
import { createMailRepo, type MessageMeta } from '../../electron/services/mail/sync/repo';
import { openDatabase } from '../../electron/services/store/db';

const meta = (messageId: string | null, extra: Partial<MessageMeta> = {}): MessageMeta => ({
  messageId, sender: 'a@b.fr', subject: 's', flags: [], internalDate: null, modseq: null, ...extra,
});
const raw = (n: number) => ({ sha256: String(n).padStart(64, 'a').slice(-64).replace(/[^0-9a-f]/g, 'a'), size: 10 + n });

function setup() {
  const db = openDatabase({ file: ':memory:' });
  const repo = createMailRepo(db, (s) => `/raw/${s}.eml`);
  const box = repo.ensureMailbox({ address: 'Claire.Martin@cabinet-demo.mssante.fr', kind: 'personal', label: 'Dr Martin' });
  return { db, repo, box };
}

describe('received messages: idempotent storage', () => {
  it('creates the mailbox once (case-insensitive) and keeps its cursor', () => {
    const { repo, box } = setup();
    expect(repo.ensureMailbox({ address: 'claire.martin@cabinet-demo.mssante.fr', kind: 'personal', label: 'Renommée' }).id).toBe(box.id);
    expect(repo.cursor(box.id)).toMatchObject({ uidvalidity: null, uidnext: 1 });
    repo.setCursor(box.id, 77, 12);
    expect(repo.cursor(box.id)).toMatchObject({ uidvalidity: 77, uidnext: 12 });
  });

  it('is idempotent on (mailbox, uidvalidity, uid)', () => {
    const { repo, box } = setup();
    const a = repo.storeMessage(box.id, 1, 5, raw(1), meta('<m1@x>'), 'now');
    const b = repo.storeMessage(box.id, 1, 5, raw(1), meta('<m1@x>'), 'now');
    expect(a.outcome).toBe('new');
    expect(b.outcome).toBe('existing');
    expect(b.row.id).toBe(a.row.id);
    expect(a.row.rawPath).toBe(`/raw/${raw(1).sha256}.eml`);
  });

  it('relocates the same bytes after a UIDVALIDITY change instead of duplicating', () => {
    const { db, repo, box } = setup();
    const a = repo.storeMessage(box.id, 1, 5, raw(1), meta('<m1@x>'), 'now');
    const moved = repo.storeMessage(box.id, 2, 1, raw(1), meta('<m1@x>', { flags: ['\\Seen'] }), 'now');
    expect(moved.outcome).toBe('relocated');
    expect(moved.row.id).toBe(a.row.id);
    const r = db.prepare('SELECT uidvalidity, uid, flags FROM received_messages').all();
    expect(r).toEqual([{ uidvalidity: 2, uid: 1, flags: '["\\\\Seen"]' }]);
  });

  it('keeps another copy with the same Message-ID as a duplicate, not processed again', () => {
    const { repo, box } = setup();
    const a = repo.storeMessage(box.id, 1, 5, raw(1), meta('<m1@x>'), 'now');
    const copy = repo.storeMessage(box.id, 1, 9, raw(2), meta('<m1@x>'), 'now');
    expect(copy.outcome).toBe('duplicate');
    expect(copy.row.state).toBe('parsed');
    expect(repo.byId(copy.row.id)!.duplicateOf).toBe(a.row.id);
    expect(repo.pendingProcessing(MAX_PROCESS_ATTEMPTS).map((r) => r.id)).toEqual([a.row.id]);
  });

  it('dedupes messages without Message-ID by content only across UIDVALIDITY', () => {
    const { repo, box } = setup();
    repo.storeMessage(box.id, 1, 1, raw(3), meta(null), 'now');
    expect(repo.storeMessage(box.id, 2, 1, raw(3), meta(null), 'now').outcome).toBe('relocated');
    expect(repo.storeMessage(box.id, 2, 2, raw(4), meta(null), 'now').outcome).toBe('new');
  });

  it('marks old locations expunged after a resync', () => {
    const { db, repo, box } = setup();
    repo.storeMessage(box.id, 1, 1, raw(5), meta('<gone@x>'), 'now');
    repo.storeMessage(box.id, 1, 2, raw(6), meta('<kept@x>'), 'now');
    repo.storeMessage(box.id, 2, 1, raw(6), meta('<kept@x>'), 'now');
    expect(repo.expireStaleLocations(box.id, 2)).toBe(1);
    expect(db.prepare('SELECT message_id, server_state FROM received_messages ORDER BY id').all()).toEqual([
      { message_id: '<gone@x>', server_state: 'expunged' },
      { message_id: '<kept@x>', server_state: 'present' },
    ]);
  });
});

describe('processing hand-off (onStored)', () => {
  it('marks rows parsed on success, error on failure, and retries them later', async () => {
    const { repo, box, db } = setup();
    const a = repo.storeMessage(box.id, 1, 1, raw(7), meta('<a@x>'), 'now').row;
    const b = repo.storeMessage(box.id, 1, 2, raw(8), meta('<b@x>'), 'now').row;
    let fail = true;
    const seen: number[] = [];
    const queue = createProcessingQueue({
      repo, logger: silentLogger,
      onStored: (row) => {
        seen.push(row.id);
        if (row.id === b.id && fail) throw new Error('pipeline en panne');
      },
    });
    queue.enqueue(a);
    queue.enqueue(b);
    queue.enqueue(a); // already queued: ignored
    await queue.idle();
    expect(seen).toEqual([a.id, b.id]);
    const state = () => db.prepare('SELECT id, state, error, process_attempts FROM received_messages ORDER BY id').all();
    expect(state()).toEqual([
      { id: a.id, state: 'parsed', error: null, process_attempts: 0 },
      { id: b.id, state: 'error', error: 'pipeline en panne', process_attempts: 1 },
    ]);
    fail = false;
    expect(queue.retryPending()).toBe(1); // what a restart does
    await queue.idle();
    expect(state()[1]).toMatchObject({ state: 'parsed', error: null });
  });

  it('gives up after the maximum number of attempts', async () => {
    const { repo, box } = setup();
    const row = repo.storeMessage(box.id, 1, 1, raw(9), meta('<c@x>'), 'now').row;
    const queue = createProcessingQueue({ repo, logger: silentLogger, onStored: () => { throw new Error('toujours'); } });
    for (let i = 0; i < MAX_PROCESS_ATTEMPTS + 2; i++) {
      queue.retryPending();
      await queue.idle();
    }
    expect(repo.pendingProcessing(MAX_PROCESS_ATTEMPTS)).toEqual([]);
    expect(repo.byId(row.id)!.state).toBe('error');
  });
});

describe('UID sets', () => {
  it('compacts consecutive UIDs', () => {
    expect(compactUidSet([7, 1, 2, 3, 9, 10, 12])).toBe('1:3,7,9:10,12');
    expect(compactUidSet([4])).toBe('4');
  });
});
