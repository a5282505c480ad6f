import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../../../shared/errors';
import { isProcessRunning } from '../store/instance-lock';

/**
 * Content-addressed store of raw RFC 822 sources: `<dataDir>/mail/raw/<sha256[0..2]>/<sha256>.eml`.
 * A file only ever appears complete: written to a temporary file in the same folder, fsync'd,
 * renamed, then the folder is fsync'd. The same bytes are stored once whatever the number of
 * mailboxes, UIDs or resyncs they come from. Files are never modified afterwards.
 */

export interface RawPut {
  sha256: string;
  size: number;
  path: string;
  /** The file was already there (same content, nothing written). */
  existed: boolean;
}

export interface RawStore {
  readonly root: string;
  pathOf(sha256: string): string;
  has(sha256: string): boolean;
  /**
   * Stores the bytes. With `syncDir: false` the folder entry is not fsync'd yet: the caller must
   * call `syncDirs()` before relying on the file (group commit of many files).
   */
  put(content: Buffer, options?: { syncDir?: boolean }): Promise<RawPut>;
  /** fsyncs the folders holding these files (after `put(…, { syncDir: false })`). */
  syncDirs(sha256s: string[]): Promise<void>;
  /** Streams a source of any size to disk (hashing on the way); memory use stays flat. */
  putStream(source: Readable, options?: { maxBytes?: number }): Promise<RawPut>;
  read(sha256: string): Promise<Buffer>;
  stream(sha256: string): Readable;
  /** Re-hashes the file: true when it is present and intact. */
  verify(sha256: string): Promise<boolean>;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function rawStoreRoot(dataDir: string): string {
  return join(dataDir, 'mail', 'raw');
}

const TEMP_NAME = /^\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Temporary files of a write that never finished (the process was killed or the machine lost
 * power): nothing refers to them — a message is only recorded once its file is renamed — so
 * they are deleted when the store opens, unless their process is still running.
 */
export function removeOrphanTemporaries(root: string): string[] {
  const removed: string[] = [];
  let dirs: string[];
  try {
    dirs = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name));
  } catch {
    return removed;
  }
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = TEMP_NAME.exec(name);
      if (!match || isProcessRunning(Number(match[1]))) continue;
      try {
        rmSync(join(dir, name), { force: true });
        removed.push(join(dir, name));
      } catch {
        // Left for the next start.
      }
    }
  }
  return removed;
}

export function createRawStore(dataDir: string): RawStore {
  const root = rawStoreRoot(dataDir);
  mkdirSync(root, { recursive: true });
  removeOrphanTemporaries(root);
  const knownDirs = new Set<string>();

  const pathOf = (sha256: string): string => {
    if (!SHA256.test(sha256)) throw new AppError('INTERNAL', 'Empreinte de message invalide.');
    return join(root, sha256.slice(0, 2), `${sha256}.eml`);
  };

  const tempPathFor = (dir: string) => join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);

  /** Size check of an existing file; a truncated leftover (impossible with rename, but cheap to check) is replaced. */
  const existingOk = (path: string, size: number): boolean => {
    try {
      return statSync(path).size === size;
    } catch {
      return false;
    }
  };

  const commit = async (temp: string, finalPath: string, syncDir = true): Promise<void> => {
    await rename(temp, finalPath);
    if (syncDir) await fsyncDir(dirname(finalPath));
  };

  return {
    root,
    pathOf,
    has: (sha256) => existsSync(pathOf(sha256)),

    async put(content, options = {}) {
      const sha256 = createHash('sha256').update(content).digest('hex');
      const path = pathOf(sha256);
      if (existingOk(path, content.length)) return { sha256, size: content.length, path, existed: true };
      const dir = dirname(path);
      if (!knownDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        knownDirs.add(dir);
      }
      const temp = tempPathFor(dir);
      const fh = await open(temp, 'wx', 0o600);
      try {
        await fh.writeFile(content);
        await fh.sync();
      } catch (e) {
        await fh.close().catch(() => undefined);
        await rm(temp, { force: true });
        throw e;
      }
      await fh.close();
      await commit(temp, path, options.syncDir !== false);
      return { sha256, size: content.length, path, existed: false };
    },

    async syncDirs(sha256s) {
      const dirs = new Set(sha256s.map((s) => dirname(pathOf(s))));
      await Promise.all([...dirs].map((d) => fsyncDir(d)));
    },

    async putStream(source, options = {}) {
      mkdirSync(join(root, 'tmp'), { recursive: true });
      const temp = tempPathFor(join(root, 'tmp'));
      const hash = createHash('sha256');
      let size = 0;
      const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
      try {
        await new Promise<void>((resolve, reject) => {
          source.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (options.maxBytes !== undefined && size > options.maxBytes) {
              source.destroy();
              reject(new AppError('BAD_INPUT', 'Message plus volumineux que la limite autorisée.'));
              return;
            }
            hash.update(chunk);
            if (!out.write(chunk)) {
              source.pause();
              out.once('drain', () => source.resume());
            }
          });
          source.once('end', () => resolve());
          source.once('error', reject);
          out.once('error', reject);
        });
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        const fh = await open(temp, 'r+');
        await fh.sync();
        await fh.close();
      } catch (e) {
        // The file is created by an open still in flight when the source fails early: removing
        // it before the stream has closed would race with its creation.
        const closed = out.closed ? Promise.resolve() : new Promise<void>((resolve) => out.once('close', () => resolve()));
        out.destroy();
        await closed;
        await rm(temp, { force: true });
        throw e;
      }
      const sha256 = hash.digest('hex');
      const path = pathOf(sha256);
      if (existingOk(path, size)) {
        await rm(temp, { force: true });
        return { sha256, size, path, existed: true };
      }
      mkdirSync(dirname(path), { recursive: true });
      await commit(temp, path);
      return { sha256, size, path, existed: false };
    },

    read: (sha256) => readFile(pathOf(sha256)),
    stream: (sha256) => createReadStream(pathOf(sha256)),

    async verify(sha256) {
      const path = pathOf(sha256);
      try {
        await stat(path);
      } catch {
        return false;
      }
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      return hash.digest('hex') === sha256;
    },
  };
}

/** Makes a rename durable. Windows cannot open folders: there the rename is already journaled. */
async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported on this platform
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
