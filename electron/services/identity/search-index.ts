import { foldName } from '../../../shared/text/normalize';
import type { Patient } from '../store/patients-repo';

/**
 * In-memory patient search: prefix as you type, case/accent/hyphen/apostrophe-insensitive,
 * tolerant to one typo, birth date fragments (jj/mm/aaaa, jj/mm, mm/aaaa, aaaa) and INS.
 * Kept in step with the store by the patient service; rebuilt at start.
 *
 * Speed (tests/bench/patients.ts, 100,000 patients): every patient has a dense slot; the match
 * quality of each query word is read from the postings into a per-slot byte array (no rescan of
 * each candidate's words); birth dates are looked up per distinct date; only the `limit` best hits
 * are kept (bounded heap), ordered by collation ranks of the names computed once per distinct
 * name (same order as `localeCompare(…, 'fr')`), and "matched on" is spelled out for those only.
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
  slot: number;
}

export interface SearchHit {
  patient: Patient;
  score: number;
  matchedOn: string;
}

function computeWordsOf(value: string): string[] {
  const folded = foldName(value);
  if (!folded) return [];
  const words = new Set(folded.split(' '));
  if (folded.includes(' ')) words.add(folded.replace(/ /g, '')); // "le goff" also findable as "legoff"
  // "D'Artagnan": folding joined it ("dartagnan"); the part after the apostrophe is findable too.
  for (const part of value.split(/['’‘`ʼ]/).slice(1)) for (const w of foldName(part).split(' ')) if (w.length > 1) words.add(w);
  return [...words];
}

/** The collator of `localeCompare(…, 'fr')`. */
const collator = new Intl.Collator('fr');

function grown(array: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  if (size <= array.length) return array;
  const bigger = new Int32Array(Math.max(size, array.length * 2));
  bigger.set(array);
  return bigger;
}

const LIGATURES: Record<string, string> = { œ: 'oe', Œ: 'oe', æ: 'ae', Æ: 'ae', ß: 'ss' };
/** Separators in the order the collator puts them (before digits, digits before letters). */
const SEPARATOR_KEYS: Record<string, string> = { ' ': '\u0001', _: '\u0002', '-': '\u0003', ',': '\u0004', '.': '\u0005', "'": '\u0006', '’': '\u0006' };

/** Lower case, accents and ligatures folded, separators mapped in collation order: agrees with the collator on almost every pair. */
function roughCollationKey(name: string): string {
  return name
    .replace(/[œŒæÆß]/g, (c) => LIGATURES[c] ?? c)
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ _\-,.'’]/g, (c) => SEPARATOR_KEYS[c] ?? c);
}

/**
 * Exactly the collator's order, with few collator calls: sorted on the rough keys first, then an
 * insertion pass with the collator fixes the rare pairs they disagree on (accents, case, oddities);
 * should the rough order be far off, a plain collator sort.
 */
function sortByCollation(keys: number[], rough: string[], compare: (a: number, b: number) => number): number[] {
  keys.sort((a, b) => (rough[a]! < rough[b]! ? -1 : rough[a]! > rough[b]! ? 1 : 0));
  let moves = 0;
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && compare(keys[j]!, key) > 0) {
      keys[j + 1] = keys[j]!;
      j--;
      moves++;
    }
    keys[j + 1] = key;
    if (moves > 8 * keys.length) return keys.sort(compare);
  }
  return keys;
}

/**
 * Rank of each distinct name in French collation order, so that ordering hits compares integers.
 * Names get a permanent key; ranks are brought up to date before a search (a few new names are
 * inserted, many trigger one sort). Names the collator holds equal share a rank.
 */
class CollationRanks {
  private readonly keys = new Map<string, number>();
  private readonly names: string[] = [];
  /** Keys in collation order; tied[i]: names[sorted[i]] collates equal to the previous one. */
  private sorted: number[] = [];
  private tied: boolean[] = [];
  private pending: number[] = [];
  /** An approximation of the collation order, cheap to compare (see roughCollationKey). */
  private readonly rough: string[] = [];
  rank: Int32Array<ArrayBuffer> = new Int32Array(256);

  key(name: string): number {
    let key = this.keys.get(name);
    if (key === undefined) {
      key = this.names.length;
      this.keys.set(name, key);
      this.names.push(name);
      this.rough.push(roughCollationKey(name));
      this.pending.push(key);
      this.rank = grown(this.rank, key + 1);
    }
    return key;
  }

  ensure(): void {
    if (this.pending.length === 0) return;
    const names = this.names;
    const compare = (a: number, b: number) => collator.compare(names[a]!, names[b]!);
    let from: number;
    if (this.sorted.length === 0 || this.pending.length > 64) {
      this.sorted = sortByCollation([...this.sorted, ...this.pending], this.rough, compare);
      this.tied = this.sorted.map((k, i) => i > 0 && compare(this.sorted[i - 1]!, k) === 0);
      from = 0;
    } else {
      from = this.sorted.length;
      for (const key of this.pending) {
        let lo = 0;
        let hi = this.sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compare(this.sorted[mid]!, key) <= 0) lo = mid + 1;
          else hi = mid;
        }
        this.sorted.splice(lo, 0, key);
        this.tied.splice(lo, 0, lo > 0 && compare(this.sorted[lo - 1]!, key) === 0);
        if (lo + 1 < this.sorted.length) this.tied[lo + 1] = compare(key, this.sorted[lo + 1]!) === 0;
        from = Math.min(from, lo);
      }
    }
    this.pending = [];
    for (let i = from; i < this.sorted.length; i++) {
      const key = this.sorted[i]!;
      this.rank[key] = this.tied[i] ? this.rank[this.sorted[i - 1]!]! : i;
    }
  }
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

/** A birth date fragment: a test on AAAA-MM-JJ, and how to find the matching dates without scanning them all. */
interface DateQuery {
  test: (isoDate: string) => boolean;
  exact?: string;
  prefix?: string;
  suffix?: string;
}

function parseDateToken(token: string): DateQuery | null {
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(token);
  if (m) {
    const iso = `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
    return { test: (d) => d === iso, exact: iso };
  }
  m = /^(\d{1,2})\/(\d{1,2})\/?$/.exec(token);
  if (m) {
    const suffix = `-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
    return { test: (d) => d.endsWith(suffix), suffix };
  }
  m = /^(\d{1,2})\/(\d{4})$/.exec(token);
  if (m) {
    const prefix = `${m[2]}-${m[1]!.padStart(2, '0')}`;
    return { test: (d) => d.startsWith(prefix), prefix };
  }
  m = /^(\d{4})$/.exec(token);
  if (m) {
    const prefix = `${m[1]}-`;
    return { test: (d) => d.startsWith(prefix), prefix };
  }
  m = /^(\d{1,2})\/?$/.exec(token);
  if (m) {
    const suffix = `-${m[1]!.padStart(2, '0')}`;
    return { test: (d) => d.endsWith(suffix), suffix };
  }
  return null;
}

const INS_LIKE = /^[12]\d{4}(?:\d{2}|2a|2b)\d{6}(?:\d{2})?$/i; // sex, yymm, département, commune+order, key

/** A kept hit; `seq` keeps the order in which candidates were met for complete ties (stable). */
interface Ranked {
  slot: number;
  score: number;
  lastSeen: string;
  nameRank: number;
  givenRank: number;
  seq: number;
}

/** Negative when a ranks first: score, then most recently seen, then birth name, first name (French collation). */
function compareRanked(a: Ranked, b: Ranked): number {
  return (
    b.score - a.score ||
    (a.lastSeen === b.lastSeen ? 0 : a.lastSeen < b.lastSeen ? 1 : -1) ||
    a.nameRank - b.nameRank ||
    a.givenRank - b.givenRank ||
    a.seq - b.seq
  );
}

/** The `limit` best hits: a heap whose root is the worst kept, so most candidates cost one comparison. */
class TopK {
  private readonly heap: Ranked[] = [];
  constructor(private readonly limit: number) {}

  offer(r: Ranked): void {
    const h = this.heap;
    if (h.length < this.limit) {
      h.push(r);
      let i = h.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (compareRanked(h[i]!, h[parent]!) <= 0) break;
        [h[i], h[parent]] = [h[parent]!, h[i]!];
        i = parent;
      }
      return;
    }
    if (this.limit === 0 || compareRanked(r, h[0]!) >= 0) return;
    h[0] = r;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const rr = l + 1;
      let worst = i;
      if (l < h.length && compareRanked(h[l]!, h[worst]!) > 0) worst = l;
      if (rr < h.length && compareRanked(h[rr]!, h[worst]!) > 0) worst = rr;
      if (worst === i) break;
      [h[i], h[worst]] = [h[worst]!, h[i]!];
      i = worst;
    }
  }

  sorted(): Ranked[] {
    return [...this.heap].sort(compareRanked);
  }
}

/** Best tier per slot for one query word; `touched` lists the slots with a tier, in the order met. */
interface WordTiers {
  tiers: Uint8Array;
  touched: number[];
}

export class PatientSearchIndex {
  private readonly entries = new Map<number, Entry>();
  private readonly postings = new Map<string, Set<number>>(); // word → slots
  private readonly byIns = new Map<string, number>();
  /** First 13 characters of the INS (NIR without its key) → patient id. */
  private readonly byIns13 = new Map<string, number>();
  private readonly byDate = new Map<string, Set<number>>(); // AAAA-MM-JJ → slots
  private readonly wordsCache = new Map<string, readonly string[]>();
  private readonly names = new CollationRanks();
  private readonly givens = new CollationRanks();
  // Per slot (dense, reused after removal).
  private bySlot: (Entry | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private lastSeen: string[] = [];
  private birthDate: string[] = [];
  private nameKey: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private givenKey: Int32Array<ArrayBuffer> = new Int32Array(1024);
  // Lazily rebuilt views.
  private sortedWords: string[] | null = null;
  /** Words added since the sorted views were last brought up to date. */
  private pendingWords: string[] = [];
  /** Words by their second character (typo search: a one-edit match shares the first or second character). */
  private wordsBySecond: Map<string, string[]> | null = null;
  private sortedDates: string[] | null = null;
  private datesBySuffix: Map<string, string[]> | null = null;

  get size(): number {
    return this.entries.size;
  }

  private wordsOf(value: string | null | undefined): readonly string[] {
    if (!value) return [];
    let words = this.wordsCache.get(value);
    if (!words) {
      words = computeWordsOf(value);
      this.wordsCache.set(value, words);
    }
    return words;
  }

  private termsOf(p: Patient): Term[] {
    const terms: Term[] = [];
    const add = (field: Field, value: string | null | undefined) => {
      for (const word of this.wordsOf(value)) terms.push({ word, field });
    };
    add('birthName', p.birthName);
    add('usedName', p.usedName);
    for (const given of p.birthGivenNames) add('givenName', given);
    add('givenName', p.usedGivenName);
    return terms;
  }

  upsert(patient: Patient): void {
    this.remove(patient.id);
    const slot = this.freeSlots.pop() ?? this.bySlot.length;
    const entry: Entry = { patient, terms: this.termsOf(patient), slot };
    this.entries.set(patient.id, entry);
    this.bySlot[slot] = entry;
    this.lastSeen[slot] = patient.lastSeenAt ?? '';
    this.birthDate[slot] = patient.birthDate;
    this.nameKey = grown(this.nameKey, slot + 1);
    this.givenKey = grown(this.givenKey, slot + 1);
    this.nameKey[slot] = this.names.key(patient.birthName);
    this.givenKey[slot] = this.givens.key(patient.birthGivenNames[0] ?? '');
    for (const { word } of entry.terms) {
      let slots = this.postings.get(word);
      if (!slots) {
        slots = new Set();
        this.postings.set(word, slots);
        this.wordAdded(word);
      }
      slots.add(slot);
    }
    if (patient.insMatricule) {
      const ins = patient.insMatricule.toUpperCase();
      this.byIns.set(ins, patient.id);
      if (!this.byIns13.has(ins.slice(0, 13))) this.byIns13.set(ins.slice(0, 13), patient.id);
    }
    let day = this.byDate.get(patient.birthDate);
    if (!day) {
      day = new Set();
      this.byDate.set(patient.birthDate, day);
      this.sortedDates = null;
      this.datesBySuffix = null;
    }
    day.add(slot);
  }

  remove(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    const { slot } = entry;
    for (const { word } of entry.terms) {
      const slots = this.postings.get(word);
      slots?.delete(slot);
      if (slots && slots.size === 0) {
        this.postings.delete(word);
        this.wordRemoved(word);
      }
    }
    if (entry.patient.insMatricule) {
      const ins = entry.patient.insMatricule.toUpperCase();
      const nir = ins.slice(0, 13);
      this.byIns.delete(ins);
      if (this.byIns13.get(nir) === id) {
        this.byIns13.delete(nir);
        for (const [other, otherId] of this.byIns) {
          if (other.startsWith(nir)) {
            this.byIns13.set(nir, otherId);
            break;
          }
        }
      }
    }
    const day = this.byDate.get(entry.patient.birthDate);
    day?.delete(slot);
    if (day && day.size === 0) {
      this.byDate.delete(entry.patient.birthDate);
      this.sortedDates = null;
      this.datesBySuffix = null;
    }
    this.entries.delete(id);
    this.bySlot[slot] = undefined;
    this.lastSeen[slot] = '';
    this.freeSlots.push(slot);
  }

  get(id: number): Patient | null {
    return this.entries.get(id)?.patient ?? null;
  }

  /** A new word: inserted in the sorted views when they exist (a search is under way), else they are built later. */
  private wordAdded(word: string): void {
    if (!this.sortedWords) return;
    if (this.sortedWords.length === 0 || this.pendingWords.length >= 64) {
      this.sortedWords = null;
      this.wordsBySecond = null;
      this.pendingWords = [];
      return;
    }
    this.pendingWords.push(word);
  }

  private wordRemoved(word: string): void {
    const pending = this.pendingWords.indexOf(word);
    if (pending >= 0) {
      this.pendingWords.splice(pending, 1); // never made it to the sorted views
      return;
    }
    if (!this.sortedWords) return;
    const at = PatientSearchIndex.lowerBound(this.sortedWords, word);
    if (this.sortedWords[at] === word) this.sortedWords.splice(at, 1);
    const list = word.length > 1 ? this.wordsBySecond?.get(word[1]!) : undefined;
    const i = list ? list.indexOf(word) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  private words(): string[] {
    if (!this.sortedWords) {
      this.sortedWords = [...this.postings.keys()].sort();
      this.pendingWords = [];
    } else if (this.pendingWords.length > 0) {
      for (const word of this.pendingWords) {
        this.sortedWords.splice(PatientSearchIndex.lowerBound(this.sortedWords, word), 0, word);
        if (this.wordsBySecond && word.length > 1) {
          const list = this.wordsBySecond.get(word[1]!);
          if (list) list.push(word);
          else this.wordsBySecond.set(word[1]!, [word]);
        }
      }
      this.pendingWords = [];
    }
    return this.sortedWords;
  }

  private bySecondCharacter(): Map<string, string[]> {
    if (!this.wordsBySecond) {
      const map = new Map<string, string[]>();
      for (const w of this.words()) {
        if (w.length < 2) continue;
        const list = map.get(w[1]!);
        if (list) list.push(w);
        else map.set(w[1]!, [w]);
      }
      this.wordsBySecond = map;
    }
    return this.wordsBySecond;
  }

  private static lowerBound(sorted: string[], value: string): number {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Best match quality of `query` per slot (prefix range, then words one edit away): the best
   * `matchTier` over the patient's words, read from the postings instead of rescanning them.
   */
  private tiersFor(query: string): WordTiers {
    const words = this.words();
    const tiers = new Uint8Array(this.bySlot.length);
    const touched: number[] = [];
    const offer = (word: string, tier: number) => {
      for (const slot of this.postings.get(word)!) {
        const current = tiers[slot]!;
        if (current === 0) touched.push(slot);
        if (tier > current) tiers[slot] = tier;
      }
    };
    for (let i = PatientSearchIndex.lowerBound(words, query); i < words.length && words[i]!.startsWith(query); i++) {
      offer(words[i]!, words[i] === query ? EXACT : PREFIX);
    }
    if (query.length >= 3) {
      // A word one edit away starts with query[0] or query[1], or has one of them second.
      const check = (word: string) => {
        if (word.length + 1 < query.length || word.startsWith(query)) return;
        if (prefixWithinOneEdit(query, word)) offer(word, TYPO);
      };
      const firsts = query[0] === query[1] ? [query[0]!] : [query[0]!, query[1]!];
      for (const c of firsts) {
        for (let i = PatientSearchIndex.lowerBound(words, c); i < words.length && words[i]![0] === c; i++) check(words[i]!);
      }
      const bySecond = this.bySecondCharacter();
      for (const c of firsts) for (const word of bySecond.get(c) ?? []) if (!firsts.includes(word[0]!)) check(word);
    }
    return { tiers, touched };
  }

  /** Distinct birth dates matching a fragment, found by lookup (exact), range (prefix) or suffix table. */
  private datesFor(date: DateQuery): string[] {
    if (date.exact !== undefined) return this.byDate.has(date.exact) ? [date.exact] : [];
    this.sortedDates ??= [...this.byDate.keys()].sort();
    const sorted = this.sortedDates;
    if (date.prefix !== undefined) {
      const out: string[] = [];
      for (let i = PatientSearchIndex.lowerBound(sorted, date.prefix); i < sorted.length && sorted[i]!.startsWith(date.prefix); i++) out.push(sorted[i]!);
      return out;
    }
    if (!this.datesBySuffix) {
      const map = new Map<string, string[]>();
      const push = (key: string, d: string) => {
        const list = map.get(key);
        if (list) list.push(d);
        else map.set(key, [d]);
      };
      for (const d of sorted) {
        push(d.slice(4), d); // -MM-JJ
        push(d.slice(7), d); // -JJ
      }
      this.datesBySuffix = map;
    }
    return this.datesBySuffix.get(date.suffix!) ?? sorted.filter(date.test);
  }

  private bestTier(query: string, entry: Entry): { tier: number; field: Field | null } {
    let best = 0;
    let bestField: Field | null = null;
    for (const term of entry.terms) {
      const tier = matchTier(query, term.word);
      if (tier > best || (tier === best && tier > 0 && term.field === 'birthName')) {
        best = tier;
        bestField = term.field;
      }
    }
    return { tier: best, field: bestField };
  }

  search(rawQuery: string, limit = 50): SearchHit[] {
    const tokens = rawQuery.trim().split(/\s+/).filter(Boolean);
    const nameWords: string[] = [];
    const dates: DateQuery[] = [];
    for (const token of tokens) {
      if (INS_LIKE.test(token.replace(/\s/g, ''))) {
        const id = this.byIns.get(token.slice(0, 15).toUpperCase()) ?? (token.length === 13 ? this.byIns13.get(token.toUpperCase()) : undefined);
        const patient = id === undefined ? null : this.get(id);
        return patient ? [{ patient, score: 100, matchedOn: 'INS' }] : [];
      }
      const date = /^\d/.test(token) ? parseDateToken(token) : null;
      if (date) dates.push(date);
      else nameWords.push(...foldName(token).split(' ').filter(Boolean));
    }
    if (nameWords.length === 0 && dates.length === 0) return [];

    this.names.ensure();
    this.givens.ensure();
    const top = new TopK(Number.isNaN(limit) ? 0 : Math.max(0, Math.floor(limit)));
    const dateScore = dates.length * 2;
    const nameRank = this.names.rank;
    const givenRank = this.givens.rank;
    let seq = 0;
    const offer = (slot: number, score: number) => {
      top.offer({ slot, score, lastSeen: this.lastSeen[slot]!, nameRank: nameRank[this.nameKey[slot]!]!, givenRank: givenRank[this.givenKey[slot]!]!, seq: seq++ });
    };
    const datesMatch = (slot: number) => {
      for (const d of dates) if (!d.test(this.birthDate[slot]!)) return false;
      return true;
    };

    // Words longest (most selective) first, as they are listed in "matched on".
    const ordered = [...nameWords].sort((a, b) => b.length - a.length);
    const byDay = dates.find((d) => d.exact !== undefined || d.prefix?.length === 7);
    if (ordered.length > 0 && byDay) {
      // A full date (or month and year) is more selective than any name: start from it.
      for (const day of this.datesFor(byDay)) {
        for (const slot of this.byDate.get(day)!) {
          if (!datesMatch(slot)) continue;
          const entry = this.bySlot[slot]!;
          let score = dateScore;
          for (const query of ordered) {
            const { tier } = this.bestTier(query, entry);
            if (tier === 0) {
              score = -1;
              break;
            }
            score += tier;
          }
          if (score >= 0) offer(slot, score);
        }
      }
    } else if (ordered.length > 0) {
      const [driver, ...others] = ordered.map((w) => this.tiersFor(w));
      const { tiers, touched } = driver!;
      for (const slot of touched) {
        if (dates.length && !datesMatch(slot)) continue;
        let score = dateScore + tiers[slot]!;
        for (const other of others) {
          const tier = other.tiers[slot]!;
          if (tier === 0) {
            score = -1;
            break;
          }
          score += tier;
        }
        if (score >= 0) offer(slot, score);
      }
    } else {
      for (const day of this.datesFor(dates[0]!)) {
        if (!dates.every((d) => d.test(day))) continue;
        for (const slot of this.byDate.get(day)!) offer(slot, dateScore);
      }
    }

    // What matched is spelled out for the hits returned only.
    return top.sorted().map(({ slot, score }) => {
      const entry = this.bySlot[slot]!;
      const matched = new Set<string>();
      for (const query of ordered) {
        const { tier, field } = this.bestTier(query, entry);
        if (field) matched.add(FIELD_LABEL[field] + (tier === TYPO ? ' (orthographe approchée)' : ''));
      }
      if (dates.length) matched.add('date de naissance');
      return { patient: entry.patient, score, matchedOn: [...matched].join(', ') };
    });
  }
}
