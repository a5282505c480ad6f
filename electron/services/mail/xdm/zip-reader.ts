import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { AppError } from '../../../../shared/errors';
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from './types';

/**
 * Reads every file of a ZIP held in memory, refusing hostile archives before they cost memory:
 * entry count, per-entry and total sizes are counted on the bytes really produced by inflation
 * (a lying header cannot bypass them), so is the compression ratio; absolute paths, `..`,
 * drive letters, backslash traversal, symlinks, encrypted or exotic entries are refused.
 */
export interface ZipContents {
  /** Normalised path → bytes, in archive order. Folders are not listed. */
  files: Map<string, Buffer>;
}

const bad = (message: string, details?: unknown) => new AppError('BAD_INPUT', message, details);

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MADE_BY_UNIX = 3;

export async function readZipEntries(zip: Buffer, limits: Partial<ZipLimits> = {}): Promise<ZipContents> {
  const lim: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...limits };
  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (e) {
    throw bad("Archive ZIP illisible.", { reason: errMessage(e) });
  }
  if (zipfile.entryCount > lim.maxEntries) {
    zipfile.close();
    throw bad(`Archive trop volumineuse : ${zipfile.entryCount} fichiers (maximum ${lim.maxEntries}).`);
  }

  const files = new Map<string, Buffer>();
  const seen = new Set<string>();
  let total = 0;
  try {
    for await (const entry of zipfile.eachEntry()) {
      const name = entryName(entry);
      const normalized = checkEntryPath(name);
      if (isSymlink(entry)) throw bad(`Lien symbolique interdit dans l'archive : ${printable(name)}.`);
      if (normalized === null) continue; // folder
      const key = normalized.toLowerCase();
      if (seen.has(key)) throw bad(`Fichier en double dans l'archive : ${printable(name)}.`);
      seen.add(key);
      if (entry.isEncrypted()) throw bad(`Fichier chiffré dans l'archive : ${printable(name)}.`);
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        throw bad(`Méthode de compression non prise en charge dans l'archive : ${printable(name)}.`);
      }
      if (entry.uncompressedSize > lim.maxEntryBytes) throw tooBigEntry(name, lim);
      const data = await readEntry(zipfile, entry, name, lim, total);
      total += data.length;
      if ((crc32(data) >>> 0) !== (entry.crc32 >>> 0)) throw bad(`Archive corrompue (contrôle CRC) : ${printable(name)}.`);
      files.set(normalized, data);
    }
  } catch (e) {
    zipfile.close();
    if (e instanceof AppError) throw e;
    throw bad('Archive ZIP corrompue ou illisible.', { reason: errMessage(e) });
  }
  return { files };
}

async function readEntry(zipfile: yauzl.ZipFile, entry: yauzl.Entry, name: string, lim: ZipLimits, totalBefore: number): Promise<Buffer> {
  const stream = await zipfile.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > lim.maxEntryBytes) throw tooBigEntry(name, lim);
      if (totalBefore + n > lim.maxTotalBytes) {
        throw bad(`Archive trop volumineuse : plus de ${mb(lim.maxTotalBytes)} une fois décompressée.`);
      }
      if (n > lim.ratioMinBytes && n / Math.max(1, entry.compressedSize) > lim.maxRatio) {
        throw bad(`Archive refusée : taux de compression anormal (bombe de décompression ?) pour ${printable(name)}.`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof AppError) throw e;
    throw bad(`Archive corrompue : ${printable(name)} illisible.`, { reason: errMessage(e) });
  }
  return Buffer.concat(chunks, n);
}

function entryName(entry: yauzl.Entry): string {
  // decodeStrings is off so that yauzl does not reject names itself: we name the problem in French.
  const raw = entry.fileName as unknown as Buffer;
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
}

/** Normalised relative path, null for a folder entry; throws on anything that could escape. */
export function checkEntryPath(name: string): string | null {
  if (!name || /[\u0000-\u001f\u007f]/.test(name)) throw forbidden(name);
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) throw forbidden(name);
  const parts = slashed.split('/');
  if (parts.some((p) => p === '..')) throw forbidden(name);
  const kept = parts.filter((p) => p !== '' && p !== '.');
  if (!kept.length) return null;
  return slashed.endsWith('/') ? null : kept.join('/');
}

function isSymlink(entry: yauzl.Entry): boolean {
  return entry.versionMadeBy >> 8 === MADE_BY_UNIX && ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

function forbidden(name: string): AppError {
  return bad(`Chemin interdit dans l'archive : ${printable(name)}.`);
}

function tooBigEntry(name: string, lim: ZipLimits): AppError {
  return bad(`Archive trop volumineuse : ${printable(name)} dépasse ${mb(lim.maxEntryBytes)}.`);
}

/** Names come from the sender: strip control characters and bound the length before display. */
function printable(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} Mo`;
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
