import { AppError } from '../../../shared/errors';
import { CSV_IMPORT_MAX_BYTES, CSV_IMPORT_TOO_LARGE, type ImportReportView } from '../../../shared/import';
import { requirePermission } from '../auth/permissions';
import type { AuditRepo } from '../store/audit-repo';
import type { Db } from '../store/db';
import type { PatientsRepo } from '../store/patients-repo';
import { importPatientsCsv, type ColumnMapping } from './csv-import';
import { toSummary, type Actor } from './patients';
import type { PatientSearchIndex } from './search-index';

export interface AppImportDeps {
  db: Db;
  patients: PatientsRepo;
  audit: AuditRepo;
  /** The application's search index: kept in step, so imported patients are found at once. */
  index: PatientSearchIndex;
}

export interface AppImportArgs {
  fileName: string;
  base64: string;
  mapping?: ColumnMapping | undefined;
  dryRun: boolean;
}

/**
 * `patients.importCsv`: the file chosen in the patients screen, imported under the signed-in
 * user (who may edit patient files) by the same service as `lgc import-patients`. A dry run
 * (the preview) writes nothing; the import itself is audited once (`patient.import`).
 */
export function importPatientsFromApp(deps: AppImportDeps, actor: Actor, args: AppImportArgs): ImportReportView {
  requirePermission(actor, 'patient.edit');
  const content = Buffer.from(args.base64, 'base64');
  if (content.length > CSV_IMPORT_MAX_BYTES) throw new AppError('BAD_INPUT', CSV_IMPORT_TOO_LARGE, { size: content.length });
  if (content.length === 0) throw new AppError('BAD_INPUT', 'Fichier vide.');
  const fileName = args.fileName.trim();
  const report = importPatientsCsv(
    { db: deps.db, patients: deps.patients, audit: deps.audit, index: deps.index, actor },
    content,
    { ...(args.mapping ? { mapping: args.mapping } : {}), dryRun: args.dryRun, sourceName: fileName },
  );
  const summaries = new Map<number, ReturnType<typeof toSummary> | null>();
  const existing = (id: number | null) => {
    if (id === null) return null;
    if (!summaries.has(id)) {
      const p = deps.patients.get(id);
      summaries.set(id, p ? toSummary(p) : null);
    }
    return summaries.get(id)!;
  };
  return {
    fileName,
    ...report,
    duplicates: report.duplicates.map((d) => ({ ...d, existing: existing(d.existingId) })),
  };
}
