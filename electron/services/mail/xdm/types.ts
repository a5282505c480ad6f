import type { CdaDocument, InsRef } from '../../cda/types';

/** Something worth telling the user about a received item; never fatal. */
export interface ProblemItem {
  /** Stable code for logic and tests (e.g. `INS_MISMATCH`). */
  code: string;
  /** French, for the screen. */
  message: string;
}

export interface ZipLimits {
  maxEntries: number;
  /** Per entry, counted on the decompressed bytes actually produced. */
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Decompressed/compressed ratio refused beyond this... */
  maxRatio: number;
  /** ...once an entry has produced more than this many bytes. */
  ratioMinBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 200,
  maxEntryBytes: 50 * 1024 * 1024,
  maxTotalBytes: 150 * 1024 * 1024,
  maxRatio: 200,
  ratioMinBytes: 1024 * 1024,
};

/** A coded value from an XDS Classification (`nodeRepresentation` + `codingScheme` slot + Name). */
export interface XdsCode {
  code: string;
  codingScheme?: string;
  displayName?: string;
}

/** An HL7 v2 CX patient identifier as found in XDS metadata. */
export interface XdsPatientId {
  /** The value as written (`<id>^^^&<oid>&ISO^NH`). */
  raw: string;
  id: string;
  oid?: string;
  /** Set when the assigning authority is an INS OID and the id has the INS shape. */
  ins?: InsRef;
}

/** `sourcePatientInfo` (PID-3, PID-5 L/D, PID-7, PID-8, PID-11 BDL). */
export interface XdsPatientInfo {
  ids: string[];
  birthName?: string;
  birthGivenNames: string[];
  usedName?: string;
  usedGivenName?: string;
  /** YYYY-MM-DD. */
  birthDate?: string;
  sex?: 'F' | 'M' | 'U';
  birthplaceCode?: string;
}

/** authorPerson (XCN) parsed. */
export interface XdsPerson {
  raw: string;
  id?: string;
  familyName?: string;
  givenName?: string;
  idOid?: string;
}

/** authorInstitution (XON) parsed. */
export interface XdsInstitution {
  raw: string;
  name?: string;
  id?: string;
  idOid?: string;
}

export interface XdsAuthor {
  person?: XdsPerson;
  institutions: XdsInstitution[];
  roles: string[];
  specialties: string[];
  telecoms: string[];
}

export interface XdmDocumentEntry {
  entryUuid: string;
  uniqueId?: string;
  patientId?: XdsPatientId;
  sourcePatientId?: string;
  sourcePatientInfo: XdsPatientInfo;
  typeCode?: XdsCode;
  classCode?: XdsCode;
  formatCode?: XdsCode;
  confidentialityCodes: XdsCode[];
  healthcareFacilityTypeCode?: XdsCode;
  practiceSettingCode?: XdsCode;
  eventCodes: XdsCode[];
  title?: string;
  comments?: string;
  /** ISO 8601 (XDS times are UTC). */
  creationTime?: string;
  serviceStartTime?: string;
  serviceStopTime?: string;
  languageCode?: string;
  /** SHA-1, hexadecimal, as written. */
  hash?: string;
  size?: number;
  mimeType?: string;
  /** `URI` slot, relative to the folder of METADATA.XML. */
  uri?: string;
  /** `urn:action:extraMetadataSlot`: C = replaces a document, D = deletes one (domain.md §4.1). */
  action: 'C' | 'D' | null;
  authors: XdsAuthor[];
  legalAuthenticator?: XdsPerson;
}

export interface XdmSubmissionSet {
  entryUuid?: string;
  uniqueId?: string;
  sourceId?: string;
  patientId?: XdsPatientId;
  /** ISO 8601 (UTC). */
  submissionTime?: string;
  title?: string;
  contentTypeCode?: XdsCode;
  authors: XdsAuthor[];
  intendedRecipients: string[];
}

export interface XdmDocument {
  entry: XdmDocumentEntry;
  /** Path of the document inside the archive, when found. */
  path?: string;
  content?: Buffer;
  cda?: CdaDocument;
  problems: ProblemItem[];
}

export interface XdmPackage {
  submissionSet: XdmSubmissionSet;
  documents: XdmDocument[];
  /** Every file of the archive (normalised paths, folders excluded). */
  files: string[];
  /** Problems about the package as a whole. */
  warnings: ProblemItem[];
}
