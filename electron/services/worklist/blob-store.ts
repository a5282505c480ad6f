import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';

/**
 * Received documents on disk, content-addressed: `<dataDir>/documents/<sha256[0..2]>/<sha256>`.
 * The same bytes are stored once; a file only appears complete (temporary file + rename); reads
 * check the hash so that a damaged file is reported instead of shown.
 */
export interface BlobStore {
  readonly root: string;
  put(data: Buffer): { sha256: string; size: number };
  /** Same as put without blocking the event loop (the main process also serves the screens). */
  putAsync(data: Buffer): Promise<{ sha256: string; size: number }>;
  get(sha256: string): Buffer;
  has(sha256: string): boolean;
  pathOf(sha256: string): string;
}

const SHA256 = /^[0-9a-f]{64}$/;

const exists = (file: string) => access(file).then(() => true, () => false);

export function documentsRoot(dataDir: string): string {
  return join(dataDir, 'documents');
}

export function createBlobStore(dataDir: string): BlobStore {
  const root = documentsRoot(dataDir);
  const made = new Set<string>();
  const pathOf = (sha256: string) => {
    if (!SHA256.test(sha256)) throw new AppError('INVALID_ARGUMENTS', 'Empreinte de document invalide.');
    return join(root, sha256.slice(0, 2), sha256);
  };
  return {
    root,
    pathOf,
    put(data) {
      const sha256 = createHash('sha256').update(data).digest('hex');
      const file = pathOf(sha256);
      if (!existsSync(file)) {
        const folder = join(root, sha256.slice(0, 2));
        if (!made.has(folder)) {
          mkdirSync(folder, { recursive: true });
          made.add(folder);
        }
        const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
        try {
          writeFileSync(tmp, data);
          renameSync(tmp, file);
        } catch (e) {
          rmSync(tmp, { force: true });
          throw e;
        }
      }
      return { sha256, size: data.length };
    },
    async putAsync(data) {
      const sha256 = createHash('sha256').update(data).digest('hex');
      const file = pathOf(sha256);
      if (!(await exists(file))) {
        const folder = join(root, sha256.slice(0, 2));
        if (!made.has(folder)) {
          await mkdir(folder, { recursive: true });
          made.add(folder);
        }
        const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
        try {
          await writeFile(tmp, data);
          await rename(tmp, file);
        } catch (e) {
          await rm(tmp, { force: true });
          throw e;
        }
      }
      return { sha256, size: data.length };
    },
    has(sha256) {
      return existsSync(pathOf(sha256));
    },
    get(sha256) {
      const file = pathOf(sha256);
      if (!existsSync(file)) throw new AppError('NOT_FOUND', 'Fichier du document introuvable sur ce poste.');
      const data = readFileSync(file);
      if (createHash('sha256').update(data).digest('hex') !== sha256) {
        throw new AppError('INTERNAL', 'Fichier du document endommagé sur ce poste (empreinte différente).');
      }
      return data;
    },
  };
}
