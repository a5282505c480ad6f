import { foldName } from '../../../shared/text/normalize';
import type { Patient } from '../store/patients-repo';

/**
 * In-memory patient search: prefix as you type, case/accent/hyphen/apostrophe-insensitive,
 * tolerant to one typo, birth date fragments (jj/mm/aaaa, jj/mm, mm/aaaa, aaaa) and INS.
 * Kept in step with the store by the patient service; rebuilt at start (100k patients ≈ 1 s).
 */

type Field = 'birthName' | 'usedName' | 'givenName';
const FIELD_LABEL: Record<Field, string> = { birthName: 'nom de naissance', usedName: 'nom utilisé', givenName: 'prénom' };

/** Match quality of one query word against one indexed word. */
const EXACT = 3;
const PREFIX = 2;
const TYPO = 1;

interface Term {
  word: string;
  field: Field;
}

interface Entry {
  patient: Patient;
  terms: Term[];
}

export interface SearchHit {
  patient: Patient;
  score: number;
  matchedOn: string;
}

function wordsOf(value: string | null | undefined): string[] {
  if (!value) return [];
  const folded = foldName(value);
  if (!folded) return [];
  const words = new Set(folded.split(' '));
  if (folded.includes(' ')) words.add(folded.replace(/ /g, '')); // "le goff" also findable as "legoff"
  // "D'Artagnan": folding joined it ("dartagnan"); the part after the apostrophe is findable too.
  for (const part of value.split(/['’‘`ʼ]/).slice(1)) for (const w of foldName(part).split(' ')) if (w.length > 1) words.add(w);
  return [...words];
}

function termsOf(p: Patient): Term[] {
  const terms: Term[] = [];
  const add = (field: Field, value: string | null | undefined) => {
    for (const word of wordsOf(value)) terms.push({ word, field });
  };
  add('birthName', p.birthName);
  add('usedName', p.usedName);
  for (const given of p.birthGivenNames) add('givenName', given);
  add('givenName', p.usedGivenName);
  return terms;
}

/** Is some prefix of `word` within one edit (substitution, insertion, deletion, swap) of `query`? */
export function prefixWithinOneEdit(query: string, word: string): boolean {
  const q = query.length;
  let i = 0;
  while (i < q && i < word.length && query.charCodeAt(i) === word.charCodeAt(i)) i++;
  if (i === q) return true;
  const restMatches = (qi: number, wi: number) => {
    if (q - qi > word.length - wi) return false;
    for (let k = 0; qi + k < q; k++) if (query.charCodeAt(qi + k) !== word.charCodeAt(wi + k)) return false;
    return true;
  };
  if (restMatches(i + 1, i + 1)) return true; // substitution
  if (restMatches(i + 1, i)) return true; // extra character typed
  if (restMatches(i, i + 1)) return true; // character missing
  return (
    i + 1 < q &&
    i + 1 < word.length &&
    query.charCodeAt(i) === word.charCodeAt(i + 1) &&
    query.charCodeAt(i + 1) === word.charCodeAt(i) &&
    restMatches(i + 2, i + 2)
  ); // swapped neighbours
}

function matchTier(query: string, word: string): number {
  if (word === query) return EXACT;
  if (word.startsWith(query)) return PREFIX;
  if (query.length >= 3 && prefixWithinOneEdit(query, word)) return TYPO;
  return 0;
}

type DatePredicate = (isoDate: string) => boolean;

function parseDateToken(token: string): DatePredicate | null {
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(token);
  if (m) {
    const iso = `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
    return (d) => d === iso;
  }
  m = /^(\d{1,2})\/(\d{1,2})\/?$/.exec(token);
  if (m) {
    const suffix = `-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
    return (d) => d.endsWith(suffix);
  }
  m = /^(\d{1,2})\/(\d{4})$/.exec(token);
  if (m) {
    const prefix = `${m[2]}-${m[1]!.padStart(2, '0')}`;
    return (d) => d.startsWith(prefix);
  }
  m = /^(\d{4})$/.exec(token);
  if (m) return (d) => d.startsWith(`${m![1]}-`);
  m = /^(\d{1,2})\/?$/.exec(token);
  if (m) {
    const day = `-${m[1]!.padStart(2, '0')}`;
    return (d) => d.endsWith(day);
  }
  return null;
}

const INS_LIKE = /^[12]\d{4}(?:\d{2}|2a|2b)\d{6}(?:\d{2})?$/i; // sex, yymm, département, commune+order, key

export class PatientSearchIndex {
  private readonly entries = new Map<number, Entry>();
  private readonly postings = new Map<string, Set<number>>();
  private readonly byIns = new Map<string, number>();
  private sortedWords: string[] | null = null;

  get size(): number {
    return this.entries.size;
  }

  upsert(patient: Patient): void {
    this.remove(patient.id);
    const entry: Entry = { patient, terms: termsOf(patient) };
    this.entries.set(patient.id, entry);
    for (const { word } of entry.terms) {
      let ids = this.postings.get(word);
      if (!ids) {
        ids = new Set();
        this.postings.set(word, ids);
        this.sortedWords = null;
      }
      ids.add(patient.id);
    }
    if (patient.insMatricule) this.byIns.set(patient.insMatricule.toUpperCase(), patient.id);
  }

  remove(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    for (const { word } of entry.terms) {
      const ids = this.postings.get(word);
      ids?.delete(id);
      if (ids && ids.size === 0) {
        this.postings.delete(word);
        this.sortedWords = null;
      }
    }
    if (entry.patient.insMatricule) this.byIns.delete(entry.patient.insMatricule.toUpperCase());
    this.entries.delete(id);
  }

  get(id: number): Patient | null {
    return this.entries.get(id)?.patient ?? null;
  }

  private words(): string[] {
    this.sortedWords ??= [...this.postings.keys()].sort();
    return this.sortedWords;
  }

  /** Ids of patients having a word that matches `query` at any tier (prefix range + typo scan). */
  private candidatesFor(query: string): Set<number> {
    const words = this.words();
    const out = new Set<number>();
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (words[mid]! < query) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < words.length && words[i]!.startsWith(query); i++) for (const id of this.postings.get(words[i]!)!) out.add(id);
    if (query.length >= 3) {
      for (const word of words) {
        if (word.length + 1 < query.length || word.startsWith(query)) continue;
        if (prefixWithinOneEdit(query, word)) for (const id of this.postings.get(word)!) out.add(id);
      }
    }
    return out;
  }

  search(rawQuery: string, limit = 50): SearchHit[] {
    const tokens = rawQuery.trim().split(/\s+/).filter(Boolean);
    const nameWords: string[] = [];
    const datePredicates: DatePredicate[] = [];
    for (const token of tokens) {
      if (INS_LIKE.test(token.replace(/\s/g, ''))) {
        const id = this.byIns.get(token.slice(0, 15).toUpperCase()) ?? this.byInsPrefix(token);
        const patient = id === undefined ? null : this.get(id);
        return patient ? [{ patient, score: 100, matchedOn: 'INS' }] : [];
      }
      const date = /^\d/.test(token) ? parseDateToken(token) : null;
      if (date) datePredicates.push(date);
      else nameWords.push(...foldName(token).split(' ').filter(Boolean));
    }
    if (nameWords.length === 0 && datePredicates.length === 0) return [];

    let pool: Iterable<Entry>;
    const remaining = [...nameWords];
    if (nameWords.length > 0) {
      // Start from the most selective word (longest), check the others on each candidate.
      remaining.sort((a, b) => b.length - a.length);
      const first = remaining.shift()!;
      const ids = this.candidatesFor(first);
      pool = [...ids].map((id) => this.entries.get(id)!);
      remaining.unshift(first);
    } else {
      pool = this.entries.values();
    }

    const hits: SearchHit[] = [];
    for (const entry of pool) {
      if (!datePredicates.every((pred) => pred(entry.patient.birthDate))) continue;
      let score = datePredicates.length * 2;
      const matched = new Set<string>();
      let all = true;
      for (const query of remaining) {
        let best = 0;
        let bestField: Field | null = null;
        for (const term of entry.terms) {
          const tier = matchTier(query, term.word);
          if (tier > best || (tier === best && tier > 0 && term.field === 'birthName')) {
            best = tier;
            bestField = term.field;
          }
        }
        if (best === 0) {
          all = false;
          break;
        }
        score += best;
        if (bestField) matched.add(FIELD_LABEL[bestField] + (best === TYPO ? ' (orthographe approchée)' : ''));
      }
      if (!all) continue;
      if (datePredicates.length) matched.add('date de naissance');
      hits.push({ patient: entry.patient, score, matchedOn: [...matched].join(', ') });
    }
    hits.sort(
      (a, b) =>
        b.score - a.score ||
        (b.patient.lastSeenAt ?? '').localeCompare(a.patient.lastSeenAt ?? '') ||
        a.patient.birthName.localeCompare(b.patient.birthName, 'fr') ||
        (a.patient.birthGivenNames[0] ?? '').localeCompare(b.patient.birthGivenNames[0] ?? '', 'fr'),
    );
    return hits.slice(0, limit);
  }

  private byInsPrefix(token: string): number | undefined {
    const t = token.toUpperCase();
    if (t.length !== 13) return undefined;
    for (const [ins, id] of this.byIns) if (ins.startsWith(t)) return id;
    return undefined;
  }
}
