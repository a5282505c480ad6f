/**
 * Just enough header reading to fill a received_messages row (Message-ID, From, Subject) from the
 * raw source, so that the server is not asked for ENVELOPE (costly on a cold mailbox). Full MIME
 * parsing happens later, in the processing pipeline (parseMssMessage).
 */

export interface RowHeaders {
  messageId: string | null;
  sender: string | null;
  subject: string | null;
}

const MAX_HEADER_BYTES = 256 * 1024;

export function headerBlock(raw: Buffer): string {
  const limit = Math.min(raw.length, MAX_HEADER_BYTES);
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0 || end > limit) {
    const lf = raw.indexOf('\n\n');
    end = lf >= 0 && lf <= limit ? lf : limit;
  }
  return raw.subarray(0, end).toString('latin1');
}

function field(block: string, name: string): string | null {
  const re = new RegExp(`^${name}[ \\t]*:(.*(?:\\r?\\n[ \\t].*)*)`, 'im');
  const m = re.exec(block);
  if (!m) return null;
  return m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** RFC 2047 encoded words (B and Q), any charset the runtime decodes; raw 8-bit read as UTF-8. */
export function decodeWords(value: string): string {
  const bytes = (s: string) => Buffer.from(s, 'latin1');
  const text = /[\x80-\xff]/.test(value) ? bytes(value).toString('utf8') : value;
  return text
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (whole, charset: string, enc: string, data: string) => {
      try {
        const buf = enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : bytes(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
        return new TextDecoder(charset.replace(/\*.*$/, '').toLowerCase()).decode(buf);
      } catch {
        return whole;
      }
    });
}

export function readRowHeaders(raw: Buffer): RowHeaders {
  const block = headerBlock(raw);
  const id = field(block, 'message-id');
  const from = field(block, 'from');
  const subject = field(block, 'subject');
  const messageId = id ? (/<[^<>\s]+>/.exec(id)?.[0] ?? id.split(/\s+/)[0] ?? null) : null;
  return {
    messageId: messageId && messageId.length <= 998 ? messageId : null,
    sender: from ? decodeWords(from).slice(0, 500) : null,
    subject: subject !== null ? decodeWords(subject).slice(0, 2000) : null,
  };
}
