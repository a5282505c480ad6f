import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createRawStore } from '../../electron/services/mail/raw-store';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lgc-raw-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('raw message store (content-addressed, atomic)', () => {
  it('stores under mail/raw/<sha[0..2]>/<sha>.eml and reads back the same bytes', async () => {
    const dir = tmp();
    const store = createRawStore(dir);
    const raw = Buffer.from('From: a@b.fr\r\nSubject: x\r\n\r\ncorps\r\n');
    const put = await store.put(raw);
    expect(put.sha256).toBe(sha(raw));
    expect(put.path).toBe(join(dir, 'mail', 'raw', put.sha256.slice(0, 2), `${put.sha256}.eml`));
    expect(put.existed).toBe(false);
    expect((await store.read(put.sha256)).equals(raw)).toBe(true);
    expect(await store.verify(put.sha256)).toBe(true);
    expect(store.has(put.sha256)).toBe(true);
  });

  it('stores identical content once and leaves no temporary file', async () => {
    const dir = tmp();
    const store = createRawStore(dir);
    const raw = Buffer.alloc(100_000, 65);
    const a = await store.put(raw);
    const b = await store.put(raw);
    expect(b.existed).toBe(true);
    expect(b.path).toBe(a.path);
    const files = readdirSync(join(dir, 'mail', 'raw', a.sha256.slice(0, 2)));
    expect(files).toEqual([`${a.sha256}.eml`]);
  });

  it('streams large sources to disk with the same address as a buffered put', async () => {
    const dir = tmp();
    const store = createRawStore(dir);
    const big = Buffer.alloc(5 * 1024 * 1024 + 17, 7);
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536));
    const put = await store.putStream(Readable.from(chunks));
    expect(put.sha256).toBe(sha(big));
    expect(statSync(put.path).size).toBe(big.length);
    expect((await store.putStream(Readable.from([big]))).existed).toBe(true);
    expect(readdirSync(join(dir, 'mail', 'raw', 'tmp'))).toEqual([]);
  });

  it('refuses a stream above the limit without leaving anything behind', async () => {
    const dir = tmp();
    const store = createRawStore(dir);
    await expect(store.putStream(Readable.from([Buffer.alloc(2000)]), { maxBytes: 1000 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(readdirSync(join(dir, 'mail', 'raw', 'tmp'))).toEqual([]);
  });

  it('detects a damaged file and repairs a truncated one on the next put', async () => {
    const dir = tmp();
    const store = createRawStore(dir);
    const raw = Buffer.from('Subject: intact\r\n\r\nx\r\n');
    const put = await store.put(raw);
    writeFileSync(put.path, raw.subarray(0, 5));
    expect(await store.verify(put.sha256)).toBe(false);
    expect((await store.put(raw)).existed).toBe(false);
    expect(await store.verify(put.sha256)).toBe(true);
    expect(await store.verify('0'.repeat(64))).toBe(false);
    expect(() => store.pathOf('../../etc/passwd')).toThrow();
    expect(existsSync(join(dir, 'mail', 'raw'))).toBe(true);
  });
});
