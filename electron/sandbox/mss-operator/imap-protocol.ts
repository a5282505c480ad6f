/**
 * IMAP4rev1 wire format for the sandbox operator (RFC 3501): an incremental command reader that
 * handles synchronising and non-synchronising literals, a tokenizer (atoms, quoted strings,
 * literals, lists, `BODY[...]<...>` fetch attributes), sequence sets, and response encoders.
 */

export type Token =
  | { type: 'atom'; value: string }
  | { type: 'string'; value: Buffer }
  | { type: 'list'; items: Token[] }
  | { type: 'nil' };

export interface ReaderEvents {
  /** A complete line-based command (with its literals inlined as tokens). */
  command(parts: CommandPart[]): void;
  /** The client sent a synchronising literal: the server must answer `+` before it continues. */
  continuation(): void;
  /** A line too long or a literal too big: the connection must be dropped. */
  overflow(reason: string): void;
}

export type CommandPart = { text: string } | { literal: Buffer };

export class CommandReader {
  #buf: Buffer = Buffer.alloc(0);
  #parts: CommandPart[] = [];
  #literalLeft = 0;
  #literalChunks: Buffer[] = [];
  readonly #events: ReaderEvents;
  readonly #maxLine: number;
  readonly #maxLiteral: number;
  /** Raw line mode (AUTHENTICATE continuations, IDLE's DONE): the next line is handed as is. */
  rawLine: ((line: string) => void) | null = null;

  constructor(events: ReaderEvents, limits: { maxLine?: number; maxLiteral?: number } = {}) {
    this.#events = events;
    this.#maxLine = limits.maxLine ?? 64 * 1024;
    this.#maxLiteral = limits.maxLiteral ?? 64 * 1024 * 1024;
  }

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    for (;;) {
      if (this.#literalLeft > 0) {
        if (!this.#buf.length) return;
        const take = Math.min(this.#literalLeft, this.#buf.length);
        this.#literalChunks.push(this.#buf.subarray(0, take));
        this.#buf = this.#buf.subarray(take);
        this.#literalLeft -= take;
        if (this.#literalLeft > 0) return;
        this.#parts.push({ literal: Buffer.concat(this.#literalChunks) });
        this.#literalChunks = [];
        continue;
      }
      const nl = this.#buf.indexOf('\n');
      if (nl < 0) {
        if (this.#buf.length > this.#maxLine) this.#events.overflow('ligne trop longue');
        return;
      }
      const line = this.#buf.subarray(0, nl).toString('utf8').replace(/\r$/, '');
      this.#buf = this.#buf.subarray(nl + 1);
      if (this.rawLine && !this.#parts.length) {
        const handler = this.rawLine;
        this.rawLine = null;
        handler(line);
        continue;
      }
      const m = /\{(\d+)(\+?)\}$/.exec(line);
      if (m) {
        const size = Number(m[1]);
        if (size > this.#maxLiteral) {
          this.#events.overflow('littéral trop volumineux');
          return;
        }
        this.#parts.push({ text: line.slice(0, m.index) });
        this.#literalLeft = size;
        if (size === 0) {
          this.#parts.push({ literal: Buffer.alloc(0) });
        }
        if (!m[2]) this.#events.continuation();
        continue;
      }
      this.#parts.push({ text: line });
      const parts = this.#parts;
      this.#parts = [];
      this.#events.command(parts);
    }
  }
}

/** Tokenizes a command; literals come as `{ literal }` parts between text segments. */
export function tokenize(parts: CommandPart[]): Token[] {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  const push = (t: Token) => stack[stack.length - 1]!.push(t);
  for (const part of parts) {
    if ('literal' in part) {
      push({ type: 'string', value: part.literal });
      continue;
    }
    const s = part.text;
    let i = 0;
    while (i < s.length) {
      const c = s[i]!;
      if (c === ' ') {
        i++;
      } else if (c === '(') {
        const list: Token = { type: 'list', items: [] };
        push(list);
        stack.push(list.items);
        i++;
      } else if (c === ')') {
        if (stack.length > 1) stack.pop();
        i++;
      } else if (c === '"') {
        let j = i + 1;
        let out = '';
        while (j < s.length && s[j] !== '"') {
          if (s[j] === '\\' && j + 1 < s.length) j++;
          out += s[j];
          j++;
        }
        push({ type: 'string', value: Buffer.from(out, 'utf8') });
        i = j + 1;
      } else {
        let j = i;
        let depth = 0;
        while (j < s.length) {
          const d = s[j]!;
          if (d === '[') depth++;
          else if (d === ']') depth--;
          else if (depth === 0 && (d === ' ' || d === ')' || d === '(')) break;
          j++;
        }
        const value = s.slice(i, j);
        push(value.toUpperCase() === 'NIL' ? { type: 'nil' } : { type: 'atom', value });
        i = j;
      }
    }
  }
  return root;
}

export function tokenText(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.type === 'atom') return t.value;
  if (t.type === 'string') return t.value.toString('utf8');
  return undefined;
}

/** Parses `1:3,7,9:*` into a predicate over numbers; `*` is `max`. */
export function parseSequenceSet(set: string, max: number): ((n: number) => boolean) | null {
  const ranges: [number, number][] = [];
  for (const part of set.split(',')) {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(part.trim());
    if (!m) return null;
    const a = m[1] === '*' ? max : Number(m[1]);
    const b = m[2] === undefined ? a : m[2] === '*' ? max : Number(m[2]);
    ranges.push([Math.min(a, b), Math.max(a, b)]);
  }
  return (n) => ranges.some(([lo, hi]) => n >= lo && n <= hi);
}

/** IMAP string: quoted when safe, literal otherwise. */
export function imapString(value: string | Buffer | null | undefined): Buffer {
  if (value === null || value === undefined) return Buffer.from('NIL');
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  const safe = buf.length < 1024 && !buf.some((b) => b === 0x0d || b === 0x0a || b === 0 || b > 0x7e);
  if (safe) return Buffer.from(`"${buf.toString('latin1').replace(/[\\"]/g, (c) => `\\${c}`)}"`, 'latin1');
  return Buffer.concat([Buffer.from(`{${buf.length}}\r\n`), buf]);
}

export function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `02-Mar-2026 09:30:00 +0000` */
export function imapDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function parseImapDate(value: string): Date | null {
  const m = /^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{2}):(\d{2}):(\d{2})\s+([+-])(\d{2})(\d{2}))?\s*$/.exec(value);
  if (!m) return null;
  const month = MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase());
  if (month < 0) return null;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  const offset = m[7] ? (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) : 0;
  return new Date(utc - offset * 60_000);
}

// ---------------------------------------------------------------------------------------------
// Header parsing for ENVELOPE and HEADER.FIELDS

export interface ParsedHeaders {
  /** Raw header block including the terminating empty line. */
  block: Buffer;
  bodyOffset: number;
  /** Lower-case name → unfolded values, in order. */
  fields: Map<string, string[]>;
  /** Raw lines (folded) per field occurrence, in order: [name, rawBytes]. */
  lines: { name: string; raw: Buffer }[];
}

export function parseHeaders(raw: Buffer): ParsedHeaders {
  let end = raw.indexOf('\r\n\r\n');
  let bodyOffset: number;
  if (end >= 0) bodyOffset = end + 4;
  else {
    end = raw.indexOf('\n\n');
    bodyOffset = end >= 0 ? end + 2 : raw.length;
  }
  const block = raw.subarray(0, bodyOffset);
  const text = block.toString('latin1');
  const lines: { name: string; raw: Buffer }[] = [];
  const fields = new Map<string, string[]>();
  const rawLines = text.split(/(?<=\n)/);
  let current: { name: string; text: string } | null = null;
  const flush = () => {
    if (!current) return;
    lines.push({ name: current.name, raw: Buffer.from(current.text, 'latin1') });
    const value = current.text.slice(current.text.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').replace(/\r?\n$/, '').trim();
    const list = fields.get(current.name) ?? [];
    list.push(Buffer.from(value, 'latin1').toString('utf8'));
    fields.set(current.name, list);
    current = null;
  };
  for (const l of rawLines) {
    if (l === '\r\n' || l === '\n') break;
    if (/^[ \t]/.test(l) && current) {
      current.text += l;
      continue;
    }
    flush();
    const colon = l.indexOf(':');
    if (colon <= 0) continue;
    current = { name: l.slice(0, colon).trim().toLowerCase(), text: l };
  }
  flush();
  return { block, bodyOffset, fields, lines };
}
