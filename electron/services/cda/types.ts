/** What the reader extracts from a received CDA R2 document (domain.md §5). */

/** HL7 instance identifier (`II`). */
export interface Ii {
  root: string;
  extension?: string;
}

export interface CdaCode {
  code: string;
  codeSystem?: string;
  displayName?: string;
}

/** An INS as carried by a document: 15-character matricule and the OID of its authority. */
export interface InsRef {
  matricule: string;
  oid: string;
}

/** OIDs of the INS assigning authorities (domain.md §2): NIR, NIA, NIR test, NIR demo. */
export const INS_OIDS = {
  NIR: '1.2.250.1.213.1.4.8',
  NIA: '1.2.250.1.213.1.4.9',
  NIR_TEST: '1.2.250.1.213.1.4.10',
  NIR_DEMO: '1.2.250.1.213.1.4.11',
} as const;

const INS_OID_SET: ReadonlySet<string> = new Set(Object.values(INS_OIDS));

export function isInsOid(oid: string | undefined): boolean {
  return oid !== undefined && INS_OID_SET.has(oid);
}

/**
 * Shape of an INS matricule (sex, year, month, department incl. Corsica 2A/2B, commune, order,
 * 2-digit key = 15 characters). The key itself is not verified here.
 */
export function isInsShaped(matricule: string | undefined): boolean {
  return matricule !== undefined && /^\d{5}(\d{2}|2[AB])\d{8}$/i.test(matricule);
}

export interface CdaPatient {
  /** Every `recordTarget/patientRole/id`. */
  ids: Ii[];
  /** Present only when an id has an INS root (the key is not verified here). */
  ins?: InsRef;
  birthName?: string;
  /** Birth first names, in order; the first one is the "premier prénom". */
  birthGivenNames: string[];
  usedName?: string;
  usedGivenName?: string;
  /** YYYY-MM-DD. */
  birthDate?: string;
  sex?: 'F' | 'M' | 'U';
  /** INSEE/COG code of the birthplace (`birthplace/place/addr/county`). */
  birthplaceCode?: string;
}

export interface CdaOrganization {
  id?: Ii;
  name?: string;
}

export interface CdaAuthor {
  id?: Ii;
  familyName?: string;
  givenName?: string;
  organization?: CdaOrganization;
  /** ISO 8601, zone kept. */
  time?: string;
}

export interface CdaRelatedDocument {
  /** `RPLC` (replacement), `APND`, `XFRM`. */
  typeCode: string;
  parentId: Ii;
  parentSetId?: Ii;
  parentVersionNumber?: number;
}

export interface CdaNarrativeSection {
  title: string;
  /** Plain text: tables flattened row by row (cells joined by " | "), lists as "- " lines. */
  text: string;
  /** 0 for a top-level section, 1 for its sub-sections... */
  depth: number;
}

export interface CdaDocument {
  id?: Ii;
  setId?: Ii;
  versionNumber?: number;
  code?: CdaCode;
  title?: string;
  /** ISO 8601, zone kept. */
  effectiveTime?: string;
  confidentialityCode?: string;
  languageCode?: string;
  templateIds: string[];
  /** 1 = nonXMLBody (PDF), 3 = structuredBody. */
  level: 1 | 3;
  patient: CdaPatient;
  authors: CdaAuthor[];
  custodian?: CdaOrganization;
  relatedDocuments: CdaRelatedDocument[];
  /** The PDF: N1 body, or for N3 the first embedded `observationMedia` PDF (a "copie PDF"). */
  pdf?: Buffer;
  pdfSource?: 'nonXMLBody' | 'observationMedia';
  /** N3 sections as readable plain text (never HTML); empty for N1. */
  narrative: CdaNarrativeSection[];
}
