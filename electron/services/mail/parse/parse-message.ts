import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { isAppError } from '../../../../shared/errors';
import { silentLogger, type Logger } from '../../log/logger';
import { readXdmArchive } from '../xdm/read-archive';
import type { ProblemItem, XdmPackage, ZipLimits } from '../xdm/types';
import { parseMdnReport } from './mdn';
import { displaySubject, readMssHeaders } from './mss-headers';
import type { MailAddress, ParsedMssMessage, ReceivedAttachment, ReceivedDocument } from './types';

export interface ParseMssOptions {
  /** Per-attachment cap; bigger ones are listed but never opened (default 25 MB, Mon espace santé's cap). */
  maxAttachmentBytes?: number;
  /** Beyond this only the header block is read (default 100 MB). */
  maxMessageBytes?: number;
  zipLimits?: Partial<ZipLimits>;
  logger?: Logger;
}

export const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;
const MAX_HTML_TO_PARSE = 2 * 1024 * 1024;

/**
 * Parses a received MSSanté message (RFC 5322/MIME) with its IHE_XDM.ZIP and PDF attachments.
 * Never throws for bad input: whatever cannot be read becomes an entry of `problems`.
 */
export async function parseMssMessage(raw: Buffer, options: ParseMssOptions = {}): Promise<ParsedMssMessage> {
  const log = options.logger ?? silentLogger;
  const out: ParsedMssMessage = {
    references: [],
    to: [],
    cc: [],
    subject: '',
    displaySubject: '',
    text: '',
    mss: { codeCda: [], insPresent: null },
    isMdn: false,
    attachments: [],
    documents: [],
    problems: [],
  };
  try {
    await fill(out, raw, options, log);
  } catch (e) {
    log.warn('mail.parse: unexpected failure', { error: e instanceof Error ? e.message : String(e) });
    out.problems.push({ code: 'MESSAGE_INVALID', message: 'Message illisible : erreur inattendue pendant la lecture.' });
  }
  return out;
}

async function fill(out: ParsedMssMessage, raw: Buffer, options: ParseMssOptions, log: Logger): Promise<void> {
  const maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let source = raw;
  if (raw.length > maxMessage) {
    out.problems.push({
      code: 'MESSAGE_TOO_LARGE',
      message: `Message trop volumineux (${mb(raw.length)}) : seuls ses en-têtes ont été lus.`,
    });
    source = headerBlock(raw);
  }

  let mail: ParsedMail;
  try {
    mail = await simpleParser(source, { skipTextToHtml: true, skipImageLinks: true, maxHtmlLengthToParse: MAX_HTML_TO_PARSE });
  } catch (e) {
    log.warn('mail.parse: MIME parser failure', { error: e instanceof Error ? e.message : String(e) });
    out.problems.push({ code: 'MIME_INVALID', message: 'Structure MIME du message illisible.' });
    return;
  }

  readHeaders(out, mail);
  const headersOnly = source !== raw;
  checkMimeStructure(out, mail, headersOnly ? undefined : raw);
  if (headersOnly) return;
  readAttachments(out, mail, options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES);
  await readXdm(out, options, log);
  collectDocuments(out);
}

function readHeaders(out: ParsedMssMessage, mail: ParsedMail): void {
  const get = (name: string) => headerText(mail.headers.get(name));
  if (mail.messageId) out.messageId = mail.messageId;
  else out.problems.push({ code: 'MESSAGE_ID_MISSING', message: 'En-tête Message-ID absent.' });
  if (mail.inReplyTo) out.inReplyTo = mail.inReplyTo;
  out.references = Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : [];

  const from = addresses(mail.from)[0];
  if (from) out.from = from;
  else out.problems.push({ code: 'FROM_MISSING', message: 'Expéditeur (From) absent ou illisible.' });
  out.to = addresses(mail.to);
  out.cc = addresses(mail.cc);

  out.subject = mail.subject ?? '';
  out.displaySubject = displaySubject(out.subject);
  out.text = mail.text ?? '';
  if (typeof mail.html === 'string' && mail.html) out.html = mail.html;

  // mailparser substitutes "now" for an unreadable Date: read the raw header instead.
  const rawDate = mail.headerLines.find((h) => h.key === 'date')?.line.replace(/^date\s*:/i, '').trim();
  const time = rawDate ? Date.parse(rawDate) : NaN;
  if (Number.isFinite(time)) out.date = new Date(time).toISOString();
  else out.problems.push({ code: 'DATE_INVALID', message: 'Date du message absente ou illisible.' });

  const dnt = get('disposition-notification-to');
  if (dnt) out.dispositionNotificationTo = dnt;

  const { mss, problems } = readMssHeaders(get);
  out.mss = mss;
  out.problems.push(...problems);
}

/** `whole` is the complete raw message, undefined when only its headers were parsed. */
function checkMimeStructure(out: ParsedMssMessage, mail: ParsedMail, whole: Buffer | undefined): void {
  const ct = mail.headers.get('content-type');
  if (!ct || typeof ct !== 'object' || !('value' in ct) || typeof ct.value !== 'string') return;
  const type = ct.value.toLowerCase();
  const params = 'params' in ct ? (ct.params as Record<string, string>) : {};
  if (!type.startsWith('multipart/')) return;
  out.isMdn = type === 'multipart/report' && params['report-type']?.toLowerCase() === 'disposition-notification';
  const boundary = params.boundary;
  if (!boundary) {
    out.problems.push({ code: 'MIME_INVALID', message: 'Message multipart sans délimiteur (boundary).' });
  } else if (whole && !whole.includes(`--${boundary}--`)) {
    out.problems.push({ code: 'MIME_TRUNCATED', message: 'Message MIME incomplet (délimiteur de fin absent) : pièces jointes peut-être tronquées.' });
  }
}

function readAttachments(out: ParsedMssMessage, mail: ParsedMail, cap: number): void {
  mail.attachments.forEach((a, i) => {
    const contentType = (a.contentType || 'application/octet-stream').toLowerCase();
    if (contentType === 'message/disposition-notification') {
      out.isMdn = true;
      out.mdn ??= parseMdnReport(Buffer.isBuffer(a.content) ? a.content.toString('utf8') : '');
      return;
    }
    const content: Buffer = Buffer.isBuffer(a.content) ? a.content : Buffer.alloc(0);
    const filename = safeFilename(a.filename) ?? `piece-jointe-${i + 1}`;
    const size = content.length;
    const tooLarge = size > cap;
    const att: ReceivedAttachment = {
      filename,
      contentType,
      size,
      sha256: createHash('sha256').update(content).digest('hex'),
      kind: kindOf(filename, contentType, content),
      tooLarge,
    };
    if (tooLarge) {
      out.problems.push({
        code: 'ATTACHMENT_TOO_LARGE',
        message: `Pièce jointe « ${filename} » trop volumineuse (${mb(size)}, maximum ${mb(cap)}) : elle n'a pas été ouverte.`,
      });
    } else att.content = content;
    out.attachments.push(att);
  });
}

async function readXdm(out: ParsedMssMessage, options: ParseMssOptions, log: Logger): Promise<void> {
  const candidates = out.attachments.filter((a) => a.kind === 'xdm' && a.content);
  const first = candidates[0];
  if (!first?.content) return;
  if (candidates.length > 1) {
    out.problems.push({ code: 'XDM_MULTIPLE', message: 'Plusieurs archives IHE_XDM.ZIP : seule la première a été lue.' });
  }
  let pkg: XdmPackage;
  try {
    pkg = await readXdmArchive(first.content, options.zipLimits);
  } catch (e) {
    if (!isAppError(e)) log.warn('mail.parse: XDM failure', { error: e instanceof Error ? e.message : String(e) });
    const reason = isAppError(e) ? e.message : 'erreur inattendue.';
    out.problems.push({ code: 'XDM_INVALID', message: `Archive IHE_XDM.ZIP refusée : ${reason}` });
    return;
  }
  out.xdm = pkg;
  out.problems.push(...pkg.warnings);
}

/** One item per XDM document; plain PDFs only when no usable XDM says what the documents are. */
function collectDocuments(out: ParsedMssMessage): void {
  const docs: ReceivedDocument[] = [];
  out.xdm?.documents.forEach((d, index) => {
    const item: ReceivedDocument = { source: 'xdm', index, entry: d.entry, problems: d.problems };
    if (d.cda) item.cda = d.cda;
    if (d.content) {
      item.content = d.content;
      item.sha256 = createHash('sha256').update(d.content).digest('hex');
    }
    const pdf = d.cda?.pdf ?? (d.entry.mimeType?.toLowerCase() === 'application/pdf' ? d.content : undefined);
    if (pdf) item.pdf = pdf;
    docs.push(item);
  });
  if (!docs.length) {
    for (const a of out.attachments) {
      if (a.kind !== 'pdf' || !a.content) continue;
      docs.push({ source: 'pdf', filename: a.filename, content: a.content, size: a.size, sha256: a.sha256, problems: [] });
    }
  }
  out.documents = docs;
}

function kindOf(filename: string, contentType: string, content: Buffer): ReceivedAttachment['kind'] {
  if (/^ihe_xdm\.zip$/i.test(filename)) return 'xdm';
  if (contentType === 'application/pdf' || /\.pdf$/i.test(filename)) return 'pdf';
  if (contentType === 'application/octet-stream' && content.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  return 'other';
}

/** The sender chooses the name: keep the last path segment, without control characters. */
function safeFilename(name: string | undefined): string | undefined {
  const base = name?.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return base ? base.slice(0, 255) : undefined;
}

function addresses(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const objs = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: MailAddress[] = [];
  const visit = (list: { address?: string; name: string; group?: unknown[] }[]) => {
    for (const v of list) {
      if (v.group) visit(v.group as typeof list);
      else if (v.address) out.push(v.name ? { address: v.address, name: v.name } : { address: v.address });
    }
  };
  for (const o of objs) visit(o.value);
  return out;
}

function headerText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return headerText(v[0]);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const o = v as { text?: unknown; value?: unknown };
    if (typeof o.text === 'string') return o.text;
    if (typeof o.value === 'string') return o.value;
  }
  return undefined;
}

/** The header block alone (up to the first empty line, at most 256 KB). */
function headerBlock(raw: Buffer): Buffer {
  const limit = Math.min(raw.length, 256 * 1024);
  const head = raw.subarray(0, limit);
  const crlf = head.indexOf('\r\n\r\n');
  const lf = head.indexOf('\n\n');
  const end = [crlf, lf].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  return Buffer.concat([end === undefined ? head : head.subarray(0, end), Buffer.from('\r\n\r\n')]);
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} Mo`;
}
