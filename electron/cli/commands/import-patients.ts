import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../../../shared/errors';
import { defaultDataDir } from '../../paths';
import { resolveDataDir } from '../data-dir';
import { CSV_FIELDS, importPatientsCsv, isCsvField, type ColumnMapping, type ImportReport } from '../../services/identity/csv-import';
import { createAuditRepo, type AuditActor } from '../../services/store/audit-repo';
import { openDatabase } from '../../services/store/db';
import { createPatientsRepo } from '../../services/store/patients-repo';

/**
 * `lgc import-patients [--data-dir DIR] [--json] [--dry-run] [--map champ=colonne ...] <fichier.csv>`
 * Exit code: 0 file processed (even with invalid lines, listed), 1 unreadable file or unknown
 * column, 2 usage error.
 */

export const IMPORT_CLI_ACTOR: AuditActor = { userId: null, displayName: 'Import CSV (ligne de commande)', role: null };

export const IMPORT_PATIENTS_USAGE = `Usage : lgc import-patients [options] <fichier.csv>

Importe des patients depuis un fichier CSV (export d'un autre logiciel de cabinet).
Colonnes reconnues (séparateur ; ou , — UTF-8 ou Windows-1252) :
  ${CSV_FIELDS.join(';')}

Options :
  --data-dir DIR          Dossier des données (défaut : ${defaultDataDir()})
  --dry-run               Vérifie et rapproche tout sans rien enregistrer
  --map champ=colonne     Colonne du fichier pour un champ (répétable), ex. --map nom_naissance=NOM
  --json                  Affiche le rapport complet en JSON
  -h, --help              Affiche cette aide
`;

class UsageError extends Error {}

function parseMapping(values: string[]): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1) throw new UsageError(`Correspondance invalide « ${value} » : attendu champ=colonne (ex. nom_naissance=NOM).`);
    const field = value.slice(0, at).trim();
    const column = value.slice(at + 1).trim();
    if (!isCsvField(field)) throw new UsageError(`Champ inconnu « ${field} » dans --map. Champs possibles : ${CSV_FIELDS.join(', ')}.`);
    if (mapping[field] !== undefined) throw new UsageError(`Le champ « ${field} » est indiqué deux fois dans --map.`);
    mapping[field] = column;
  }
  return mapping;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`;

export function formatImportSummary(report: ImportReport, file: string): string {
  const lines: string[] = [];
  const delimiter = report.delimiter === '\t' ? 'tabulation' : `« ${report.delimiter} »`;
  const encoding = report.encoding === 'windows-1252' ? 'Windows-1252' : report.encoding.toUpperCase();
  lines.push(`Import de ${file} (${encoding}, séparateur ${delimiter})${report.dryRun ? ' — simulation : rien n’a été enregistré' : ''}`);
  const rows: [string, number | string][] = [
    ['Lignes lues', report.total],
    [report.dryRun ? 'Patients à créer' : 'Patients créés', report.created],
    [report.dryRun ? 'Patients à mettre à jour' : 'Patients mis à jour', report.updated],
    ['Inchangés (déjà importés)', report.unchanged],
    ['Doublons possibles (écartés)', report.duplicates.length],
    ['Lignes invalides (écartées)', report.invalidLines],
  ];
  if (report.blankLines) rows.push(['Lignes vides ignorées', report.blankLines]);
  if (report.ignoredColumns.length) rows.push(['Colonnes non utilisées', report.ignoredColumns.join(', ')]);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(width)} : ${typeof value === 'number' ? value.toLocaleString('fr-FR') : value}`);
  if (report.duplicates.length) {
    lines.push('', 'Doublons possibles (non créés, à vérifier) :');
    for (const d of report.duplicates) {
      const record = d.existingId !== null && !d.reason.includes(`n° ${d.existingId}`) ? ` — dossier n° ${d.existingId}` : '';
      lines.push(`  ligne ${d.line} : ${d.reason}${record}`);
    }
  }
  if (report.invalid.length) {
    lines.push('', 'Lignes invalides (non importées) :');
    for (const e of report.invalid) lines.push(`  ligne ${e.line}, ${e.field} : ${e.reason}`);
  }
  lines.push('', `Durée : ${plural(Math.round(report.durationMs), 'milliseconde', 'millisecondes')}.`);
  if (!report.dryRun && (report.created || report.updated)) {
    lines.push('Si l’application est ouverte, redémarrez-la pour que la recherche de patients voie ces changements.');
  }
  return lines.join('\n') + '\n';
}

export async function importPatientsCommand(argv: string[]): Promise<number> {
  let values: { 'data-dir'?: string; json?: boolean; 'dry-run'?: boolean; map?: string[]; help?: boolean };
  let positionals: string[];
  let mapping: ColumnMapping;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        map: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    if (values.help) {
      process.stdout.write(IMPORT_PATIENTS_USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'Indiquez le fichier CSV à importer.' : 'Un seul fichier CSV à la fois.');
    mapping = parseMapping(values.map ?? []);
  } catch (error) {
    const message = error instanceof UsageError ? error.message : `Option invalide : ${(error as Error).message}`;
    process.stderr.write(`Erreur : ${message}\n\n${IMPORT_PATIENTS_USAGE}`);
    return 2;
  }

  const file = resolve(positionals[0]!);
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'fichier introuvable' : code === 'EACCES' ? 'accès refusé' : code === 'EISDIR' ? 'c’est un dossier' : (error as Error).message;
    process.stderr.write(`Erreur : impossible de lire ${file} (${why}).\n`);
    return 1;
  }

  const dataDir = await resolveDataDir(values['data-dir']);
  const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
  try {
    const report = importPatientsCsv(
      { db, patients: createPatientsRepo(db), audit: createAuditRepo(db), actor: IMPORT_CLI_ACTOR },
      content,
      { mapping, dryRun: values['dry-run'] ?? false, sourceName: basename(file) },
    );
    process.stdout.write(values.json ? JSON.stringify(report) + '\n' : formatImportSummary(report, basename(file)));
    return 0;
  } catch (error) {
    if (error instanceof AppError && (error.code === 'BAD_INPUT' || error.code === 'VALIDATION')) {
      process.stderr.write(`Erreur : ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    db.close();
  }
}
