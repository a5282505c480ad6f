import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../../shared/errors';
import type { XmlElement, XmlNode } from './tree';

/**
 * Hardened XML parsing for documents received from outside (CDA, XDS metadata, SOAP replies).
 * - any DOCTYPE or ENTITY declaration is refused (XXE, billion laughs): nothing is ever expanded
 *   except the 5 predefined entities and numeric character references, decoded here in one pass;
 * - input size and nesting depth are capped;
 * - namespace prefixes are stripped by default (`ns2:Slot` → `Slot`), so readers match local names.
 */
export interface SafeXmlOptions {
  /** Maximum input size in bytes (default 50 MB, the per-entry cap of an XDM archive). */
  maxBytes?: number;
  /** Maximum element nesting depth (default 256). */
  maxDepth?: number;
  /** Keep `prefix:` in element and attribute names (default false). */
  keepNsPrefix?: boolean;
  /** Check well-formedness before parsing (default true). */
  validate?: boolean;
}

export const DEFAULT_XML_MAX_BYTES = 50 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 256;

/** Object form (fast-xml-parser style): attributes as `@_name`, mixed text as `#text`. */
export type XmlObject = { [key: string]: XmlValue };
export type XmlValue = string | XmlObject | XmlValue[];

const bad = (message: string, details?: unknown) => new AppError('BAD_INPUT', message, details);

/** Decodes bytes to text honouring the BOM and the XML declaration; enforces the size cap. */
export function decodeXmlInput(input: string | Buffer, maxBytes = DEFAULT_XML_MAX_BYTES): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes) throw bad(`Document XML trop volumineux (limite ${formatMb(maxBytes)}).`);
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (input.length > maxBytes) throw bad(`Document XML trop volumineux (limite ${formatMb(maxBytes)}).`);
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) return input.subarray(3).toString('utf8');
  if (input[0] === 0xff && input[1] === 0xfe) return new TextDecoder('utf-16le').decode(input.subarray(2));
  if (input[0] === 0xfe && input[1] === 0xff) return new TextDecoder('utf-16be').decode(input.subarray(2));
  const head = input.subarray(0, 200).toString('latin1');
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  if (!declared || declared === 'utf-8' || declared === 'utf8' || declared === 'us-ascii') return input.toString('utf8');
  try {
    return new TextDecoder(declared).decode(input);
  } catch {
    throw bad(`Encodage XML non pris en charge : ${declared}.`);
  }
}

/** Refuses DTDs and entity declarations anywhere in the text (comments and CDATA included). */
export function assertNoDtd(text: string): void {
  if (/<!DOCTYPE/i.test(text)) throw bad('Document XML refusé : déclaration DOCTYPE interdite.');
  if (/<!ENTITY/i.test(text)) throw bad('Document XML refusé : déclaration ENTITY interdite.');
}

const ENTITY_RE = /&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos);/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Single-pass decoding of the 5 predefined entities and numeric references; others stay literal. */
export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY_RE, (whole, ref: string) => {
    if (ref[0] !== '#') return PREDEFINED[ref] ?? whole;
    const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!Number.isFinite(cp) || cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return whole;
    return String.fromCodePoint(cp);
  });
}

/** Parses into an ordered element tree and returns the document (root) element. */
export function parseXmlTree(input: string | Buffer, options: SafeXmlOptions = {}): XmlElement {
  const text = decodeXmlInput(input, options.maxBytes ?? DEFAULT_XML_MAX_BYTES);
  assertNoDtd(text);
  if (options.validate !== false) {
    const res = XMLValidator.validate(text);
    if (res !== true) {
      throw bad(`Document XML mal formé (ligne ${res.err.line}, colonne ${res.err.col}).`, { reason: res.err.msg });
    }
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    removeNSPrefix: !options.keepNsPrefix,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: false,
    htmlEntities: false,
    cdataPropName: '#cdata',
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    jPath: false, // no path strings are built for callbacks we do not use (faster on large documents)
  });
  let ordered: unknown;
  try {
    ordered = parser.parse(text);
  } catch (e) {
    throw bad('Document XML illisible.', { reason: e instanceof Error ? e.message : String(e) });
  }
  const roots = convertList(ordered).filter((n): n is XmlElement => typeof n !== 'string');
  if (roots.length !== 1) throw bad('Document XML illisible : élément racine absent ou multiple.');
  return roots[0]!;
}

function convertList(list: unknown): XmlNode[] {
  const out: XmlNode[] = [];
  if (!Array.isArray(list)) return out;
  for (const item of list as Record<string, unknown>[]) {
    for (const key of Object.keys(item)) {
      if (key === ':@') continue;
      const value = item[key];
      if (key === '#text') out.push(decodeXmlEntities(String(value)));
      else if (key === '#cdata') {
        if (Array.isArray(value)) for (const c of value as Record<string, unknown>[]) out.push(String(c['#text'] ?? ''));
      } else if (key.startsWith('?') || key.startsWith('!')) continue;
      else out.push(makeElement(key, item[':@'], value));
    }
  }
  // CDATA yields raw text; neighbouring text nodes are merged so readers see one run.
  const merged: XmlNode[] = [];
  for (const n of out) {
    const last = merged[merged.length - 1];
    if (typeof n === 'string' && typeof last === 'string') merged[merged.length - 1] = last + n;
    else merged.push(n);
  }
  return merged;
}

function makeElement(name: string, rawAttrs: unknown, children: unknown): XmlElement {
  const attrs: Record<string, string> = Object.create(null);
  if (rawAttrs && typeof rawAttrs === 'object') {
    for (const [k, v] of Object.entries(rawAttrs as Record<string, unknown>)) {
      if (k.startsWith('xmlns')) continue;
      attrs[k] = decodeXmlEntities(String(v));
    }
  }
  return { name, attrs, children: convertList(children) };
}

/**
 * Parses into the object form: `{ root: { '@_attr': 'v', child: 'text' | {...} | [...], '#text': '...' } }`.
 * An element with neither attributes nor child elements becomes its trimmed text.
 * Objects have a null prototype (document names can never collide with Object.prototype).
 */
export function parseXmlSafe(input: string | Buffer, options: SafeXmlOptions = {}): XmlObject {
  const root = parseXmlTree(input, options);
  const out: XmlObject = Object.create(null);
  out[root.name] = toObject(root);
  return out;
}

function toObject(el: XmlElement): XmlValue {
  const attrNames = Object.keys(el.attrs);
  const elements = el.children.filter((c): c is XmlElement => typeof c !== 'string');
  const text = el.children.filter((c): c is string => typeof c === 'string').join('').trim();
  if (!attrNames.length && !elements.length) return text;
  const o: XmlObject = Object.create(null);
  for (const a of attrNames) o['@_' + a] = el.attrs[a]!;
  for (const c of elements) {
    const v = toObject(c);
    const prev = o[c.name];
    // toObject never returns an array, so an array here is the list of repeated children.
    if (prev === undefined) o[c.name] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else o[c.name] = [prev, v];
  }
  if (text) o['#text'] = text;
  return o;
}

/** Follows child names in the object form; at each step an array means "take the first". */
export function xmlGet(node: unknown, ...names: string[]): unknown {
  let cur: unknown = node;
  for (const n of names) {
    if (Array.isArray(cur)) cur = cur[0];
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[n];
  }
  return cur;
}

/** Follows child names in the object form, fanning out over arrays; always returns an array. */
export function xmlAll(node: unknown, ...names: string[]): unknown[] {
  let cur: unknown[] = node === undefined ? [] : Array.isArray(node) ? node : [node];
  for (const n of names) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (c === null || typeof c !== 'object') continue;
      const v = (c as Record<string, unknown>)[n];
      if (v === undefined) continue;
      if (Array.isArray(v)) next.push(...v);
      else next.push(v);
    }
    cur = next;
  }
  return cur;
}

/** Text of a node of the object form (a string, or the `#text` of an element with attributes). */
export function xmlText(node: unknown): string | undefined {
  if (Array.isArray(node)) node = node[0];
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') {
    const t = (node as Record<string, unknown>)['#text'];
    return typeof t === 'string' ? t : undefined;
  }
  return undefined;
}

/** Attribute of a node of the object form. */
export function xmlAttr(node: unknown, name: string): string | undefined {
  if (Array.isArray(node)) node = node[0];
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as Record<string, unknown>)['@_' + name];
  return typeof v === 'string' ? v : undefined;
}

function formatMb(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} Mo`;
}
