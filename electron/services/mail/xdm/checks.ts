import { createHash } from 'node:crypto';
import type { CdaDocument } from '../../cda/types';
import type { ProblemItem, XdmDocument, XdmDocumentEntry, XdmSubmissionSet } from './types';

/**
 * Consistency checks between XDS metadata, the document bytes and the CDA header. They produce
 * problems for the person who classifies the document; none of them is fatal.
 */

export function checkContent(entry: XdmDocumentEntry, content: Buffer): ProblemItem[] {
  const out: ProblemItem[] = [];
  if (entry.size !== undefined && entry.size !== content.length) {
    out.push({
      code: 'SIZE_MISMATCH',
      message: `Taille du document différente de celle annoncée (${content.length} octets au lieu de ${entry.size}).`,
    });
  }
  if (entry.hash) {
    const sha1 = createHash('sha1').update(content).digest('hex');
    if (sha1 !== entry.hash.trim().toLowerCase()) {
      out.push({ code: 'HASH_MISMATCH', message: "Empreinte (SHA-1) du document différente de celle annoncée : document altéré ?" });
    }
  }
  return out;
}

export function checkPatientId(entry: XdmDocumentEntry): ProblemItem[] {
  if (!entry.patientId) {
    return [{ code: 'PATIENT_ID_MISSING', message: 'Identifiant du patient (patientId) absent des métadonnées.' }];
  }
  if (!entry.patientId.ins) {
    return [{ code: 'PATIENT_ID_NOT_INS', message: "L'identifiant du patient des métadonnées n'est pas un INS." }];
  }
  return [];
}

/** CDA header against the metadata of its entry: INS, strict traits, unique id. */
export function checkCdaAgainstEntry(entry: XdmDocumentEntry, cda: CdaDocument): ProblemItem[] {
  const out: ProblemItem[] = [];
  const metaIns = entry.patientId?.ins;
  const cdaIns = cda.patient.ins;
  if (metaIns && cdaIns && (metaIns.matricule !== cdaIns.matricule || metaIns.oid !== cdaIns.oid)) {
    out.push({ code: 'INS_MISMATCH', message: "L'INS du document CDA ne correspond pas à celui des métadonnées XDM." });
  } else if (metaIns && !cdaIns) {
    out.push({ code: 'CDA_INS_ABSENT', message: "Le document CDA ne porte pas l'INS annoncé dans les métadonnées XDM." });
  }

  const info = entry.sourcePatientInfo;
  const differing: string[] = [];
  if (info.birthName && cda.patient.birthName && fold(info.birthName) !== fold(cda.patient.birthName)) differing.push('nom de naissance');
  if (info.birthDate && cda.patient.birthDate && info.birthDate !== cda.patient.birthDate) differing.push('date de naissance');
  if (info.sex && cda.patient.sex && info.sex !== cda.patient.sex) differing.push('sexe');
  if (differing.length) {
    out.push({
      code: 'TRAITS_MISMATCH',
      message: `Traits d'identité différents entre le document CDA et les métadonnées XDM : ${differing.join(', ')}.`,
    });
  }

  if (entry.uniqueId && cda.id) {
    const expected = cda.id.extension ? `${cda.id.root}^${cda.id.extension}` : cda.id.root;
    if (entry.uniqueId.trim() !== expected) {
      out.push({ code: 'UNIQUE_ID_MISMATCH', message: "L'identifiant du document CDA ne correspond pas à l'uniqueId des métadonnées XDM." });
    }
  }
  return out;
}

/** Package-wide: one message = one patient (domain.md §4). */
export function checkPackage(submissionSet: XdmSubmissionSet, documents: XdmDocument[]): ProblemItem[] {
  const out: ProblemItem[] = [];
  if (!documents.length) out.push({ code: 'NO_DOCUMENT', message: "L'archive IHE_XDM ne déclare aucun document." });
  const patients = new Set(documents.map((d) => d.entry.patientId?.raw).filter((p): p is string => p !== undefined));
  if (patients.size > 1) {
    out.push({ code: 'MULTIPLE_PATIENTS', message: "L'archive concerne plusieurs patients différents." });
  }
  const ss = submissionSet.patientId?.raw;
  if (ss && [...patients].some((p) => p !== ss)) {
    out.push({
      code: 'PATIENT_ID_INCONSISTENT',
      message: "L'identifiant patient du lot de soumission diffère de celui d'un document.",
    });
  }
  return out;
}

/** Upper case, accents and punctuation folded (`Lé-a` ≈ `LE A`), for comparing names. */
function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim();
}
