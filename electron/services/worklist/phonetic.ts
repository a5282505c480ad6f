import { editDistance, foldName, withinOneEdit } from '../../../shared/text/normalize';

/**
 * Name comparison for matching received documents to patients: normalisation (accents, case,
 * hyphens, apostrophes), particles, compound and married names, a French phonetic key and edit
 * distance. Pure functions, no I/O.
 */

/** Particles that are often dropped, added or glued: "DE LA FONTAINE" ≈ "FONTAINE", "D'ALMEIDA" ≈ "ALMEIDA". */
export const PARTICLES: ReadonlySet<string> = new Set([
  'de', 'd', 'le', 'la', 'l', 'du', 'des', 'van', 'von', 'der', 'den', 'da', 'di', 'del', 'della', 'dos', 'das', 'ten', 'ter',
]);

const APOSTROPHES = /['’‘`´ʼ]/g;

/** Precomputed forms of a name, reused across comparisons. */
export interface NameForm {
  /** Folded, every separator removed: "D'Almeida" → "dalmeida". */
  compact: string;
  /** Words, apostrophes splitting: "D'Almeida" → ["d", "almeida"]. */
  tokens: string[];
  /** Words without particles, glued: "De la Fontaine" → "fontaine". */
  core: string;
  /** Phonetic key of `compact`. */
  phon: string;
  /** Significant words (3 letters or more, no particle), for compound names. */
  words: string[];
}

/** Names repeat a lot (families, common names): forms and keys are memoised, within a bound. */
const MEMO_MAX = 200_000;
const formMemo = new Map<string, NameForm | null>();
const phonMemo = new Map<string, string>();

export function nameForm(value: string | null | undefined): NameForm | null {
  if (!value) return null;
  let f = formMemo.get(value);
  if (f === undefined) {
    if (formMemo.size >= MEMO_MAX) formMemo.clear();
    f = computeNameForm(value);
    formMemo.set(value, f);
  }
  return f;
}

function computeNameForm(value: string): NameForm | null {
  const compact = foldName(value).replace(/ /g, '');
  if (!compact) return null;
  const tokens = foldName(value.replace(APOSTROPHES, ' ')).split(' ').filter(Boolean);
  const core = tokens.filter((t) => !PARTICLES.has(t)).join('');
  return { compact, tokens, core, phon: phoneticKey(compact), words: tokens.filter((t) => t.length >= 3 && !PARTICLES.has(t)) };
}

/** Strict equality after normalisation (accents, case, hyphens, apostrophes, spaces). */
export function sameName(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = a ? foldName(a).replace(/ /g, '') : '';
  const y = b ? foldName(b).replace(/ /g, '') : '';
  return x !== '' && x === y;
}

/**
 * A French phonetic key in the spirit of Phonex / "Soundex FR": spellings that sound alike get the
 * same key (Lefèvre/Lefebvre, Gautier/Gauthier, Meyer/Meier, Philippe/Filipe, Rousseau/Rousso,
 * Schmitt/Schmidt, Dubois/Duboa). Keys are only compared for equality.
 */
export function phoneticKey(value: string): string {
  let key = phonMemo.get(value);
  if (key === undefined) {
    if (phonMemo.size >= MEMO_MAX) phonMemo.clear();
    key = computePhoneticKey(value);
    phonMemo.set(value, key);
  }
  return key;
}

function computePhoneticKey(value: string): string {
  let s = foldName(value).replace(/[^a-z]/g, '');
  if (!s) return '';
  const rules: [RegExp, string][] = [
    [/y/g, 'i'],
    [/sch|sh|ch/g, 'X'],
    [/ph/g, 'f'],
    [/g(?=[ei])/g, 'j'],
    [/gu(?=[ei])/g, 'g'],
    [/gn/g, 'ni'],
    [/h/g, ''],
    [/qu|q|ck/g, 'k'],
    [/c(?=[ei])/g, 's'],
    [/c/g, 'k'],
    [/x$/g, ''],
    [/x/g, 'ks'],
    [/bv/g, 'v'],
    [/w/g, 'v'],
    [/z/g, 's'],
    [/(?:ai|ei)[nm](?![aeiou])/g, '1'],
    [/[iu][nm](?![aeiou])/g, '1'],
    [/[ae][nm](?![aeiou])/g, '2'],
    [/o[nm](?![aeiou])/g, '3'],
    [/eau|au/g, 'o'],
    [/oi/g, 'oa'],
    [/ou/g, 'u'],
    [/ai|ei/g, 'e'],
    [/(?:er|ez|et)$/g, 'e'],
    [/([a-zX123])\1+/g, '$1'],
    [/[tdsp]+$/g, ''],
  ];
  for (const [re, to] of rules) s = s.replace(re, to);
  if (s.length > 2 && s.endsWith('e')) s = s.slice(0, -1);
  return s.replace(/([a-zX123])\1+/g, '$1');
}

export interface Similarity {
  score: number;
  /** French qualifier shown next to the trait name; empty for an exact match. */
  how: string;
}

const NONE: Similarity = { score: 0, how: '' };

const EXACT: Similarity = { score: 1, how: '' };
const PARTICLE: Similarity = { score: 0.95, how: 'particule' };
const PHONETIC: Similarity = { score: 0.9, how: 'phonétique' };
const ONE_EDIT: Similarity = { score: 0.85, how: 'orthographe approchée' };
const COMPOUND: Similarity = { score: 0.8, how: 'nom composé' };
const TWO_EDITS_LONG: Similarity = { score: 0.7, how: 'orthographe approchée' };
const TWO_EDITS: Similarity = { score: 0.6, how: 'orthographe approchée' };

/** How alike two names are, with the reason (particle, phonetic, spelling, compound). Best reason first. */
export function nameSimilarity(a: NameForm | null, b: NameForm | null): Similarity {
  if (!a || !b) return NONE;
  if (a.compact === b.compact) return EXACT;
  if (a.core && a.core === b.core) return PARTICLE;
  if (a.phon && a.phon === b.phon && a.phon.length >= 2) return PHONETIC;
  const min = Math.min(a.compact.length, b.compact.length);
  const lengthGap = Math.abs(a.compact.length - b.compact.length);
  if (min >= 3 && lengthGap <= 1 && withinOneEdit(a.compact, b.compact)) return ONE_EDIT;
  // Compound names (birth-used, double names): every significant word of one is in the other.
  if (a.words.length && b.words.length && (a.words.length > 1 || b.words.length > 1)) {
    const [small, large] = a.words.length <= b.words.length ? [a.words, b.words] : [b.words, a.words];
    if (small.every((w) => large.includes(w))) return COMPOUND;
  }
  if (min >= 5 && lengthGap <= 2 && editDistance(a.compact, b.compact, 2) === 2) return min >= 6 ? TWO_EDITS_LONG : TWO_EDITS;
  return NONE;
}

/** Day/month inverted, one digit off, two neighbouring digits swapped. */
export function dateSimilarity(a: string | null | undefined, b: string | null | undefined): Similarity {
  if (!a || !b) return NONE;
  if (a === b) return { score: 1, how: '' };
  if (a.length !== 10 || b.length !== 10) return NONE;
  if (a.slice(0, 4) === b.slice(0, 4) && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7)) {
    return { score: 0.7, how: 'jour et mois inversés' };
  }
  const da = a.replace(/-/g, '');
  const db = b.replace(/-/g, '');
  let diff = 0;
  for (let i = 0; i < 8; i++) if (da[i] !== db[i]) diff++;
  if (diff === 1) return { score: 0.7, how: 'un chiffre différent' };
  if (diff === 2) {
    for (let i = 0; i < 7; i++) {
      if (da[i] !== db[i]) {
        if (da[i] === db[i + 1] && da[i + 1] === db[i] && da.slice(i + 2) === db.slice(i + 2)) return { score: 0.65, how: 'chiffres inversés' };
        break;
      }
    }
  }
  return NONE;
}

/** Single-character variants of a YYYY-MM-DD date that still are valid dates (typo search). */
export function dateVariants(date: string): string[] {
  const out = new Set<string>();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return [];
  const valid = (y: string, mo: string, d: string) => {
    const mm = Number(mo);
    const dd = Number(d);
    return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31 && Number(y) >= 1850;
  };
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  if (valid(y, d, mo)) out.add(`${y}-${d}-${mo}`);
  const digits = `${y}${mo}${d}`;
  // Positions: the last two of the year, month, day (the century is rarely mistyped).
  const add = (v: string) => {
    if (valid(v.slice(0, 4), v.slice(4, 6), v.slice(6, 8))) out.add(`${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`);
  };
  for (const i of [2, 3, 4, 5, 6, 7]) {
    for (let c = 0; c <= 9; c++) {
      const ch = String(c);
      if (digits[i] !== ch) add(digits.slice(0, i) + ch + digits.slice(i + 1));
    }
    // Neighbouring digits swapped ("1965" typed "1956").
    if (i < 7) add(digits.slice(0, i) + digits[i + 1] + digits[i] + digits.slice(i + 2));
  }
  out.delete(date);
  return [...out];
}

export function isValidIsoDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}
