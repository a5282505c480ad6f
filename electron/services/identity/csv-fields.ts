import type { PatientInput } from '../../../shared/domain';
import { AppError } from '../../../shared/errors';
import { IMPORT_CSV_FIELDS } from '../../../shared/import';
import type { PatientFields } from '../store/patients-repo';
import { checkIns, INS_OIDS, isInsOid, type IdentityStatus } from './ins';
import { fieldsFromInput } from './patients';

/** Columns of the canonical import file, in their documented order (docs/import-patients.md); shared with the contract. */
export const CSV_FIELDS = IMPORT_CSV_FIELDS;
export type CsvField = (typeof CSV_FIELDS)[number];
export const REQUIRED_CSV_FIELDS: readonly CsvField[] = ['nom_naissance', 'prenoms_naissance', 'date_naissance', 'sexe'];

/** canonical field → header of the column holding it in the source file. */
export type ColumnMapping = Partial<Record<CsvField, string>>;

export function isCsvField(name: string): name is CsvField {
  return (CSV_FIELDS as readonly string[]).includes(name);
}

/** Header comparison key: case, accents, spaces and hyphens do not matter ("Prénoms naissance"). */
export function headerKey(header: string): string {
  return header
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export interface ResolvedColumns {
  /** Column index of each canonical field found in the file. */
  index: Partial<Record<CsvField, number>>;
  /** Headers of the file used by no field (reported, never an error). */
  ignored: string[];
}

/** Matches the header line against the canonical fields and the mapping; refuses unknown or missing columns. */
export function resolveColumns(header: string[], mapping: ColumnMapping = {}): ResolvedColumns {
  const keys = header.map(headerKey);
  const index: Partial<Record<CsvField, number>> = {};
  for (const [field, source] of Object.entries(mapping)) {
    if (!isCsvField(field)) {
      throw new AppError('VALIDATION', `Champ inconnu dans la correspondance : « ${field} ». Champs possibles : ${CSV_FIELDS.join(', ')}.`, {
        field,
      });
    }
    if (typeof source !== 'string' || !source.trim()) continue;
    const at = keys.indexOf(headerKey(source));
    if (at < 0) {
      throw new AppError(
        'BAD_INPUT',
        `Colonne « ${source} » introuvable dans l’en-tête du fichier (correspondance ${field}=${source}). Colonnes présentes : ${header.join(', ')}.`,
        { column: source, field },
      );
    }
    index[field] = at;
  }
  const taken = new Set(Object.values(index));
  for (const field of CSV_FIELDS) {
    if (index[field] !== undefined) continue;
    const at = keys.findIndex((k, i) => k === field && !taken.has(i));
    if (at >= 0) {
      index[field] = at;
      taken.add(at);
    }
  }
  const missing = REQUIRED_CSV_FIELDS.filter((f) => index[f] === undefined);
  if (missing.length > 0) {
    throw new AppError(
      'BAD_INPUT',
      `Colonne${missing.length > 1 ? 's' : ''} obligatoire${missing.length > 1 ? 's' : ''} absente${missing.length > 1 ? 's' : ''} de l’en-tête : ${missing.join(', ')}. ` +
        `Colonnes présentes : ${header.join(', ') || '(aucune)'}. Indiquez la correspondance (champ=colonne) si le fichier les nomme autrement.`,
      { missing },
    );
  }
  const ignored = header.filter((h, i) => !taken.has(i) && h.trim() !== '');
  return { index, ignored };
}

export interface LineError {
  field: CsvField | 'ligne';
  reason: string;
}

export type ReadLine = { ok: true; fields: PatientFields } | { ok: false; errors: LineError[] };

const NAME = /^[\p{L}\p{M}][\p{L}\p{M}' ’.-]*$/u;
const GIVEN = /^[\p{L}\p{M}][\p{L}\p{M}'’.-]*$/u;
const COG = /^(\d{5}|2[AB]\d{3})$/;
// Looked up lower-cased, accents as typed or not (no Unicode normalisation on the hot path).
const STATUS_WORDS = new Map<string, IdentityStatus>([
  ['prov', 'PROV'],
  ['provisoire', 'PROV'],
  ['recup', 'RECUP'],
  ['recuperee', 'RECUP'],
  ['récupérée', 'RECUP'],
  ['vali', 'VALI'],
  ['validee', 'VALI'],
  ['validée', 'VALI'],
  ['qual', 'QUAL'],
  ['qualifiee', 'QUAL'],
  ['qualifiée', 'QUAL'],
]);
const SEX_WORDS = new Map<string, 'F' | 'M'>([
  ['f', 'F'],
  ['m', 'M'],
  ['h', 'M'],
  ['femme', 'F'],
  ['homme', 'M'],
  ['feminin', 'F'],
  ['féminin', 'F'],
  ['masculin', 'M'],
]);
const OLDEST_YEAR = 1850;

/** Case-insensitive lookup; accents are folded only when the direct lookup misses. */
function lookup<T>(words: Map<string, T>, raw: string): T | undefined {
  const lower = raw.toLowerCase();
  return words.get(lower) ?? words.get(lower.normalize('NFD').replace(/\p{M}+/gu, ''));
}

function isRealDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return d <= days;
}

/** `jj/mm/aaaa` (also `-` or `.` as separator) or ISO `aaaa-mm-jj` → ISO, or a French reason. */
export function parseBirthDate(raw: string, today: string): { ok: true; iso: string } | { ok: false; reason: string } {
  let y: number, m: number, d: number;
  let match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(raw);
  if (match) {
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+Z?)?$/.exec(raw))) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else {
    return { ok: false, reason: `date de naissance « ${raw} » illisible : attendu jj/mm/aaaa ou aaaa-mm-jj` };
  }
  if (!isRealDate(y, m, d)) return { ok: false, reason: `date de naissance « ${raw} » inexistante` };
  const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (iso > today) return { ok: false, reason: `date de naissance « ${raw} » dans le futur` };
  if (y < OLDEST_YEAR) return { ok: false, reason: `date de naissance « ${raw} » invraisemblable (avant ${OLDEST_YEAR})` };
  return { ok: true, iso };
}

/** Today's date (local time) as AAAA-MM-JJ. */
export function localIsoDate(now: Date): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/**
 * Validates one data line and returns the identity in its stored form (names in capitals, COG
 * upper-cased…), or every problem found on it — one entry per faulty column.
 */
export function readPatientLine(values: string[], index: Partial<Record<CsvField, number>>, today: string): ReadLine {
  const errors: LineError[] = [];
  const get = (f: CsvField): string => {
    const at = index[f];
    return at === undefined ? '' : (values[at] ?? '').trim();
  };

  const birthName = get('nom_naissance').replace(/\s+/g, ' ');
  if (!birthName) errors.push({ field: 'nom_naissance', reason: 'nom de naissance obligatoire' });
  else if (birthName.length > 100) errors.push({ field: 'nom_naissance', reason: 'nom de naissance trop long (100 caractères au plus)' });
  else if (!NAME.test(birthName)) errors.push({ field: 'nom_naissance', reason: `nom de naissance « ${birthName} » : caractères non autorisés (chiffres ou symboles)` });

  const givenRaw = get('prenoms_naissance');
  const given = givenRaw.split(/[\s,]+/).filter(Boolean);
  if (given.length === 0) errors.push({ field: 'prenoms_naissance', reason: 'au moins un prénom de naissance obligatoire' });
  else if (given.length > 10) errors.push({ field: 'prenoms_naissance', reason: 'dix prénoms de naissance au plus' });
  else if (given.some((g) => g.length > 60)) errors.push({ field: 'prenoms_naissance', reason: 'prénom de naissance trop long (60 caractères au plus)' });
  else if (!given.every((g) => GIVEN.test(g))) errors.push({ field: 'prenoms_naissance', reason: `prénoms « ${givenRaw} » : caractères non autorisés (chiffres ou symboles)` });

  const dateRaw = get('date_naissance');
  let birthDate = '';
  if (!dateRaw) errors.push({ field: 'date_naissance', reason: 'date de naissance obligatoire' });
  else {
    const date = parseBirthDate(dateRaw, today);
    if (date.ok) birthDate = date.iso;
    else errors.push({ field: 'date_naissance', reason: date.reason });
  }

  const sexRaw = get('sexe');
  const sex = lookup(SEX_WORDS, sexRaw);
  if (!sexRaw) errors.push({ field: 'sexe', reason: 'sexe obligatoire (F ou M)' });
  else if (!sex) errors.push({ field: 'sexe', reason: `sexe « ${sexRaw} » inconnu : attendu F ou M` });

  let birthplaceCode: string | null = get('lieu_naissance').toUpperCase() || null;
  // Spreadsheets drop the leading zero of départements 01 to 09 ("6088" for Nice, 06088).
  if (birthplaceCode && /^\d{4}$/.test(birthplaceCode)) birthplaceCode = `0${birthplaceCode}`;
  if (birthplaceCode && !COG.test(birthplaceCode)) {
    errors.push({ field: 'lieu_naissance', reason: `code lieu de naissance « ${birthplaceCode} » : code COG de 5 caractères attendu (ex. 63113, 2A004, 99134)` });
  }

  const usedName = get('nom_utilise').replace(/\s+/g, ' ') || null;
  if (usedName && (usedName.length > 100 || !NAME.test(usedName))) {
    errors.push({ field: 'nom_utilise', reason: `nom utilisé « ${usedName} » : caractères non autorisés ou trop long` });
  }
  const usedGivenName = get('prenom_utilise').replace(/\s+/g, ' ') || null;
  if (usedGivenName && (usedGivenName.length > 60 || !usedGivenName.split(' ').every((g) => GIVEN.test(g)))) {
    errors.push({ field: 'prenom_utilise', reason: `prénom utilisé « ${usedGivenName} » : caractères non autorisés ou trop long` });
  }

  const ins = get('ins').replace(/[\s.]/g, '').toUpperCase() || null;
  let insValid = false;
  if (ins) {
    const check = checkIns(ins);
    if (!check.ok) errors.push({ field: 'ins', reason: `INS « ${ins} » refusé : ${check.reason.replace(/^Matricule INS invalide : /, '')}` });
    else insValid = true;
  }
  const oid = get('ins_oid') || null;
  if (ins && !oid) {
    errors.push({ field: 'ins_oid', reason: 'OID de l’INS manquant (1.2.250.1.213.1.4.8 pour un NIR, .4.9 pour un NIA)' });
    insValid = false;
  } else if (ins && oid && !isInsOid(oid)) {
    errors.push({
      field: 'ins_oid',
      reason: `OID « ${oid} » inconnu : attendu ${INS_OIDS.NIR} (NIR), ${INS_OIDS.NIA} (NIA), ${INS_OIDS.NIR_TEST} (test) ou ${INS_OIDS.NIR_DEMO} (démo)`,
    });
    insValid = false;
  }

  const statusRaw = get('statut_identite');
  let identityStatus: IdentityStatus = 'PROV';
  if (statusRaw) {
    const status = lookup(STATUS_WORDS, statusRaw);
    if (!status) errors.push({ field: 'statut_identite', reason: `statut « ${statusRaw} » inconnu : attendu PROV, RECUP, VALI ou QUAL` });
    else identityStatus = status;
  }
  if ((identityStatus === 'QUAL' || identityStatus === 'RECUP') && !ins) {
    errors.push({
      field: 'statut_identite',
      reason: `statut ${identityStatus} sans matricule INS : une identité ${identityStatus === 'QUAL' ? 'qualifiée' : 'récupérée'} exige une INS valide`,
    });
  }

  const externalId = get('id_externe') || null;
  if (externalId && externalId.length > 64) errors.push({ field: 'id_externe', reason: 'identifiant externe trop long (64 caractères au plus)' });

  if (errors.length > 0 || !sex) return { ok: false, errors };

  // The checks above are those of `patientInput` (the creation form's schema, tests keep them in
  // step); running zod on every line would cost a fifth of the import time.
  const input: PatientInput = { birthName, birthGivenNames: given, birthDate, sex, birthplaceCode, usedName, usedGivenName, externalId };
  const base = fieldsFromInput(input);
  // Built field by field (not spread): this runs once per line and spreading is markedly slower.
  return {
    ok: true,
    fields: {
      birthName: base.birthName,
      birthGivenNames: base.birthGivenNames,
      birthDate: base.birthDate,
      sex: base.sex,
      birthplaceCode: base.birthplaceCode,
      usedName: base.usedName,
      usedGivenName: base.usedGivenName,
      insMatricule: insValid ? ins : null,
      insOid: insValid ? oid : null,
      identityStatus,
      externalId: base.externalId,
    },
  };
}
