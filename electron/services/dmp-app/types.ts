import type { DmpDocumentSummary } from '../dmp/client';
import type { VisibilityOptions } from '../dmp/types';
import type { DmpBadgeState, UploadStatus } from './policy';

/** Public shapes of the DMP application service (plain data, fit for the renderer contract). */

export interface DmpLatestDocument {
  typeCode: string;
  typeLabel: string;
  /** ISO 8601 creation time. */
  date: string | null;
}

export interface DmpBadge {
  patientId: number;
  state: DmpBadgeState;
  /** French: « DMP actif », « Pas de DMP », « Non vérifiable : hors ligne »… */
  label: string;
  lastDocumentDate: string | null;
  /** Time of the last successful check (the date of the value shown or of `lastKnown`). */
  checkedAt: string | null;
  /** A background check is queued or running for this patient. */
  pending: boolean;
  /** When the last check failed (offline, DMP error): the last good value, to show greyed with `checkedAt`. */
  lastKnown: { state: Exclude<DmpBadgeState, 'non_verifiable'>; label: string } | null;
  mesActivated: boolean | null;
  /** French detail of the last failed check. */
  detail: string | null;
  /** Types of the most recent documents of the DMP (newest first, at most 3). */
  latestDocuments: DmpLatestDocument[];
  /** Documents authored outside the practice since the last DMP consultation (null = unknown). */
  documentsByOthersSinceLastVisit: number | null;
  lastVisitAt: string | null;
}

export interface DmpConsent {
  patientId: number;
  /** When the patient was informed of the feeding of their DMP (null = not informed). */
  informedAt: string | null;
  opposed: boolean;
  recordedAt: string | null;
  recordedBy: string | null;
  /** May a document be sent now (informed and not opposed)? */
  canSend: boolean;
}

export interface LocalDocument {
  id: number;
  patientId: number;
  fileName: string;
  typeCode: string;
  typeLabel: string;
  title: string;
  createdAt: string;
  sha256: string;
  size: number;
  /** `<dataDir>`-relative path of the PDF. */
  contentPath: string;
  replacesDocumentId: number | null;
}

export interface DmpUploadView {
  id: number;
  documentId: number;
  patientId: number;
  title: string | null;
  typeCode: string | null;
  typeLabel: string | null;
  fileName: string | null;
  status: UploadStatus;
  /** « envoyé le 12/03/2025 à 10:15 », « en attente », « envoi en cours », « erreur : … » */
  label: string;
  /** For « en attente »: why and when the next attempt is (French). */
  detail: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  cdaId: string;
  setId: string;
  version: number;
  visibility: Required<VisibilityOptions>;
  createdAt: string;
  sentAt: string | null;
}

export type DmpVisibilityFilter = 'normale' | 'MASQUE_PS' | 'INVISIBLE_PATIENT' | 'INVISIBLE_REPRESENTANTS_LEGAUX';

export interface DmpDocumentFilters {
  /** LOINC type codes. */
  typeCodes?: string[];
  /** ISO dates (creation time), inclusive lower bound, exclusive upper bound. */
  from?: string;
  to?: string;
  /** Substring of the author's name or exact national id (8 + RPPS). */
  author?: string;
  /** Keep documents with one of these visibilities ('normale' = no visibility restriction). */
  visibility?: DmpVisibilityFilter[];
  /** Also list replaced (Deprecated) versions. */
  includeReplaced?: boolean;
}

export interface DmpDocumentView extends DmpDocumentSummary {
  /** French labels of the visibility codes. */
  visibilityLabels: string[];
  /** Authored outside the practice. */
  byOthers: boolean;
  /** Authored outside the practice and created after the previous consultation. */
  newSinceLastVisit: boolean;
  /** The local document this DMP entry was sent from, if it was sent from here. */
  localDocumentId: number | null;
}

export interface RetrievedDmpDocument {
  uniqueId: string;
  /** 'pdf' = the PDF carried by the CDA (N1 nonXMLBody or N3 copy), 'cda' = only the CDA XML. */
  kind: 'pdf' | 'cda';
  /** PDF bytes or, when the CDA carries none, the CDA itself. */
  data: Buffer;
  mimeType: 'application/pdf' | 'text/xml';
  cda: Buffer;
  title: string | null;
  level: 1 | 3;
}

export type DmpChange =
  | { kind: 'status'; patientIds: number[] }
  | { kind: 'upload'; patientId: number; documentId: number; uploadId: number; status: UploadStatus };
