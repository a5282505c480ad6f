import { performance } from 'node:perf_hooks';
import { AppError } from '../../../shared/errors';
import type { AuditActor, AuditRepo } from '../store/audit-repo';
import type { Db } from '../store/db';
import type { Patient, PatientFields, PatientsRepo } from '../store/patients-repo';
import { localIsoDate, readPatientLine, resolveColumns, type ColumnMapping, type CsvField } from './csv-fields';
import { KnownPatients } from './csv-known';
import { decodeCsv, detectDelimiter, readCsvRecords, type CsvDelimiter, type CsvEncoding } from './csv-read';
import { changedStrictTraits, IDENTITY_STATUS_LABELS, statusAfterStrictTraitEdit, statusFrom, type IdentityStatus } from './ins';
import { looksLikeSameIdentity } from './patients';
import type { PatientSearchIndex } from './search-index';

export { CSV_FIELDS, REQUIRED_CSV_FIELDS, isCsvField, type ColumnMapping, type CsvField } from './csv-fields';

/**
 * Import of a patient file exported by another practice software (docs/import-patients.md).
 *
 * Every data line ends up in exactly one bucket of the report: created, updated, unchanged,
 * duplicates (not created, for a human to look at) or invalid (with one reason per faulty column).
 * Re-running the same file changes nothing: a line is found again by its `id_externe`, its INS,
 * or — without either — by identical birth traits.
 */

export interface ImportDeps {
  db: Db;
  patients: PatientsRepo;
  audit: AuditRepo;
  /** Kept in step (after each committed batch) when given. */
  index?: PatientSearchIndex;
  actor: AuditActor;
}

export interface ImportOptions {
  /** canonical field → header of the source column holding it. */
  mapping?: ColumnMapping;
  /** Validate and match everything, then roll back: nothing is written. */
  dryRun?: boolean;
  /** File name, recorded in the audit entry and the identity events. */
  sourceName?: string;
  /** Lines per transaction (default 5,000). */
  batchSize?: number;
  /** Clock, for the "not in the future" check and timestamps (tests). */
  now?: () => Date;
}

export interface ImportDuplicate {
  line: number;
  /** The existing record; null only in a dry run when it is a record this same file would create. */
  existingId: number | null;
  reason: string;
  /** The earlier line of the same file this line duplicates, when so. */
  otherLine?: number;
}

export interface ImportInvalid {
  line: number;
  field: CsvField | 'ligne';
  reason: string;
}

export interface ImportReport {
  /** Data lines read (blank lines excepted). total = created + updated + unchanged + duplicates + invalid lines. */
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  duplicates: ImportDuplicate[];
  /** One entry per faulty column; a line may appear several times. */
  invalid: ImportInvalid[];
  /** Number of distinct invalid lines. */
  invalidLines: number;
  /** Lines whose every column was empty (skipped, counted here). */
  blankLines: number;
  durationMs: number;
  dryRun: boolean;
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
  /** Headers of the file that no field uses. */
  ignoredColumns: string[];
}

const ROLLBACK = Symbol('dry-run rollback');

const hasInsiEvidence = (s: IdentityStatus) => s === 'RECUP' || s === 'QUAL';
const hasDocumentEvidence = (s: IdentityStatus) => s === 'VALI' || s === 'QUAL';

/**
 * Status after an import line matched an existing identity: the evidence on record and the
 * evidence declared by the file add up (an import never lowers a status by itself), except that
 * a changed strict trait voids the INSi match (QUAL→VALI, RECUP→PROV) and so does a changed INS.
 */
export function mergedImportStatus(before: IdentityStatus, declared: IdentityStatus, change: { strictTraits: boolean; ins: boolean }): IdentityStatus {
  let base = change.strictTraits ? statusAfterStrictTraitEdit(before) : before;
  if (change.ins) base = hasDocumentEvidence(base) ? 'VALI' : 'PROV';
  return statusFrom({
    insiVerified: hasInsiEvidence(base) || hasInsiEvidence(declared),
    highTrustDocumentChecked: hasDocumentEvidence(base) || hasDocumentEvidence(declared),
  });
}

function sameFields(a: PatientFields, b: PatientFields): boolean {
  return (
    a.birthName === b.birthName &&
    a.birthDate === b.birthDate &&
    a.sex === b.sex &&
    a.birthplaceCode === b.birthplaceCode &&
    a.usedName === b.usedName &&
    a.usedGivenName === b.usedGivenName &&
    a.insMatricule === b.insMatricule &&
    a.insOid === b.insOid &&
    a.identityStatus === b.identityStatus &&
    a.externalId === b.externalId &&
    a.birthGivenNames.length === b.birthGivenNames.length &&
    a.birthGivenNames.every((g, i) => g === b.birthGivenNames[i])
  );
}

function fieldsOf(p: Patient): PatientFields {
  return {
    birthName: p.birthName,
    birthGivenNames: p.birthGivenNames,
    birthDate: p.birthDate,
    sex: p.sex,
    birthplaceCode: p.birthplaceCode,
    usedName: p.usedName,
    usedGivenName: p.usedGivenName,
    insMatricule: p.insMatricule,
    insOid: p.insOid,
    identityStatus: p.identityStatus,
    externalId: p.externalId,
  };
}

export function importPatientsCsv(deps: ImportDeps, input: Buffer | string, options: ImportOptions = {}): ImportReport {
  const started = performance.now();
  const { db, patients, audit, index, actor } = deps;
  const clock = options.now ?? (() => new Date());
  const dryRun = options.dryRun ?? false;
  const batchSize = Math.max(1, options.batchSize ?? 5000);

  const { text, encoding } = decodeCsv(input);
  const delimiter = detectDelimiter(text);
  const records = readCsvRecords(text, delimiter);
  const header = records[0];
  if (!header) throw new AppError('BAD_INPUT', 'Fichier vide : la première ligne doit être l’en-tête des colonnes.');
  const columns = resolveColumns(header.values, options.mapping);
  const has = (f: CsvField) => columns.index[f] !== undefined;
  const today = localIsoDate(clock());

  const report: ImportReport = {
    total: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    duplicates: [],
    invalid: [],
    invalidLines: 0,
    blankLines: 0,
    durationMs: 0,
    dryRun,
    encoding,
    delimiter,
    ignoredColumns: columns.ignored,
  };

  /** Patient id → first line of this run that resolved to it (created, updated or found unchanged). */
  const touched = new Map<number, number>();
  const createdHere = new Set<number>();
  const externalIdLines = new Map<string, number>();
  const evidenceTail = options.sourceName ? `,"fichier":${JSON.stringify(options.sourceName)}}` : '}';
  const evidenceOf = (line: number) => `{"note":"import CSV","ligne":${line}${evidenceTail}`;

  const duplicate = (line: number, existingId: number, reason: string, otherLine?: number) => {
    const entry: ImportDuplicate = { line, existingId: dryRun && createdHere.has(existingId) ? null : existingId, reason };
    if (otherLine !== undefined) entry.otherLine = otherLine;
    report.duplicates.push(entry);
  };

  /** A line already resolved to this patient: the file names the same person twice. */
  const alreadyTouched = (line: number, id: number): boolean => {
    const first = touched.get(id);
    if (first === undefined) return false;
    duplicate(line, id, `même patient que la ligne ${first} du fichier`, first);
    return true;
  };

  const processBatch = (rows: typeof records, now: string, changed: Patient[]) => {
    for (const { line, values } of rows) {
      if (values.every((v) => v.trim() === '')) {
        report.blankLines++;
        continue;
      }
      report.total++;
      if (values.length !== header.values.length) {
        report.invalid.push({
          line,
          field: 'ligne',
          reason: `${values.length} colonnes au lieu de ${header.values.length} (séparateur « ${delimiter === '\t' ? 'tabulation' : delimiter} » dans une valeur sans guillemets ?)`,
        });
        report.invalidLines++;
        continue;
      }
      const read = readPatientLine(values, columns.index, today);
      if (!read.ok) {
        for (const e of read.errors) report.invalid.push({ line, ...e });
        report.invalidLines++;
        continue;
      }
      const f = read.fields;

      if (f.externalId) {
        const first = externalIdLines.get(f.externalId);
        if (first !== undefined) {
          const holder = known.findByExternalId(f.externalId);
          if (holder) duplicate(line, holder.id, `identifiant externe ${f.externalId} déjà présent ligne ${first} du fichier`, first);
          else {
            report.invalid.push({ line, field: 'id_externe', reason: `identifiant externe ${f.externalId} déjà présent ligne ${first} du fichier` });
            report.invalidLines++;
          }
          continue;
        }
        externalIdLines.set(f.externalId, line);
      }

      const byExternalId = f.externalId ? known.findByExternalId(f.externalId) : null;
      const insHolder = f.insMatricule ? known.findByIns(f.insMatricule) : null;

      if (byExternalId) {
        if (insHolder && insHolder.id !== byExternalId.id) {
          duplicate(line, insHolder.id, `l’INS ${f.insMatricule} est déjà portée par le dossier n° ${insHolder.id} : doublon probable à traiter`);
          continue;
        }
        if (!alreadyTouched(line, byExternalId.id)) applyToExisting(byExternalId, f, line, now, changed);
        continue;
      }

      if (insHolder) {
        if (!looksLikeSameIdentity(f, insHolder)) {
          duplicate(line, insHolder.id, `même INS que le dossier n° ${insHolder.id} mais traits de naissance différents : à vérifier`);
        } else if (f.externalId && insHolder.externalId && insHolder.externalId !== f.externalId) {
          duplicate(line, insHolder.id, `même INS que le dossier n° ${insHolder.id} (identifiant externe ${insHolder.externalId} et non ${f.externalId})`);
        } else if (!alreadyTouched(line, insHolder.id)) {
          applyToExisting(insHolder, f, line, now, changed);
        }
        continue;
      }

      const similar = known.findByBirthDateAndSex(f.birthDate, f.sex).filter((p) => looksLikeSameIdentity(f, p));
      if (similar.length === 0) {
        create(f, line, now, changed);
        continue;
      }
      // Applying the line would change nothing but link its id_externe: the same record again.
      const same = similar.find((p) => {
        if (f.externalId && p.externalId && p.externalId !== f.externalId) return false;
        return sameFields(fieldsOf(p), { ...nextFields(p, f).next, externalId: p.externalId });
      });
      if (same) {
        if (!alreadyTouched(line, same.id)) applyToExisting(same, f, line, now, changed);
        continue;
      }
      const other = similar[0]!;
      const first = touched.get(other.id);
      duplicate(
        line,
        other.id,
        first !== undefined
          ? `doublon possible de la ligne ${first} du fichier (même date de naissance et sexe, nom et prénom identiques ou proches)`
          : `doublon possible du dossier n° ${other.id} (même date de naissance et sexe, nom et prénom identiques ou proches)`,
        first,
      );
    }
  };

  const create = (f: PatientFields, line: number, now: string, changed: Patient[]) => {
    const id = patients.insert(f, actor.userId, now);
    patients.addIdentityEvent(id, {
      at: now,
      userId: actor.userId,
      fromStatus: null,
      toStatus: f.identityStatus,
      reason: `Création de l’identité par import CSV (${IDENTITY_STATUS_LABELS[f.identityStatus].toLowerCase()})`,
      evidence: evidenceOf(line),
    });
    createdHere.add(id);
    touched.set(id, line);
    report.created++;
    const created: Patient = {
      id,
      birthName: f.birthName,
      birthGivenNames: f.birthGivenNames,
      birthDate: f.birthDate,
      sex: f.sex,
      birthplaceCode: f.birthplaceCode,
      usedName: f.usedName,
      usedGivenName: f.usedGivenName,
      insMatricule: f.insMatricule,
      insOid: f.insOid,
      identityStatus: f.identityStatus,
      externalId: f.externalId,
      createdAt: now,
      updatedAt: now,
      lastSeenAt: null,
    };
    known.add(created);
    changed.push(created);
  };

  /** What a matched record becomes with the line applied. */
  const nextFields = (before: Patient, f: PatientFields) => {
    const next: PatientFields = {
      birthName: f.birthName,
      birthGivenNames: f.birthGivenNames,
      birthDate: f.birthDate,
      sex: f.sex,
      // A column absent from the file leaves the stored value alone; present and empty clears it.
      birthplaceCode: has('lieu_naissance') ? f.birthplaceCode : before.birthplaceCode,
      usedName: has('nom_utilise') ? f.usedName : before.usedName,
      usedGivenName: has('prenom_utilise') ? f.usedGivenName : before.usedGivenName,
      insMatricule: f.insMatricule ?? before.insMatricule,
      insOid: f.insMatricule ? f.insOid : before.insOid,
      identityStatus: before.identityStatus,
      externalId: f.externalId ?? before.externalId,
    };
    const strict = changedStrictTraits(before, next);
    const insChanged = !!f.insMatricule && !!before.insMatricule && f.insMatricule !== before.insMatricule;
    const status = mergedImportStatus(before.identityStatus, f.identityStatus, { strictTraits: strict.length > 0, ins: insChanged });
    next.identityStatus = status;
    return { next, strict, status };
  };

  /** Update-or-skip of a record the line was matched to (by id_externe, INS or identical traits). */
  const applyToExisting = (before: Patient, f: PatientFields, line: number, now: string, changed: Patient[]) => {
    touched.set(before.id, line);
    const { next, strict, status } = nextFields(before, f);
    if (sameFields(fieldsOf(before), next)) {
      report.unchanged++;
      return;
    }
    patients.update(before.id, next, now);
    if (status !== before.identityStatus) {
      patients.addIdentityEvent(before.id, {
        at: now,
        userId: actor.userId,
        fromStatus: before.identityStatus,
        toStatus: status,
        reason:
          strict.length > 0 && hasInsiEvidence(before.identityStatus) && !hasInsiEvidence(status)
            ? `Trait strict modifié par import CSV (${strict.join(', ')}) : ${IDENTITY_STATUS_LABELS[before.identityStatus].toLowerCase()} → ${IDENTITY_STATUS_LABELS[status].toLowerCase()}`
            : `Import CSV : ${IDENTITY_STATUS_LABELS[status].toLowerCase()}`,
        evidence: evidenceOf(line),
      });
    }
    report.updated++;
    const after: Patient = { ...before, ...next, updatedAt: now };
    known.replace(before, after);
    changed.push(after);
  };

  const rows = records.slice(1);
  const known = new KnownPatients(patients);
  let dataVersion = db.pragma('data_version', { simple: true });
  const runAll = () => {
    for (let start = 0; start < rows.length; start += batchSize) {
      const changed: Patient[] = [];
      db.transaction(() => {
        // Another connection (the running application) committed since: the memory copy is stale.
        const version = db.pragma('data_version', { simple: true });
        if (version !== dataVersion) {
          known.reload();
          dataVersion = version;
        }
        processBatch(rows.slice(start, start + batchSize), clock().toISOString(), changed);
      }).immediate();
      if (!dryRun && index) for (const p of changed) index.upsert(p);
    }
  };

  if (dryRun) {
    try {
      db.transaction(() => {
        runAll();
        throw ROLLBACK;
      }).immediate();
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
  } else {
    runAll();
  }

  report.durationMs = Math.round((performance.now() - started) * 10) / 10;
  if (!dryRun) {
    audit.append(actor, 'patient.import', null, {
      ...(options.sourceName ? { fichier: options.sourceName } : {}),
      lignes: report.total,
      crees: report.created,
      misAJour: report.updated,
      inchanges: report.unchanged,
      doublons: report.duplicates.length,
      invalides: report.invalidLines,
      dureeMs: report.durationMs,
    });
  }
  return report;
}
