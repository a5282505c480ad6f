import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { AppError } from '../../../../shared/errors';
import { assertInsTransmissible, type IdentityStatus } from '../../identity/ins';
import { XDM_SUBJECT_PREFIX } from '../parse/mss-headers';
import { buildXdmArchive } from './xdm-archive';

/**
 * Composition of outgoing MSSanté messages (domain.md §4): to professionals or to the patient
 * (`<INS>@patient.mssante.fr`, QUAL identities only), free attachments, and for a health
 * document an IHE_XDM.ZIP plus the PDF copy, with `X-MSS-CODECDA`, `X-MSS-INS`, `X-MSS-NIL` on
 * every mail, Message-ID/References, optional read receipt (`Disposition-Notification-To`) and
 * DSN request (an SMTP envelope parameter, returned separately).
 */

export const PATIENT_MAIL_DOMAIN = 'patient.mssante.fr';

export interface PatientIdentity {
  status: IdentityStatus;
  insMatricule?: string | null;
  insOid?: string | null;
  birthName: string;
  birthGivenNames: string[];
  /** YYYY-MM-DD */
  birthDate: string;
  sex?: 'F' | 'M';
}

export type Recipient =
  | { kind: 'professional'; address: string; name?: string }
  | { kind: 'patient'; patient: PatientIdentity };

export interface DsnRequest {
  notify: ('SUCCESS' | 'FAILURE' | 'DELAY')[];
  ret?: 'HDRS' | 'FULL';
}

export interface ComposeInput {
  from: { address: string; name?: string };
  to: Recipient[];
  cc?: Recipient[];
  /** Subject of a message without health document (a document sets the XDM subject). */
  subject?: string;
  text: string;
  html?: string;
  attachments?: { filename: string; content: Buffer; contentType?: string }[];
  /** A CDA R2 N1 document (with its PDF): IHE_XDM.ZIP + PDF copy, XDM subject and headers. */
  document?: {
    cda: string | Buffer;
    pdf: Buffer;
    pdfFilename?: string;
    /** Subject label (default: the CDA title). */
    label?: string;
    patient: PatientIdentity;
    action?: 'C' | 'D';
  };
  inReplyTo?: string;
  references?: string[];
  /** Ask for a read receipt (MDN) to the sender address. */
  readReceipt?: boolean;
  dsn?: DsnRequest;
  /** `X-MSS-MES: FIN` (the patient may not reply). */
  patientMayNotReply?: boolean;
  /** X-MSS-NIL, e.g. `LGC-Segur/0.1.0`. */
  softwareReference: string;
  now?: () => Date;
}

export interface ComposedMessage {
  raw: Buffer;
  messageId: string;
  subject: string;
  /** Envelope recipients (To + Cc). */
  recipients: string[];
  from: string;
  dsn?: DsnRequest;
  /** CDA ids carried by the XDM archive. */
  documentIds: string[];
}

const ADDRESS = /^[^\s@<>()",;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

export function patientMailAddress(patient: PatientIdentity): string {
  assertInsTransmissible({ status: patient.status, insMatricule: patient.insMatricule ?? null });
  return `${patient.insMatricule}@${PATIENT_MAIL_DOMAIN}`;
}

function recipientAddress(r: Recipient): { address: string; name?: string } {
  if (r.kind === 'patient') {
    const p = r.patient;
    return { address: patientMailAddress(p), name: `${p.birthGivenNames[0] ?? ''} ${p.birthName}`.trim() };
  }
  const address = r.address.trim();
  if (!ADDRESS.test(address)) throw new AppError('VALIDATION', `Adresse de messagerie invalide : ${address.slice(0, 100)}`);
  if (address.toLowerCase().endsWith(`@${PATIENT_MAIL_DOMAIN}`)) {
    throw new AppError('VALIDATION', "L'adresse d'un patient se construit depuis son identité qualifiée : choisissez le patient comme destinataire.");
  }
  return r.name ? { address, name: r.name } : { address };
}

/** `DD/MM/YYYY` */
export function frenchDate(isoDate: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : isoDate;
}

/** `XDM/1.0/DDM+<label> <NOM> <prénom> <date de naissance>` — never the INS. */
export function xdmSubject(label: string, patient: PatientIdentity): string {
  const parts = [label.trim(), patient.birthName.trim().toUpperCase(), (patient.birthGivenNames[0] ?? '').trim(), frenchDate(patient.birthDate)];
  return XDM_SUBJECT_PREFIX + parts.filter(Boolean).join(' ');
}

export function newMessageId(fromAddress: string): string {
  const domain = fromAddress.slice(fromAddress.indexOf('@') + 1) || 'lgc-segur.local';
  return `<${Date.now().toString(36)}.${randomBytes(9).toString('hex')}@${domain}>`;
}

function cdaTitle(cda: string): string | undefined {
  const m = /<title>([^<]*)<\/title>/.exec(cda);
  return m?.[1]?.trim() || undefined;
}

const CANONICAL = ['X-MSS-NIL', 'X-MSS-CODECDA', 'X-MSS-INS', 'X-MSS-MES'];

/** nodemailer writes `X-Mss-Nil`; the MSSanté documents spell the names in capitals (names are case-insensitive anyway). */
function canonicalHeaderNames(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return raw;
  let head = raw.subarray(0, end).toString('latin1');
  for (const name of CANONICAL) head = head.replace(new RegExp(`^${name}:`, 'gim'), `${name}:`);
  return Buffer.concat([Buffer.from(head, 'latin1'), raw.subarray(end)]);
}

export async function composeMssMessage(input: ComposeInput): Promise<ComposedMessage> {
  const now = (input.now ?? (() => new Date()))();
  if (!input.to.length) throw new AppError('VALIDATION', 'Indiquez au moins un destinataire.');
  if (!input.softwareReference) throw new AppError('INTERNAL', 'Référence logicielle X-MSS-NIL manquante.');
  const to = input.to.map(recipientAddress);
  const cc = (input.cc ?? []).map(recipientAddress);
  const messageId = newMessageId(input.from.address);
  const headers: Record<string, string> = { 'X-MSS-NIL': input.softwareReference };
  const attachments: { filename: string; content: Buffer; contentType: string }[] = [];
  let subject = (input.subject ?? '').trim();
  let documentIds: string[] = [];

  if (input.document) {
    const doc = input.document;
    const cdaText = Buffer.isBuffer(doc.cda) ? doc.cda.toString('utf8') : doc.cda;
    // The document names the patient: it may carry the INS only for a qualified identity.
    assertInsTransmissible({ status: doc.patient.status, insMatricule: doc.patient.insMatricule ?? null });
    if (doc.pdf.subarray(0, 5).toString('latin1') !== '%PDF-') {
      throw new AppError('VALIDATION', 'La copie lisible du document doit être un PDF.');
    }
    const xdm = await buildXdmArchive({
      document: { cda: doc.cda, ...(doc.action ? { action: doc.action } : {}) },
      sender: { name: input.from.name ?? input.from.address, address: input.from.address, software: input.softwareReference },
      now: () => now,
    });
    documentIds = xdm.documentIds;
    headers['X-MSS-CODECDA'] = xdm.typeCodes.join(',');
    headers['X-MSS-INS'] = 'O';
    subject = xdmSubject(doc.label ?? cdaTitle(cdaText) ?? 'Document', doc.patient);
    attachments.push({ filename: 'IHE_XDM.ZIP', content: xdm.zip, contentType: 'application/zip' });
    attachments.push({ filename: doc.pdfFilename ?? 'document.pdf', content: doc.pdf, contentType: 'application/pdf' });
  }
  if (!subject) throw new AppError('VALIDATION', 'Indiquez un objet pour le message.');
  for (const a of input.attachments ?? []) {
    attachments.push({ filename: a.filename, content: a.content, contentType: a.contentType ?? 'application/octet-stream' });
  }
  if (input.patientMayNotReply) headers['X-MSS-MES'] = 'FIN';
  if (input.readReceipt) headers['Disposition-Notification-To'] = input.from.address;

  const composer = new MailComposer({
    from: input.from.name ? { name: input.from.name, address: input.from.address } : input.from.address,
    to,
    cc: cc.length ? cc : undefined,
    subject,
    text: input.text,
    html: input.html,
    messageId,
    date: now,
    inReplyTo: input.inReplyTo,
    references: input.references ?? (input.inReplyTo ? [input.inReplyTo] : undefined),
    headers,
    attachments,
    textEncoding: 'quoted-printable',
  });
  const raw = canonicalHeaderNames(await composer.compile().build());
  return {
    raw,
    messageId,
    subject,
    recipients: [...to, ...cc].map((r) => r.address),
    from: input.from.address,
    ...(input.dsn ? { dsn: input.dsn } : {}),
    documentIds,
  };
}
