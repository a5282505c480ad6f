import type { CdaDocument } from '../../cda/types';
import type { ProblemItem, XdmDocumentEntry, XdmPackage } from '../xdm/types';

export type { ProblemItem } from '../xdm/types';

export interface MailAddress {
  address: string;
  name?: string;
}

/** MSSanté headers (domain.md §4). */
export interface MssHeaders {
  /** `X-MSS-CODECDA`, split on commas. */
  codeCda: string[];
  /** `X-MSS-INS`: O → true, N → false, absent or other → null. */
  insPresent: boolean | null;
  /** `X-MSS-NIL`: sending software reference. */
  nil?: string;
  /** `X-MSS-MES`: `FIN` when the patient may not reply. */
  mes?: string;
}

/** A read/processing receipt (RFC 8098 `message/disposition-notification`). */
export interface MdnInfo {
  originalMessageId?: string;
  /** The Disposition field as written. */
  disposition?: string;
  /** `processed`, `displayed`, `deleted`... */
  dispositionType?: string;
  finalRecipient?: string;
  /** From `processed/Error: <code>^<label>` or an `Error:` field. */
  errorCode?: string;
  errorLabel?: string;
}

export interface ReceivedAttachment {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  kind: 'xdm' | 'pdf' | 'other';
  /** Bigger than the per-attachment cap: listed, hashed, never opened. */
  tooLarge: boolean;
  /** Absent when tooLarge. */
  content?: Buffer;
}

export interface ReceivedXdmDocument {
  source: 'xdm';
  /** Index in `xdm.documents`. */
  index: number;
  entry: XdmDocumentEntry;
  cda?: CdaDocument;
  /** The readable PDF: N1 body, embedded copy of an N3, or the document itself when it is a PDF. */
  pdf?: Buffer;
  /** The document bytes as stored in the archive. */
  content?: Buffer;
  sha256?: string;
  problems: ProblemItem[];
}

export interface ReceivedPdfDocument {
  source: 'pdf';
  filename: string;
  content: Buffer;
  size: number;
  sha256: string;
  problems: ProblemItem[];
}

/** What the worklist classifies: one item per document carried by the message. */
export type ReceivedDocument = ReceivedXdmDocument | ReceivedPdfDocument;

export interface ParsedMssMessage {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  from?: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  /** Subject without the `XDM/1.0/DDM+` prefix (domain.md §4). */
  displaySubject: string;
  /** ISO 8601; absent when the Date header is missing or unreadable. */
  date?: string;
  text: string;
  /** Sender's HTML, untrusted: sanitise before any display. */
  html?: string;
  mss: MssHeaders;
  dispositionNotificationTo?: string;
  isMdn: boolean;
  mdn?: MdnInfo;
  attachments: ReceivedAttachment[];
  xdm?: XdmPackage;
  documents: ReceivedDocument[];
  /** Message-level problems (MIME, headers, attachments, XDM package); document problems stay on documents. */
  problems: ProblemItem[];
}
