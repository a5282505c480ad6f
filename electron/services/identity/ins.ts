import { AppError } from '../../../shared/errors';

/**
 * INS (Identité Nationale de Santé) rules — pure functions, no I/O.
 * Reference: shared/spec/domain.md §2.
 */

/** Assigning-authority OIDs of the INS (domain.md §2). Third-party `.4.5` values are wrong. */
export const INS_OIDS = {
  NIR: '1.2.250.1.213.1.4.8',
  NIA: '1.2.250.1.213.1.4.9',
  NIR_TEST: '1.2.250.1.213.1.4.10',
  NIR_DEMO: '1.2.250.1.213.1.4.11',
} as const;

export type InsOid = (typeof INS_OIDS)[keyof typeof INS_OIDS];

const OID_SET: ReadonlySet<string> = new Set(Object.values(INS_OIDS));

export function isInsOid(oid: string): oid is InsOid {
  return OID_SET.has(oid);
}

// 13 characters; the department (positions 6-7) may be Corsican 2A/2B.
const NIR13 = /^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6}$/;
const INS15 = /^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/;

/** Control key of a 13-character NIR/NIA: 97 − (N mod 97), Corsica 2A→19, 2B→18. */
export function computeInsKey(nir13: string): string {
  if (typeof nir13 !== 'string' || !NIR13.test(nir13)) {
    throw new AppError('VALIDATION', 'Le NIR doit comporter 13 caractères (chiffres, 2A ou 2B pour la Corse).');
  }
  const numeric = nir13.slice(0, 5) + nir13.slice(5, 7).replace('2A', '19').replace('2B', '18') + nir13.slice(7);
  const key = 97n - (BigInt(numeric) % 97n);
  return key.toString().padStart(2, '0');
}

export type InsCheck = { ok: true } | { ok: false; reason: string };

export function checkIns(matricule: string): InsCheck {
  if (typeof matricule !== 'string' || matricule.length !== 15) {
    return { ok: false, reason: 'Le matricule INS doit comporter 15 caractères (13 + clé de 2 chiffres).' };
  }
  if (!INS15.test(matricule)) {
    return { ok: false, reason: 'Le matricule INS contient des caractères non autorisés.' };
  }
  if (computeInsKey(matricule.slice(0, 13)) !== matricule.slice(13)) {
    return { ok: false, reason: 'Matricule INS invalide : clé de contrôle incorrecte.' };
  }
  return { ok: true };
}

export function isValidIns(matricule: string): boolean {
  return checkIns(matricule).ok;
}

/** HL7 v2 / XDS CX form: `<matricule>^^^&<oid>&ISO^NH`. */
export function formatInsCx(matricule: string, oid: string): string {
  return `${matricule}^^^&${oid}&ISO^NH`;
}

const CX = /^([0-9A-Z]{15})\^\^\^&([0-9.]+)&ISO\^NH$/;

/** Returns null unless the value is an INS-shaped CX (15-char id, ISO authority, NH type). */
export function parseInsCx(cx: string): { matricule: string; oid: string } | null {
  if (typeof cx !== 'string') return null;
  const m = CX.exec(cx.replace(/\s+/g, ''));
  if (!m || !m[1] || !m[2]) return null;
  return { matricule: m[1], oid: m[2] };
}

export type IdentityStatus = 'PROV' | 'RECUP' | 'VALI' | 'QUAL';

export const IDENTITY_STATUS_LABELS: Record<IdentityStatus, string> = {
  PROV: 'Identité provisoire',
  RECUP: 'Identité récupérée',
  VALI: 'Identité validée',
  QUAL: 'Identité qualifiée',
};

export type IdDocumentType = 'CNI' | 'PASSEPORT' | 'TITRE_SEJOUR' | 'LIVRET_FAMILLE' | 'EXTRAIT_NAISSANCE';

export const ID_DOCUMENT_LABELS: Record<IdDocumentType, string> = {
  CNI: "Carte nationale d'identité",
  PASSEPORT: 'Passeport',
  TITRE_SEJOUR: 'Titre de séjour',
  LIVRET_FAMILLE: 'Livret de famille',
  EXTRAIT_NAISSANCE: "Extrait d'acte de naissance",
};

/** RNIV: livret de famille / extrait d'acte de naissance are low-trust (acceptable only for minors). */
export function isHighTrustDocument(type: IdDocumentType): boolean {
  return type === 'CNI' || type === 'PASSEPORT' || type === 'TITRE_SEJOUR';
}

export function statusFrom(evidence: { insiVerified: boolean; highTrustDocumentChecked: boolean }): IdentityStatus {
  if (evidence.insiVerified) return evidence.highTrustDocumentChecked ? 'QUAL' : 'RECUP';
  return evidence.highTrustDocumentChecked ? 'VALI' : 'PROV';
}

export const STRICT_TRAITS = ['birthName', 'birthGivenNames', 'birthDate', 'sex', 'birthplaceCode'] as const;
export type StrictTrait = (typeof STRICT_TRAITS)[number];

function normaliseTrait(value: unknown): string | string[] {
  if (Array.isArray(value)) return value.map((v) => String(v ?? '').trim().toUpperCase());
  if (value === null || value === undefined) return '';
  return String(value).trim().toUpperCase();
}

function sameTrait(a: unknown, b: unknown): boolean {
  const x = normaliseTrait(a);
  const y = normaliseTrait(b);
  if (Array.isArray(x) || Array.isArray(y)) {
    const xa = Array.isArray(x) ? x : x === '' ? [] : [x];
    const ya = Array.isArray(y) ? y : y === '' ? [] : [y];
    return xa.length === ya.length && xa.every((v, i) => v === ya[i]);
  }
  return x === y;
}

/** Names of the strict traits that differ (trim + case-insensitive; arrays element-wise). */
export function changedStrictTraits(
  before: Partial<Record<StrictTrait, unknown>>,
  after: Partial<Record<StrictTrait, unknown>>,
): string[] {
  return STRICT_TRAITS.filter((t) => !sameTrait(before[t], after[t]));
}

/**
 * Editing a strict trait breaks the match with what INSi returned (the INS must be fetched
 * again), but the identity document was still physically checked: QUAL→VALI, RECUP→PROV.
 */
export function statusAfterStrictTraitEdit(status: IdentityStatus): IdentityStatus {
  if (status === 'QUAL') return 'VALI';
  if (status === 'RECUP') return 'PROV';
  return status;
}

/** Only a qualified identity with a valid INS may have its INS used or transmitted. */
export function assertInsTransmissible(identity: { status: IdentityStatus; insMatricule?: string | null }): void {
  if (identity.status !== 'QUAL') {
    throw new AppError(
      'IDENTITY_RULE',
      `L'INS ne peut être transmis que pour une identité qualifiée (statut actuel : ${IDENTITY_STATUS_LABELS[identity.status] ?? identity.status}).`,
    );
  }
  if (!identity.insMatricule || !isValidIns(identity.insMatricule)) {
    throw new AppError('IDENTITY_RULE', "L'identité qualifiée n'a pas de matricule INS valide : transmission impossible.");
  }
}
