import { z } from 'zod';
import { patientSummary } from './domain';

/**
 * Schemas of the CSV patient import from the application (`patients.importCsv`): the same service
 * and report as `lgc import-patients` (docs/import-patients.md), the file sent as base64.
 */

/** Columns of the canonical import file, in their documented order (docs/import-patients.md); the import service uses this list. */
export const IMPORT_CSV_FIELDS = [
  'nom_naissance',
  'prenoms_naissance',
  'date_naissance',
  'sexe',
  'lieu_naissance',
  'nom_utilise',
  'prenom_utilise',
  'ins',
  'ins_oid',
  'statut_identite',
  'id_externe',
] as const;
export const importCsvField = z.enum(IMPORT_CSV_FIELDS);
export type ImportCsvField = z.infer<typeof importCsvField>;

/** Largest file accepted from the application (decoded size): 50 Mo, about 500,000 patients. */
export const CSV_IMPORT_MAX_BYTES = 50 * 1024 * 1024;
/** Base64 length of a file of CSV_IMPORT_MAX_BYTES. */
export const CSV_IMPORT_MAX_BASE64 = Math.ceil(CSV_IMPORT_MAX_BYTES / 3) * 4;
export const CSV_IMPORT_TOO_LARGE = 'Fichier trop volumineux : 50 Mo au plus. Découpez-le ou utilisez la commande lgc import-patients.';

export const importCsvArgs = z
  .object({
    fileName: z.string().trim().min(1).max(255),
    base64: z.string().min(1, 'Fichier vide.').max(CSV_IMPORT_MAX_BASE64, CSV_IMPORT_TOO_LARGE),
    /** canonical field → header of the source column holding it (as `--map champ=colonne`). */
    mapping: z.partialRecord(importCsvField, z.string().trim().min(1).max(200)).optional(),
    /** true: everything is checked and matched, nothing is written (the preview before confirming). */
    dryRun: z.boolean(),
  })
  .strict();

export const importDuplicate = z.object({
  /** Line number in the file (the header is line 1). */
  line: z.number().int(),
  /** The existing record; null only in a dry run when it is a record this same file would create. */
  existingId: z.number().int().nullable(),
  /** That record as the lists show it (INS only when qualified). */
  existing: patientSummary.nullable(),
  reason: z.string(),
  /** The earlier line of the same file this line duplicates, when so. */
  otherLine: z.number().int().optional(),
});
export type ImportDuplicateView = z.infer<typeof importDuplicate>;

export const importInvalid = z.object({
  line: z.number().int(),
  /** Faulty column (canonical name) or `ligne` for the whole line. */
  field: z.union([importCsvField, z.literal('ligne')]),
  /** French reason. */
  reason: z.string(),
});
export type ImportInvalidView = z.infer<typeof importInvalid>;

export const importReport = z.object({
  fileName: z.string(),
  /** Data lines read. total = created + updated + unchanged + duplicates + invalid lines. */
  total: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  duplicates: z.array(importDuplicate),
  /** One entry per faulty column; a line may appear several times. */
  invalid: z.array(importInvalid),
  invalidLines: z.number().int(),
  blankLines: z.number().int(),
  durationMs: z.number(),
  dryRun: z.boolean(),
  encoding: z.enum(['utf-8', 'utf-16le', 'windows-1252']),
  delimiter: z.enum([';', ',', '\t']),
  /** Headers of the file that no field uses. */
  ignoredColumns: z.array(z.string()),
});
export type ImportReportView = z.infer<typeof importReport>;
