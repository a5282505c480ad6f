import { foldName } from '../../../shared/text/normalize';
import { checkIns, IDENTITY_STATUS_LABELS, isInsOid } from '../identity/ins';
import type { ProblemItem, ReceivedDocument } from '../mail/parse/types';
import type { Patient } from '../store/patients-repo';
import { extractIdentity, type DocumentIdentity, type IdentityContext } from './identity';
import { dateSimilarity, dateVariants, nameForm, nameSimilarity, PARTICLES, phoneticKey, type NameForm, type Similarity } from './phonetic';

/**
 * Which patient a received document belongs to — identity safety first (domain.md §4.1, issue #6).
 *
 * - auto: the METADATA.XML patientId is an INS (INS OID, valid key), the CDA carries the four
 *   traits, a local QUAL identity has that INS and the traits agree after normalisation;
 * - proposed: a person must confirm (INS of a non-qualified identity, incomplete INS, candidates
 *   ranked from traits);
 * - conflict: the INS and the traits point at different people (side-by-side differences);
 * - none: nobody looks like the document's patient ("create patient", pre-filled).
 * Never automatic on traits alone.
 */

export interface PatientLookup {
  byIns(matricule: string): Patient | null;
  byBirthDate(date: string): Patient[];
  search(text: string, limit: number): Patient[];
  /**
   * Optional fast path for large practices: patients having one of these phonetic name + first
   * name keys (see `nameKeys`). Without it, `search` is used.
   */
  byNameKeys?(keys: string[]): Patient[];
  /** Optional: several birth dates at once (the typo variants of one date). */
  byBirthDates?(dates: string[]): Patient[];
}

/** Phonetic blocking keys "name|first name" (birth and used names, without particles, parts of compound names). */
export function nameKeys(names: (string | null | undefined)[], givens: (string | null | undefined)[]): string[] {
  const nameVariants = new Set<string>();
  for (const n of names) {
    const f = nameForm(n);
    if (!f) continue;
    nameVariants.add(f.phon);
    if (f.core && f.core !== f.compact) nameVariants.add(phoneticKey(f.core));
    const words = f.tokens.filter((t) => t.length >= 3 && !PARTICLES.has(t));
    if (words.length > 1) for (const w of words) nameVariants.add(phoneticKey(w));
  }
  const givenVariants = new Set<string>();
  for (const g of givens) {
    const f = nameForm(g);
    if (!f) continue;
    givenVariants.add(f.phon);
    if (f.tokens.length > 1) givenVariants.add(phoneticKey(f.tokens[0]!));
  }
  const out: string[] = [];
  for (const n of nameVariants) if (n) for (const g of givenVariants) if (g) out.push(`${n}|${g}`);
  return out;
}

export type MatchRule = 'auto' | 'proposed' | 'conflict' | 'none';

export interface MatchCandidate {
  patientId: number;
  /** 0..1: agreement of the traits the document carries. */
  score: number;
  /** French trait names, with how they matched ("nom de naissance (phonétique)"). */
  matched: string[];
}

export interface MatchConflict {
  field: string;
  document: string;
  local: string;
}

export interface MatchDecision {
  rule: MatchRule;
  patientId: number | null;
  candidates: MatchCandidate[];
  reasons: string[];
  conflict?: MatchConflict[];
  /** ECO.2.4.2: matricule + INS OID + valid key + the four traits from the CDA. */
  insQualified: boolean;
  /** The document's INS when usable (INS OID, valid key); never shown unless the identity is QUAL. */
  ins: { matricule: string; oid: string } | null;
  /** What the document says about its patient (for "create patient" and the detail view). */
  identity: DocumentIdentity;
}

export interface MatchContext extends IdentityContext {
  /** Problems of the message (e.g. several patients in one archive): any blocks an automatic decision. */
  messageProblems?: ProblemItem[];
}

/** Document or message problems after which nothing is filed without a person looking. */
const BLOCKING_PROBLEMS: Readonly<Record<string, string>> = {
  INS_MISMATCH: "l'INS du document CDA diffère de celui des métadonnées",
  CDA_INS_ABSENT: "le document CDA ne porte pas l'INS des métadonnées",
  TRAITS_MISMATCH: 'traits différents entre le document CDA et les métadonnées',
  HASH_MISMATCH: 'empreinte du document différente de celle annoncée',
  SIZE_MISMATCH: 'taille du document différente de celle annoncée',
  UNIQUE_ID_MISMATCH: "identifiant du document différent de celui des métadonnées",
  MULTIPLE_PATIENTS: "l'archive concerne plusieurs patients",
  PATIENT_ID_INCONSISTENT: 'identifiant patient incohérent dans l’archive',
  CDA_INVALID: 'document CDA illisible',
};

export const TRAIT_LABELS = {
  birthName: 'nom de naissance',
  usedName: 'nom utilisé',
  givenName: 'prénom',
  birthDate: 'date de naissance',
  sex: 'sexe',
  birthplace: 'lieu de naissance',
  ins: 'INS',
} as const;

export function matchDocument(doc: ReceivedDocument, lookup: PatientLookup, ctx: MatchContext = {}): MatchDecision {
  const identity = extractIdentity(doc, ctx);
  const problems = [...doc.problems, ...(ctx.messageProblems ?? [])];
  return matchIdentity(identity, lookup, { problems, plainPdf: doc.source === 'pdf' });
}

// ------------------------------------------------------------------------------------------

type InsState =
  | { kind: 'absent' }
  | { kind: 'not-ins'; reason: string }
  | { kind: 'invalid'; matricule: string; oid: string; reason: string }
  | { kind: 'valid'; matricule: string; oid: string };

function assessIns(identity: DocumentIdentity, plainPdf: boolean): InsState {
  if (plainPdf) return { kind: 'absent' };
  const pid = identity.patientId;
  if (!pid) return { kind: 'absent' };
  if (!pid.oid || !isInsOid(pid.oid)) {
    return {
      kind: 'not-ins',
      reason: `Identifiant patient des métadonnées non reconnu comme INS (autorité ${pid.oid ?? 'absente'}) : rattachement par les traits.`,
    };
  }
  const matricule = pid.id.toUpperCase();
  const check = checkIns(matricule);
  if (!check.ok) return { kind: 'invalid', matricule, oid: pid.oid, reason: `INS du document inutilisable : ${lowerFirst(check.reason)}` };
  return { kind: 'valid', matricule, oid: pid.oid };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function missingTraits(id: DocumentIdentity): string[] {
  const out: string[] = [];
  if (!id.birthName) out.push('nom de naissance');
  if (!id.givenNames[0]) out.push('premier prénom de naissance');
  if (!id.birthDate) out.push('date de naissance');
  if (id.sex !== 'F' && id.sex !== 'M') out.push('sexe');
  return out;
}

const compact = (v: string | null | undefined) => (v ? foldName(v).replace(/ /g, '') : '');
const frDate = (iso: string | null | undefined) => (iso && /^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : (iso ?? '—'));
const frSex = (s: string | null | undefined) => (s === 'F' ? 'Féminin' : s === 'M' ? 'Masculin' : s ? 'Indéterminé' : '—');

/** The document's first birth first name equals the local one (a compound written with a space counts). */
function sameFirstGiven(docGivens: string[], localGivens: string[]): boolean {
  const local = compact(localGivens[0]);
  if (!local) return false;
  if (compact(docGivens[0]) === local) return true;
  return docGivens.length > 1 && compact(`${docGivens[0]}${docGivens[1]}`) === local;
}

/** Strict traits that differ between the document and a local identity (present on both sides). */
export function compareTraits(id: DocumentIdentity, p: Patient): MatchConflict[] {
  const out: MatchConflict[] = [];
  if (id.birthName && compact(id.birthName) !== compact(p.birthName)) {
    out.push({ field: 'Nom de naissance', document: id.birthName, local: p.birthName });
  }
  if (id.givenNames[0] && !sameFirstGiven(id.givenNames, p.birthGivenNames)) {
    out.push({ field: 'Premier prénom de naissance', document: id.givenNames[0], local: p.birthGivenNames[0] ?? '—' });
  }
  if (id.birthDate && id.birthDate !== p.birthDate) out.push({ field: 'Date de naissance', document: frDate(id.birthDate), local: frDate(p.birthDate) });
  if (id.sex && id.sex !== p.sex) out.push({ field: 'Sexe', document: frSex(id.sex), local: frSex(p.sex) });
  if (id.birthplaceCode && p.birthplaceCode && id.birthplaceCode.trim().toUpperCase() !== p.birthplaceCode.trim().toUpperCase()) {
    out.push({ field: 'Lieu de naissance (code COG)', document: id.birthplaceCode, local: p.birthplaceCode });
  }
  return out;
}

export function patientLabel(p: Pick<Patient, 'birthName' | 'usedName' | 'birthGivenNames' | 'usedGivenName' | 'birthDate' | 'sex'>): string {
  const given = p.usedGivenName || p.birthGivenNames[0] || '';
  const name = p.usedName && compact(p.usedName) !== compact(p.birthName) ? `${p.usedName} (${p.sex === 'F' ? 'née' : 'né'} ${p.birthName})` : p.birthName;
  return `${name} ${given}`.trim();
}

export function matchIdentity(
  identity: DocumentIdentity,
  lookup: PatientLookup,
  opts: { problems?: ProblemItem[]; plainPdf?: boolean } = {},
): MatchDecision {
  const reasons: string[] = [];
  const ins = assessIns(identity, opts.plainPdf ?? false);
  const missing = missingTraits(identity);
  const blocking = (opts.problems ?? []).filter((p) => BLOCKING_PROBLEMS[p.code]).map((p) => BLOCKING_PROBLEMS[p.code]!);
  const base = { identity, ins: ins.kind === 'valid' ? { matricule: ins.matricule, oid: ins.oid } : null };

  if (opts.plainPdf) reasons.push('Document PDF sans métadonnées XDM : patient déduit de l’objet, du nom de fichier et du texte, à confirmer.');
  else if (ins.kind === 'absent') reasons.push('Aucun INS dans les métadonnées du document : rattachement par les traits, à confirmer.');
  else if (ins.kind !== 'valid') reasons.push(ins.reason);

  if (ins.kind === 'valid') {
    const cdaInsMismatch = identity.cdaIns && (identity.cdaIns.matricule.toUpperCase() !== ins.matricule || identity.cdaIns.oid !== ins.oid);
    const insQualified = missing.length === 0 && identity.traitsSource === 'cda' && !cdaInsMismatch && !!identity.cdaIns;
    const local = lookup.byIns(ins.matricule);
    if (local) {
      const conflict = compareTraits(identity, local);
      if (cdaInsMismatch) conflict.unshift({ field: 'INS (document CDA)', document: identity.cdaIns!.matricule, local: ins.matricule });
      if (conflict.length) {
        reasons.push(`Conflit d’identité : l’INS du document est celui de ${patientLabel(local)}, mais des traits diffèrent (${conflict.map((c) => c.field.toLowerCase()).join(', ')}).`);
        return { ...base, rule: 'conflict', patientId: local.id, candidates: [scoreCandidate(identity, local, true)], reasons, conflict, insQualified };
      }
      const candidate = scoreCandidate(identity, local, true);
      if (local.identityStatus !== 'QUAL') {
        reasons.push(
          `L’INS du document correspond à ${patientLabel(local)}, dont l’identité n’est pas qualifiée (${IDENTITY_STATUS_LABELS[local.identityStatus].toLowerCase()}) : confirmez le rattachement, puis qualifiez l’identité (téléservice INSi et pièce d’identité).`,
        );
        return { ...base, rule: 'proposed', patientId: local.id, candidates: [candidate], reasons, insQualified };
      }
      if (local.insOid && local.insOid !== ins.oid) {
        reasons.push(`Autorité de l’INS différente (document ${ins.oid}, dossier ${local.insOid}) : à confirmer.`);
        return { ...base, rule: 'proposed', patientId: local.id, candidates: [candidate], reasons, insQualified };
      }
      if (!insQualified) {
        if (missing.length) reasons.push(`INS incomplet : ${missing.join(', ')} absent${missing.length > 1 ? 's' : ''} du document.`);
        else if (identity.traitsSource !== 'cda') reasons.push('Traits du patient absents de l’en-tête CDA : INS non qualifié dans le document.');
        else if (!identity.cdaIns) reasons.push("Le document CDA ne porte pas l'INS des métadonnées : INS non qualifié dans le document.");
        reasons.push(`Rattachement proposé à ${patientLabel(local)} (même INS, traits concordants) : à confirmer.`);
        return { ...base, rule: 'proposed', patientId: local.id, candidates: [candidate], reasons, insQualified };
      }
      if (blocking.length) {
        reasons.push(`Intégration automatique impossible : ${blocking.join(' ; ')}. Rattachement à confirmer.`);
        return { ...base, rule: 'proposed', patientId: local.id, candidates: [candidate], reasons, insQualified };
      }
      reasons.push(`INS qualifiée identique à celle de l’identité qualifiée de ${patientLabel(local)} ; traits concordants.`);
      return { ...base, rule: 'auto', patientId: local.id, candidates: [candidate], reasons, insQualified };
    }

    // Nobody has this INS: does a qualified identity with another INS carry the same traits?
    const { candidates, pool } = rank(identity, lookup);
    if (missing.length === 0) {
      for (const c of candidates) {
        const p = pool.get(c.patientId);
        if (p && p.identityStatus === 'QUAL' && p.insMatricule && p.insMatricule !== ins.matricule && compareTraits(identity, p).length === 0) {
          reasons.push(`Conflit d’identité : INS du document inconnu du cabinet, alors que ses traits sont ceux de l’identité qualifiée de ${patientLabel(p)}, qui porte un autre INS.`);
          return {
            ...base,
            rule: 'conflict',
            patientId: p.id,
            candidates,
            reasons,
            conflict: [{ field: 'INS', document: ins.matricule, local: p.insMatricule }],
            insQualified,
          };
        }
      }
    }
    reasons.push('INS du document inconnu du cabinet : rattachement par les traits, à confirmer (et qualification de l’identité à proposer).');
    if (blocking.length) reasons.push(`Attention : ${blocking.join(' ; ')}.`);
    return traitsOnly({ ...base, insQualified }, candidates, reasons);
  }

  if (blocking.length) reasons.push(`Attention : ${blocking.join(' ; ')}.`);
  return traitsOnly({ ...base, insQualified: false }, rank(identity, lookup).candidates, reasons);
}

function traitsOnly(
  base: Pick<MatchDecision, 'identity' | 'ins' | 'insQualified'>,
  candidates: MatchCandidate[],
  reasons: string[],
): MatchDecision {
  if (!candidates.length) {
    reasons.push('Aucun patient du cabinet ne correspond : créer le patient à partir du document.');
    return { ...base, rule: 'none', patientId: null, candidates, reasons };
  }
  reasons.push(`${candidates.length} patient${candidates.length > 1 ? 's' : ''} possible${candidates.length > 1 ? 's' : ''} d’après les traits : jamais de rattachement automatique sans INS qualifiée.`);
  if (base.identity.birthDate && !candidates[0]!.matched.some((m) => m.startsWith(TRAIT_LABELS.birthDate))) {
    reasons.push('Aucun de ces patients n’a la date de naissance du document : homonymes possibles, vérifiez avant de rattacher (ou créez le patient).');
  }
  return { ...base, rule: 'proposed', patientId: null, candidates, reasons };
}

// ------------------------------------------------------------------------------------------
// Ranking from traits

const W_NAME = 0.35;
const W_GIVEN = 0.25;
const W_DATE = 0.3;
const W_SEX = 0.1;
const MIN_SCORE = 0.55;
const MAX_CANDIDATES = 5;

interface Prepared {
  names: { form: NameForm; used: boolean }[];
  givens: NameForm[];
  usedGiven: NameForm | null;
  birthDate?: string;
  sex?: 'F' | 'M';
}

const preparedCache = new WeakMap<DocumentIdentity, Prepared>();

function prepare(id: DocumentIdentity): Prepared {
  let p = preparedCache.get(id);
  if (p) return p;
  const names: Prepared['names'] = [];
  const b = nameForm(id.birthName);
  if (b) names.push({ form: b, used: false });
  const u = nameForm(id.usedName);
  if (u && (!b || u.compact !== b.compact)) names.push({ form: u, used: true });
  p = {
    names,
    givens: id.givenNames.map((g) => nameForm(g)).filter((f): f is NameForm => f !== null),
    usedGiven: nameForm(id.usedGivenName),
    ...(id.birthDate ? { birthDate: id.birthDate } : {}),
    ...(id.sex === 'F' || id.sex === 'M' ? { sex: id.sex } : {}),
  };
  preparedCache.set(id, p);
  return p;
}

const localForms = new WeakMap<Patient, { birth: NameForm | null; used: NameForm | null; givens: NameForm[]; usedGiven: NameForm | null }>();

function formsOf(p: Patient) {
  let f = localForms.get(p);
  if (!f) {
    f = {
      birth: nameForm(p.birthName),
      used: nameForm(p.usedName),
      givens: p.birthGivenNames.map((g) => nameForm(g)).filter((x): x is NameForm => x !== null),
      usedGiven: nameForm(p.usedGivenName),
    };
    localForms.set(p, f);
  }
  return f;
}

const withHow = (label: string, s: Similarity) => (s.how ? `${label} (${s.how})` : label);

/** Score of one local identity against the document's traits, with the French names of what matched. */
export function scoreCandidate(identity: DocumentIdentity, p: Patient, viaIns = false): MatchCandidate {
  const d = prepare(identity);
  const l = formsOf(p);
  const matched: string[] = [];
  if (viaIns) matched.push(TRAIT_LABELS.ins);
  let total = 0;
  let weight = 0;

  if (d.names.length) {
    weight += W_NAME;
    let best: { s: Similarity; label: string } = { s: { score: 0, how: '' }, label: '' };
    for (const n of d.names) {
      for (const [form, localUsed] of [[l.birth, false], [l.used, true]] as const) {
        const s = nameSimilarity(n.form, form);
        // A used name matching the other side's used name is as good as a birth name, a cross match a bit less.
        const factor = n.used === localUsed ? 1 : 0.95;
        if (s.score * factor > best.s.score) best = { s: { score: s.score * factor, how: s.how }, label: localUsed ? TRAIT_LABELS.usedName : TRAIT_LABELS.birthName };
      }
    }
    if (best.s.score > 0) {
      total += W_NAME * best.s.score;
      matched.push(withHow(best.label, best.s));
    }
  }

  if (d.givens.length) {
    weight += W_GIVEN;
    let best: Similarity = { score: 0, how: '' };
    const consider = (s: Similarity, factor: number, how?: string) => {
      if (s.score * factor > best.score) best = { score: s.score * factor, how: how ?? s.how };
    };
    const docFirst = d.givens[0]!;
    const givenSimilarity = (a: NameForm, b: NameForm): Similarity => {
      const s = nameSimilarity(a, b);
      return s.how === 'nom composé' ? { score: s.score, how: 'prénom composé' } : s;
    };
    l.givens.forEach((g, i) => consider(givenSimilarity(docFirst, g), i === 0 ? 1 : 0.85, i === 0 ? undefined : 'ordre différent'));
    d.givens.slice(1).forEach((g) => l.givens[0] && consider(givenSimilarity(g, l.givens[0]), 0.85, 'ordre différent'));
    if (l.usedGiven) consider(givenSimilarity(docFirst, l.usedGiven), 0.95, 'prénom utilisé');
    // "Jean" for "Jean-Pierre": first word of a compound first name.
    const lf = l.givens[0];
    if (lf && lf.tokens.length > 1 && lf.tokens[0] === docFirst.compact) consider({ score: 0.75, how: 'prénom composé' }, 1);
    if (lf && docFirst.tokens.length > 1 && docFirst.tokens[0] === lf.compact) consider({ score: 0.75, how: 'prénom composé' }, 1);
    if (best.score > 0) {
      total += W_GIVEN * best.score;
      matched.push(withHow(TRAIT_LABELS.givenName, best));
    }
  }

  if (d.birthDate) {
    weight += W_DATE;
    const s = dateSimilarity(d.birthDate, p.birthDate);
    if (s.score > 0) {
      total += W_DATE * s.score;
      matched.push(withHow(TRAIT_LABELS.birthDate, s));
    }
  }

  if (d.sex) {
    weight += W_SEX;
    if (d.sex === p.sex) {
      total += W_SEX;
      matched.push(TRAIT_LABELS.sex);
    }
  }

  // Agreement on the traits the document carries, discounted when it carries few of them.
  const score = weight > 0 ? (total / weight) * (0.7 + 0.3 * weight) : 0;
  return { patientId: p.id, score: Math.round(score * 1000) / 1000, matched };
}

function coreTraitsMatched(c: MatchCandidate): number {
  let n = 0;
  if (c.matched.some((m) => m.startsWith(TRAIT_LABELS.birthName) || m.startsWith(TRAIT_LABELS.usedName))) n++;
  if (c.matched.some((m) => m.startsWith(TRAIT_LABELS.givenName))) n++;
  if (c.matched.some((m) => m.startsWith(TRAIT_LABELS.birthDate))) n++;
  return n;
}

/** Patients that look like the document's patient, best first (at most 5). */
export function rankCandidates(identity: DocumentIdentity, lookup: PatientLookup): MatchCandidate[] {
  return rank(identity, lookup).candidates;
}

function rank(identity: DocumentIdentity, lookup: PatientLookup): { candidates: MatchCandidate[]; pool: Map<number, Patient> } {
  const d = prepare(identity);
  const pool = new Map<number, Patient>();
  const scored = new Map<number, MatchCandidate>();
  const needed = d.names.length && d.givens.length && d.birthDate ? 2 : 1;
  let best = 0;
  const add = (ps: Patient[]) => {
    for (const p of ps) {
      if (pool.has(p.id)) continue;
      pool.set(p.id, p);
      const c = scoreCandidate(identity, p);
      if (c.score >= MIN_SCORE && coreTraitsMatched(c) >= needed) {
        scored.set(p.id, c);
        if (c.score > best) best = c.score;
      }
    }
  };
  const names = [identity.birthName, identity.usedName].filter((n): n is string => !!n && /\p{L}/u.test(n));
  const givens = identity.givenNames.slice(0, 2).filter((g) => /\p{L}/u.test(g));
  const q = (s: string) => s.replace(/[^\p{L}\p{N}'’\- ]/gu, ' ').trim();
  const byNames = () => {
    if (lookup.byNameKeys) {
      if (givens.length) add(lookup.byNameKeys(nameKeys(names, [...givens, identity.usedGivenName])));
      else for (const n of names) add(lookup.search(q(n), 30));
      return;
    }
    for (const n of names) {
      for (const g of givens) add(lookup.search(q(`${n} ${g}`), 20));
      if (!givens.length) add(lookup.search(q(n), 30));
    }
  };

  // Cheapest and most discriminating first: the birth date, then its usual typos (day/month
  // inverted, one digit, two digits swapped), then names whatever the date.
  if (identity.birthDate) {
    add(lookup.byBirthDate(identity.birthDate));
    if (best < 0.9) {
      const variants = dateVariants(identity.birthDate);
      if (lookup.byBirthDates) add(lookup.byBirthDates(variants));
      else for (const v of variants) add(lookup.byBirthDate(v));
    }
    if (best < 0.85) byNames();
  } else {
    byNames();
  }
  const out = [...scored.values()];
  out.sort((a, b) => b.score - a.score || statusRank(pool.get(b.patientId)) - statusRank(pool.get(a.patientId)) || a.patientId - b.patientId);
  return { candidates: out.slice(0, MAX_CANDIDATES), pool };
}

function statusRank(p: Patient | undefined): number {
  return p ? ({ QUAL: 3, VALI: 2, RECUP: 1, PROV: 0 } as const)[p.identityStatus] : 0;
}
