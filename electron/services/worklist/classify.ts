import { CLASS_LABELS, classCodeFor, labelForLoinc } from '../cda/loinc-types';
import type { ReceivedDocument } from '../mail/parse/types';

/**
 * Type of a received document: from the CDA `code` / XDS typeCode / classCode when the document is
 * structured, else from keywords of the subject, file name and text, with a confidence.
 */

export type ClassificationSource = 'cda' | 'xds' | 'en-tête' | 'objet' | 'nom de fichier' | 'texte' | 'aucune';

export interface DocumentClassification {
  typeCode: string | null;
  typeLabel: string | null;
  classCode: string | null;
  classLabel: string | null;
  /** 0..1. 1 = coded by the sender. */
  confidence: number;
  source: ClassificationSource;
}

export interface ClassifyContext {
  /** Subject without the `XDM/1.0/DDM+` prefix. */
  subject?: string;
  /** `X-MSS-CODECDA` values of the message. */
  codeCda?: string[];
  /** Text extracted from a PDF. */
  text?: string;
}

const UNKNOWN: DocumentClassification = { typeCode: null, typeLabel: null, classCode: null, classLabel: null, confidence: 0, source: 'aucune' };

function classOf(typeCode: string, given?: string): { classCode: string | null; classLabel: string | null } {
  if (given) return { classCode: given, classLabel: CLASS_LABELS[given] ?? null };
  try {
    const c = classCodeFor(typeCode);
    return { classCode: c.code, classLabel: c.label };
  } catch {
    return { classCode: null, classLabel: null };
  }
}

export function classifyDocument(doc: ReceivedDocument, ctx: ClassifyContext = {}): DocumentClassification {
  if (doc.source === 'xdm') {
    const cdaCode = doc.cda?.code;
    const xdsType = doc.entry.typeCode;
    const code = cdaCode?.code ?? xdsType?.code;
    if (code) {
      const label = labelForLoinc(code) ?? cdaCode?.displayName ?? xdsType?.displayName ?? doc.entry.title ?? null;
      const agree = !cdaCode || !xdsType || cdaCode.code === xdsType.code;
      return {
        typeCode: code,
        typeLabel: label,
        ...classOf(code, doc.entry.classCode?.code),
        confidence: agree ? 1 : 0.9,
        source: cdaCode ? 'cda' : 'xds',
      };
    }
    if (doc.entry.classCode?.code) {
      const c = doc.entry.classCode.code;
      return { ...UNKNOWN, classCode: c, classLabel: CLASS_LABELS[c] ?? doc.entry.classCode.displayName ?? null, typeLabel: CLASS_LABELS[c] ?? null, confidence: 0.7, source: 'xds' };
    }
    return classifyText({ subject: ctx.subject, title: doc.entry.title ?? doc.cda?.title });
  }
  // A plain PDF: the header codes apply when the message announces a single type.
  const header = (ctx.codeCda ?? []).filter(Boolean);
  if (header.length === 1) {
    const code = header[0]!.trim();
    const label = labelForLoinc(code);
    if (label) return { typeCode: code, typeLabel: label, ...classOf(code), confidence: 0.8, source: 'en-tête' };
  }
  return classifyText({ subject: ctx.subject, filename: doc.filename, text: ctx.text });
}

interface Rule {
  code: string | null;
  label?: string;
  patterns: RegExp[];
  /** Generic words (« compte rendu », « courrier ») weigh less than specific ones. */
  weight: number;
}

/** Most specific first; patterns run on folded text (lower case, no accents, punctuation as spaces). */
const RULES: Rule[] = [
  { code: '34874-8', patterns: [/\b(compte rendu|cr) operatoire\b/, /\bprotocole operatoire\b/], weight: 1 },
  { code: '60568-3', patterns: [/\banatomo ?patholog/, /\banapath/, /\bcytolog/, /\bhistolog/], weight: 1 },
  { code: '15507-7', patterns: [/\bpassage aux urgences\b/, /\bservice des urgences\b/, /\burgences\b/], weight: 0.9 },
  { code: '11502-2', patterns: [/\bbiolog/, /\bresultats? d (analyses?|examens?)/, /\banalyses? (medicales|de sang|sanguines)\b/, /\bbilan sanguin\b/, /\blaboratoire\b/, /\bhemogramme\b/, /\bnfs\b/, /\bglycemie\b/, /\bcreatinin/, /\bserologie/, /\bresultats?\b/], weight: 0.95 },
  { code: '18748-4', patterns: [/\bimagerie\b/, /\bradiolog/, /\bradiographie\b/, /\bradio\b/, /\bechograph/, /\bscanner\b/, /\btomodensitometr/, /\btdm\b/, /\birm\b/, /\bmammograph/, /\bscintigraph/, /\bdoppler\b/, /\bechographie\b/], weight: 1 },
  { code: '11490-0', patterns: [/\blettre de liaison\b/, /\bcompte rendu de sortie\b/], weight: 1 },
  { code: '34112-3', patterns: [/\b(compte rendu|cr) d ?hospitalisation\b/, /\bhospitalisation\b/, /\bsejour\b/], weight: 0.9 },
  { code: '57832-8', patterns: [/\bprescription de (soins|kinesitherapie|seances)\b/, /\bordonnance de (soins|kinesitherapie)\b/, /\bsoins infirmiers\b/], weight: 1 },
  { code: '57833-6', patterns: [/\bordonnance\b/, /\bprescription\b/, /\btraitement de sortie\b/], weight: 0.95 },
  { code: '60591-5', patterns: [/\bsynthese medicale\b/, /\bvolet de synthese\b/, /\bvsm\b/], weight: 1 },
  { code: '34133-9', patterns: [/\bsynthese\b/], weight: 0.85 },
  { code: '89601-9', patterns: [/\bcertificat\b/], weight: 1 },
  { code: '87273-9', patterns: [/\bvaccin/], weight: 0.9 },
  { code: '96349-6', patterns: [/\blettre d adressage\b/, /\badressage\b/, /\bje vous adresse\b/], weight: 1 },
  { code: '11488-4', patterns: [/\b(compte rendu|cr) de consultation\b/, /\bconsultation\b/], weight: 0.9 },
  { code: '11488-4', patterns: [/\bcompte rendu\b/, /\bcr\b/], weight: 0.6 },
  { code: null, label: 'Courrier', patterns: [/\bcourrier\b/, /\blettre\b/, /\bcorrespondance\b/], weight: 0.6 },
];

const SOURCE_CONFIDENCE: Record<'objet' | 'nom de fichier' | 'texte', number> = { objet: 0.85, 'nom de fichier': 0.75, texte: 0.6 };

export function foldText(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[œ]/g, 'oe')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function firstRule(text: string): Rule | undefined {
  const folded = ` ${foldText(text)} `;
  return RULES.find((r) => r.patterns.some((p) => p.test(folded)));
}

/** Keyword classification; the title of a structured document counts as its subject. */
export function classifyText(sources: { subject?: string | undefined; filename?: string | undefined; text?: string | undefined; title?: string | undefined }): DocumentClassification {
  let best: DocumentClassification = UNKNOWN;
  const consider = (value: string | undefined, source: 'objet' | 'nom de fichier' | 'texte') => {
    if (!value) return;
    // Only the beginning of a text: titles and headers, not every word of the body.
    const rule = firstRule(source === 'texte' ? value.slice(0, 800) : source === 'nom de fichier' ? value.replace(/[_.]+/g, ' ') : value);
    if (!rule) return;
    const confidence = Math.round(SOURCE_CONFIDENCE[source] * rule.weight * 100) / 100;
    if (confidence <= best.confidence) return;
    const label = rule.code ? (labelForLoinc(rule.code) ?? null) : (rule.label ?? null);
    best = { typeCode: rule.code, typeLabel: label, ...(rule.code ? classOf(rule.code) : { classCode: null, classLabel: null }), confidence, source };
  };
  consider(sources.title, 'objet');
  consider(sources.subject, 'objet');
  consider(sources.filename, 'nom de fichier');
  consider(sources.text, 'texte');
  return best;
}
