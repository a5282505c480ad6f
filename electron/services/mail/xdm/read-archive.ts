import { AppError, isAppError } from '../../../../shared/errors';
import { parseCda } from '../../cda/parse';
import { checkCdaAgainstEntry, checkContent, checkPackage, checkPatientId } from './checks';
import { parseXdmMetadata, type XdmMetadata } from './metadata';
import { DEFAULT_ZIP_LIMITS, type ProblemItem, type XdmDocument, type XdmPackage, type ZipLimits } from './types';
import { readZipEntries } from './zip-reader';

const XML_MIME_TYPES = new Set(['text/xml', 'application/xml', 'application/hl7-v3+xml']);

/**
 * Reads an IHE_XDM.ZIP: every METADATA.XML found (any folder, any case), its document entries,
 * the bytes each `URI` points to, and the CDA of XML documents. Hostile or unusable archives throw
 * AppError('BAD_INPUT'); inconsistencies become problems on the document or the package.
 */
export async function readXdmArchive(zip: Buffer, limits: Partial<ZipLimits> = {}): Promise<XdmPackage> {
  const { files } = await readZipEntries(zip, limits);
  const paths = [...files.keys()];
  const metadataPaths = paths.filter((p) => basename(p).toLowerCase() === 'metadata.xml').sort();
  if (!metadataPaths.length) {
    throw new AppError('BAD_INPUT', "Archive IHE_XDM invalide : fichier METADATA.XML introuvable.");
  }

  const warnings: ProblemItem[] = [];
  const parsed: { folder: string; meta: XdmMetadata }[] = [];
  for (const mp of metadataPaths) {
    try {
      parsed.push({ folder: dirname(mp), meta: parseXdmMetadata(files.get(mp)!) });
    } catch (e) {
      if (metadataPaths.length === 1) throw e;
      warnings.push({ code: 'METADATA_INVALID', message: `Métadonnées illisibles ignorées : ${mp}.` });
    }
  }
  if (!parsed.length) throw new AppError('BAD_INPUT', 'Archive IHE_XDM invalide : aucun METADATA.XML lisible.');

  const maxCdaBytes = limits.maxEntryBytes ?? DEFAULT_ZIP_LIMITS.maxEntryBytes;
  const documents: XdmDocument[] = [];
  for (const { folder, meta } of parsed) {
    warnings.push(...meta.warnings);
    for (const entry of meta.entries) {
      const doc: XdmDocument = { entry, problems: checkPatientId(entry) };
      const target = entry.uri ? resolveUri(folder, entry.uri) : undefined;
      if (!entry.uri) {
        doc.problems.push({ code: 'DOCUMENT_MISSING', message: 'Document sans URI dans les métadonnées XDM.' });
      } else if (target === null) {
        doc.problems.push({ code: 'URI_INVALID', message: `URI de document refusée : ${entry.uri.slice(0, 120)}.` });
      } else {
        const found = target === undefined ? undefined : lookup(files, target);
        if (!found) {
          doc.problems.push({ code: 'DOCUMENT_MISSING', message: `Document annoncé mais absent de l'archive : ${entry.uri.slice(0, 120)}.` });
        } else {
          doc.path = found.path;
          doc.content = found.content;
          doc.problems.push(...checkContent(entry, found.content));
          if (XML_MIME_TYPES.has((entry.mimeType ?? '').toLowerCase())) readCda(doc, found.content, maxCdaBytes);
        }
      }
      documents.push(doc);
    }
  }
  const submissionSet = parsed[0]!.meta.submissionSet;
  warnings.push(...checkPackage(submissionSet, documents));
  return { submissionSet, documents, files: paths, warnings };
}

function readCda(doc: XdmDocument, content: Buffer, maxBytes: number): void {
  try {
    doc.cda = parseCda(content, { maxBytes });
    doc.problems.push(...checkCdaAgainstEntry(doc.entry, doc.cda));
  } catch (e) {
    const reason = isAppError(e) ? e.message : 'erreur de lecture';
    doc.problems.push({ code: 'CDA_INVALID', message: `Document CDA illisible : ${reason}` });
  }
}

/** Resolves a URI slot against the METADATA.XML folder; null when it would leave the archive. */
export function resolveUri(folder: string, uri: string): string | null {
  let u = uri.trim();
  try {
    u = decodeURIComponent(u);
  } catch {
    // keep as written
  }
  u = u.replace(/\\/g, '/');
  if (/^[a-z][a-z0-9+.-]+:/i.test(u) || /^[a-zA-Z]:/.test(u) || u.startsWith('/')) return null;
  const parts = folder ? folder.split('/') : [];
  for (const seg of u.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!parts.length) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.length ? parts.join('/') : null;
}

function lookup(files: Map<string, Buffer>, p: string): { path: string; content: Buffer } | undefined {
  const exact = files.get(p);
  if (exact) return { path: p, content: exact };
  const lower = p.toLowerCase();
  for (const [k, v] of files) if (k.toLowerCase() === lower) return { path: k, content: v };
  return undefined;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}
