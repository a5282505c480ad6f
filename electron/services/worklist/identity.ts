import type { ReceivedDocument } from '../mail/parse/types';
import { isValidIsoDate } from './phonetic';

/**
 * What a received document says about its patient. For an XDM document: the METADATA.XML
 * `patientId` (the only INS used, ECO.2.1.2) and the CDA header traits (or, without CDA, the
 * `sourcePatientInfo`). For a plain PDF: the subject (`NOM prénom date`), the file name and the
 * text, read for candidates only — never for an automatic decision.
 */
export interface DocumentIdentity {
  /** Where the traits come from. */
  traitsSource: 'cda' | 'xds' | 'text' | 'none';
  /** METADATA.XML patientId as written, split (INS or not). */
  patientId?: { raw: string; id: string; oid?: string };
  /** INS carried by the CDA `recordTarget` (checked against the metadata). */
  cdaIns?: { matricule: string; oid: string };
  /** The document is a CDA (its header was read). */
  hasCda: boolean;
  birthName?: string;
  usedName?: string;
  givenNames: string[];
  usedGivenName?: string;
  /** YYYY-MM-DD. */
  birthDate?: string;
  sex?: 'F' | 'M' | 'U';
  birthplaceCode?: string;
}

export interface IdentityContext {
  /** Message subject, without the `XDM/1.0/DDM+` prefix. */
  subject?: string;
  /** Message body (text part). */
  text?: string;
  /** Text extracted from the PDF itself. */
  pdfText?: string;
}

export function extractIdentity(doc: ReceivedDocument, ctx: IdentityContext = {}): DocumentIdentity {
  if (doc.source === 'xdm') {
    const out: DocumentIdentity = { traitsSource: 'none', hasCda: !!doc.cda, givenNames: [] };
    const pid = doc.entry.patientId;
    if (pid) out.patientId = pid.oid ? { raw: pid.raw, id: pid.id, oid: pid.oid } : { raw: pid.raw, id: pid.id };
    const cda = doc.cda?.patient;
    if (cda?.ins) out.cdaIns = { matricule: cda.ins.matricule, oid: cda.ins.oid };
    const info = doc.entry.sourcePatientInfo;
    if (cda && (cda.birthName || cda.birthGivenNames.length || cda.birthDate)) {
      out.traitsSource = 'cda';
      assignTraits(out, cda);
    } else if (info.birthName || info.birthDate) {
      out.traitsSource = 'xds';
      assignTraits(out, info);
    }
    // Used names help ranking candidates whatever the source of the birth traits.
    if (!out.usedName && (cda?.usedName || info.usedName)) out.usedName = (cda?.usedName ?? info.usedName)!;
    if (!out.usedGivenName && (cda?.usedGivenName || info.usedGivenName)) out.usedGivenName = (cda?.usedGivenName ?? info.usedGivenName)!;
    return out;
  }
  return identityFromText({ subject: ctx.subject, filename: doc.filename, text: ctx.pdfText, body: ctx.text });
}

function assignTraits(
  out: DocumentIdentity,
  t: { birthName?: string; usedName?: string; birthGivenNames: string[]; usedGivenName?: string; birthDate?: string; sex?: 'F' | 'M' | 'U'; birthplaceCode?: string },
): void {
  if (t.birthName) out.birthName = t.birthName;
  if (t.usedName) out.usedName = t.usedName;
  out.givenNames = t.birthGivenNames.filter(Boolean);
  if (t.usedGivenName) out.usedGivenName = t.usedGivenName;
  if (t.birthDate) out.birthDate = t.birthDate;
  if (t.sex) out.sex = t.sex;
  if (t.birthplaceCode) out.birthplaceCode = t.birthplaceCode;
}

// ------------------------------------------------------------------------------------------
// Plain PDFs: subject, file name, text.

const MONTHS: Record<string, number> = {
  janvier: 1, fevrier: 2, février: 2, mars: 3, avril: 4, mai: 5, juin: 6, juillet: 7, aout: 8, août: 8,
  septembre: 9, octobre: 10, novembre: 11, decembre: 12, décembre: 12,
};

const pad = (n: number) => String(n).padStart(2, '0');

function iso(y: number, m: number, d: number): string | undefined {
  if (y < 1880 || y > 2100) return undefined;
  const v = `${y}-${pad(m)}-${pad(d)}`;
  return isValidIsoDate(v) ? v : undefined;
}

const DATE_NUMERIC = /(?<![\d])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?![\d])/;
const DATE_ISO = /(?<![\d])(\d{4})-(\d{2})-(\d{2})(?![\d])/;
const DATE_WORDS = /(?<![\d])(\d{1,2})(?:er)?\s+(janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)\s+(\d{4})/i;

/** First date found: dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd, « 14 juillet 1977 ». */
export function findDate(text: string): { date: string; index: number; length: number } | undefined {
  const found: { date: string; index: number; length: number }[] = [];
  let m = DATE_NUMERIC.exec(text);
  if (m) {
    const d = iso(Number(m[3]), Number(m[2]), Number(m[1]));
    if (d) found.push({ date: d, index: m.index, length: m[0].length });
  }
  m = DATE_ISO.exec(text);
  if (m) {
    const d = iso(Number(m[1]), Number(m[2]), Number(m[3]));
    if (d) found.push({ date: d, index: m.index, length: m[0].length });
  }
  m = DATE_WORDS.exec(text);
  if (m) {
    const d = iso(Number(m[3]), MONTHS[m[2]!.toLowerCase()] ?? 0, Number(m[1]));
    if (d) found.push({ date: d, index: m.index, length: m[0].length });
  }
  return found.sort((a, b) => a.index - b.index)[0];
}

/** 8 digits in a file name: DDMMYYYY, else YYYYMMDD. */
function compactDate(digits: string): string | undefined {
  return iso(Number(digits.slice(4)), Number(digits.slice(2, 4)), Number(digits.slice(0, 2))) ?? iso(Number(digits.slice(0, 4)), Number(digits.slice(4, 6)), Number(digits.slice(6)));
}

/** Upper-case words of subjects that are not names (document labels, abbreviations). */
const NOT_NAMES = new Set([
  'CR', 'CRO', 'CRH', 'IRM', 'TDM', 'ECG', 'EEG', 'EMG', 'PDF', 'RDV', 'XDM', 'DDM', 'NFS', 'TSH', 'HBA1C', 'BIO', 'LABO', 'RX',
  'SCANNER', 'ECHO', 'DR', 'PR', 'MME', 'MLLE', 'MR', 'M', 'MONSIEUR', 'MADAME', 'NE', 'NEE', 'NÉ', 'NÉE', 'LE', 'DU', 'AU',
  'ET', 'URGENT', 'RE', 'TR', 'FW', 'FWD', 'COMPTE', 'RENDU', 'RESULTATS', 'RÉSULTATS', 'BILAN', 'ORDONNANCE', 'COURRIER',
  'LETTRE', 'SYNTHESE', 'SYNTHÈSE', 'CONSULTATION', 'IMAGERIE', 'BIOLOGIE', 'VSM', 'DMP', 'INS', 'MSSANTE', 'CHU', 'CH',
  'PATIENT', 'PATIENTE', 'DOSSIER', 'DE', 'LA', 'DES', 'D', 'L', 'EXAMEN', 'ANALYSES', 'RADIO', 'CERTIFICAT',
]);
const PARTICLE_WORDS = new Set(['DE', 'DU', 'DES', 'LE', 'LA', "D'", "L'", 'VAN', 'VON', 'DA', 'DI', 'DOS', 'DEL']);

const WORD = /[\p{L}][\p{L}'’\-]*/gu;
const isUpperWord = (w: string) => w === w.toUpperCase() && w !== w.toLowerCase() && w.replace(/[^\p{L}]/gu, '').length >= 2;
const isCapitalised = (w: string) => /^\p{Lu}\p{Ll}/u.test(w);

/** Words between a name and a birth date that are not first names ("née le"). */
const CONNECTORS = new Set(['né', 'née', 'ne', 'nee', 'le', 'la', 'du', 'de', 'des', 'à', 'a', 'et', 'en', 'pour']);

const CIVILITY_F = /^(mme|madame|mlle|mademoiselle)$/i;
const CIVILITY_M = /^(m|mr|monsieur)$/i;

/** "Compte rendu DUPONT Jean-Pierre 12/03/1950" → name, first names, date. */
export function parseSubjectIdentity(subject: string): Pick<DocumentIdentity, 'birthName' | 'givenNames' | 'birthDate' | 'sex'> {
  const out: Pick<DocumentIdentity, 'birthName' | 'givenNames' | 'birthDate' | 'sex'> = { givenNames: [] };
  const date = findDate(subject);
  if (date) out.birthDate = date.date;
  const before = date ? subject.slice(0, date.index) : subject;
  const words = [...before.matchAll(WORD)].map((m) => m[0]);
  for (const w of words) {
    if (CIVILITY_F.test(w)) out.sex = 'F';
    else if (CIVILITY_M.test(w.replace(/\.$/, ''))) out.sex = 'M';
    if (/^n[ée]e$/i.test(w)) out.sex = 'F';
  }
  // The last run of upper-case words is the name; capitalised words after it are first names.
  let end = -1;
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i]!;
    if (isUpperWord(w) && !NOT_NAMES.has(w.toUpperCase())) {
      end = i;
      break;
    }
  }
  if (end >= 0) {
    let start = end;
    while (start > 0) {
      const prev = words[start - 1]!;
      if ((isUpperWord(prev) && !NOT_NAMES.has(prev.toUpperCase())) || PARTICLE_WORDS.has(prev.toUpperCase())) start--;
      else break;
    }
    const nameWords = words.slice(start, end + 1);
    // Between the name and the birth date: the first names, whatever their case.
    const givens = (date ? words.slice(end + 1) : words.slice(end + 1).filter(isCapitalised)).filter((w) => !CONNECTORS.has(w.toLowerCase()));
    if (!givens.length && nameWords.length >= 2) givens.push(nameWords.pop()!); // "DUPONT JEAN"
    out.birthName = nameWords.join(' ');
    out.givenNames = givens;
  } else if (date && words.length >= 2) {
    // All lower case ("cr dupont jean 12/03/1950"): the two words before the date.
    out.birthName = words[words.length - 2]!;
    out.givenNames = [words[words.length - 1]!];
  }
  return out;
}

function parseFilenameIdentity(filename: string): Pick<DocumentIdentity, 'birthName' | 'givenNames' | 'birthDate' | 'sex'> {
  const base = filename.replace(/\.[a-z0-9]{2,4}$/i, '');
  const spaced = base.replace(/[_+]+/g, ' ');
  const out = parseSubjectIdentity(spaced);
  if (!out.birthDate) {
    const m = /(?<!\d)(\d{8})(?!\d)/.exec(base);
    const d = m ? compactDate(m[1]!) : undefined;
    if (d) out.birthDate = d;
  }
  return out;
}

const LABEL_END = String.raw`(?=\s{2,}|\n|\r|\[|$)`;
const labelled = (label: string) => new RegExp(String.raw`${label}\s*:?[ \t]*([^\n\r\[]+?)` + LABEL_END, 'i');
const RE_BIRTH_NAME = labelled(String.raw`nom de naissance`);
const RE_USED_NAME = labelled(String.raw`nom (?:d['’]usage|utilis[ée]|marital|d['’][ée]pouse)`);
const RE_GIVEN = labelled(String.raw`pr[ée]noms?(?:\(s\))?(?: de naissance)?`);
const RE_BIRTH_DATE = /(?:date de naissance|n[ée]e?\s+le)\s*:?\s*([^\n\r]{6,40})/i;
const RE_SEX = /\bsexe\s*:?\s*(f[ée]minin|masculin|f|m)\b/i;
const RE_CIVILITY = /\b(Mme|Madame|Mlle|Mademoiselle|M\.|Mr\.?|Monsieur)\s+((?:(?:de|du|des|le|la|d['’]|van|von)\s*)?\p{Lu}[\p{Lu}'’\-]+(?:\s+\p{Lu}[\p{Lu}'’\-]+)*)\s+(\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)/u;
const RE_PATIENT = /\b[Pp]atiente?\s*:\s*((?:\p{Lu}[\p{Lu}'’\-]+\s+)+)(\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)/u;

/** Labelled traits in a letter or report ("Nom de naissance : …", "Mme DUPONT Jeanne", "née le …"). */
export function parseTextIdentity(text: string): Pick<DocumentIdentity, 'birthName' | 'usedName' | 'givenNames' | 'birthDate' | 'sex'> {
  const head = text.slice(0, 6000);
  const out: Pick<DocumentIdentity, 'birthName' | 'usedName' | 'givenNames' | 'birthDate' | 'sex'> = { givenNames: [] };
  const clean = (v: string | undefined) => v?.replace(/\s+/g, ' ').trim() || undefined;
  const birth = clean(RE_BIRTH_NAME.exec(head)?.[1]);
  if (birth) out.birthName = birth;
  const used = clean(RE_USED_NAME.exec(head)?.[1]);
  if (used) out.usedName = used;
  const given = clean(RE_GIVEN.exec(head)?.[1]);
  if (given) out.givenNames = given.split(/[\s,]+/).filter((g) => /\p{L}/u.test(g));
  const bd = RE_BIRTH_DATE.exec(head);
  const date = bd ? findDate(bd[1]!) : undefined;
  if (date) out.birthDate = date.date;
  const sex = RE_SEX.exec(head)?.[1]?.toLowerCase();
  if (sex) out.sex = sex.startsWith('f') ? 'F' : 'M';
  if (!out.birthName) {
    const c = RE_CIVILITY.exec(head);
    if (c) {
      out.birthName = c[2]!.trim();
      if (!out.givenNames.length) out.givenNames = [c[3]!];
      out.sex ??= /^(mme|madame|mlle|mademoiselle)$/i.test(c[1]!) ? 'F' : 'M';
    } else {
      const p = RE_PATIENT.exec(head);
      if (p) {
        out.birthName = p[1]!.trim();
        if (!out.givenNames.length) out.givenNames = [p[2]!];
      }
    }
  }
  const born = /\bn([ée]e?)\s+le\b/i.exec(head);
  if (!out.sex && born) out.sex = born[1]!.length === 2 ? 'F' : 'M';
  return out;
}

/** Plain PDF: the text's labelled traits first, then the subject, then the file name, then the body. */
export function identityFromText(sources: { subject?: string | undefined; filename?: string | undefined; text?: string | undefined; body?: string | undefined }): DocumentIdentity {
  const out: DocumentIdentity = { traitsSource: 'none', hasCda: false, givenNames: [] };
  const parts: (Pick<DocumentIdentity, 'birthName' | 'usedName' | 'givenNames' | 'birthDate' | 'sex'> | null)[] = [
    sources.text ? parseTextIdentity(sources.text) : null,
    sources.subject ? parseSubjectIdentity(sources.subject) : null,
    sources.filename ? parseFilenameIdentity(sources.filename) : null,
    sources.body ? parseTextIdentity(sources.body) : null,
  ];
  for (const p of parts) {
    if (!p) continue;
    if (!out.birthName && p.birthName) out.birthName = p.birthName;
    if (!out.givenNames.length && p.givenNames.length) out.givenNames = p.givenNames;
    if (!out.birthDate && p.birthDate) out.birthDate = p.birthDate;
    if (!out.sex && p.sex) out.sex = p.sex;
    if (!out.usedName && p.usedName) out.usedName = p.usedName;
  }
  if (out.birthName || out.birthDate) out.traitsSource = 'text';
  return out;
}
