import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { attr, descendants, type XElement } from './xml';

/**
 * MTOM/XOP (multipart/related) packaging of SOAP 1.2 messages: the SOAP envelope is the root
 * part (application/xop+xml) and binary documents travel as separate parts referenced by
 * <xop:Include href="cid:…"/>.
 */
export const NS_XOP = 'http://www.w3.org/2004/08/xop/include';

export interface MimePart {
  headers: Record<string, string>;
  body: Buffer;
}

export interface Attachment {
  contentId: string;
  contentType: string;
  data: Buffer;
}

export interface ContentType {
  type: string;
  params: Record<string, string>;
}

export function parseContentType(header: string | undefined): ContentType {
  const [type = '', ...rest] = splitOutsideQuotes(header ?? '', ';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, i).trim().toLowerCase()] = v;
  }
  return { type: type.trim().toLowerCase(), params };
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function newContentId(label = 'part'): string {
  return `${label}-${randomUUID()}@lgc-segur`;
}

/** `cid:` URL of a Content-ID (RFC 2392). */
export function cidHref(contentId: string): string {
  return `cid:${encodeURIComponent(contentId).replace(/%40/g, '@')}`;
}

export interface BuiltMultipart {
  contentType: string;
  body: Buffer;
}

/** Builds an MTOM message: SOAP 1.2 envelope as XOP root part plus binary attachments. */
export function buildMtom(envelopeXml: string, action: string, attachments: Attachment[] = []): BuiltMultipart {
  const boundary = `MIMEBoundary_${randomUUID().replace(/-/g, '')}`;
  const rootId = newContentId('root');
  const chunks: Buffer[] = [];
  const part = (headers: string[], body: Buffer) => {
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'), body, Buffer.from('\r\n', 'utf8'));
  };
  part(
    [
      'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"',
      'Content-Transfer-Encoding: binary',
      `Content-ID: <${rootId}>`,
    ],
    Buffer.from(envelopeXml, 'utf8'),
  );
  for (const a of attachments) {
    part([`Content-Type: ${a.contentType}`, 'Content-Transfer-Encoding: binary', `Content-ID: <${a.contentId}>`], a.data);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  const contentType =
    `multipart/related; boundary="${boundary}"; type="application/xop+xml"; start="<${rootId}>"; ` +
    `start-info="application/soap+xml"; action="${action}"`;
  return { contentType, body: Buffer.concat(chunks) };
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // Unfold continuation lines (RFC 5322).
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

function decodeBody(part: MimePart): Buffer {
  const cte = (part.headers['content-transfer-encoding'] ?? 'binary').toLowerCase();
  if (cte === 'base64') return Buffer.from(part.body.toString('ascii').replace(/\s+/g, ''), 'base64');
  if (cte === 'binary' || cte === '8bit' || cte === '7bit') return part.body;
  throw new AppError('BAD_INPUT', `Message MTOM non pris en charge (encodage ${cte}).`);
}

export interface ParsedMultipart {
  root: MimePart;
  /** Parts by Content-ID without angle brackets. */
  parts: Map<string, MimePart>;
}

/** Splits a multipart/related body; the boundary and root part come from the Content-Type header. */
export function parseMultipart(contentTypeHeader: string | undefined, body: Buffer): ParsedMultipart {
  const ct = parseContentType(contentTypeHeader);
  const boundary = ct.params.boundary;
  if (!ct.type.startsWith('multipart/') || !boundary) {
    throw new AppError('BAD_INPUT', 'Message MTOM invalide : en-tête Content-Type sans boundary.');
  }
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  const parts: MimePart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new AppError('BAD_INPUT', 'Message MTOM invalide : boundary introuvable.');
  for (;;) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing "--"
    while (body[start] === 0x20 || body[start] === 0x09) start++;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    else if (body[start] === 0x0a) start += 1;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new AppError('BAD_INPUT', 'Message MTOM tronqué.');
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    else if (body[end - 1] === 0x0a) end -= 1;
    const raw = body.subarray(start, end);
    let sep = raw.indexOf('\r\n\r\n');
    let headerLen = 4;
    if (sep < 0) {
      sep = raw.indexOf('\n\n');
      headerLen = 2;
    }
    if (sep < 0) throw new AppError('BAD_INPUT', 'Message MTOM invalide : partie sans en-têtes.');
    const headers = parseHeaders(raw.subarray(0, sep).toString('utf8').replace(/(?<!\r)\n/g, '\r\n'));
    const part: MimePart = { headers, body: raw.subarray(sep + headerLen) };
    part.body = decodeBody(part);
    parts.push(part);
    pos = next;
  }
  if (!parts.length) throw new AppError('BAD_INPUT', 'Message MTOM vide.');
  const byId = new Map<string, MimePart>();
  for (const p of parts) {
    const id = p.headers['content-id'];
    if (id) byId.set(id.replace(/^<|>$/g, ''), p);
  }
  const start = ct.params.start?.replace(/^<|>$/g, '');
  const root = (start && byId.get(start)) || parts[0]!;
  return { root, parts: byId };
}

/** Binary content of an element holding <xop:Include href="cid:…"/> (or inline base64). */
export function resolveXop(el: XElement, parts: Map<string, MimePart> | undefined): Buffer {
  const include = descendants(el, 'Include', NS_XOP)[0];
  if (!include) {
    const inline = el.children.filter((c): c is string => typeof c === 'string').join('').replace(/\s+/g, '');
    return Buffer.from(inline, 'base64');
  }
  const href = attr(include, 'href') ?? '';
  const id = decodeURIComponent(href.replace(/^cid:/i, ''));
  const part = parts?.get(id);
  if (!part) throw new AppError('BAD_INPUT', 'Message MTOM invalide : pièce jointe référencée introuvable.', { href });
  return part.body;
}
