import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../../shared/errors';

/**
 * Minimal namespace-aware XML tree for the DMP module: a safe parser (no DTD, no entity
 * expansion beyond the five predefined ones and character references), lookups by namespace +
 * local name, and exclusive canonicalisation (xml-exc-c14n, without comments) for XML-DSig.
 */
export interface XAttr {
  name: string;
  prefix: string;
  local: string;
  ns: string;
  value: string;
}

export interface XElement {
  name: string;
  prefix: string;
  local: string;
  ns: string;
  attrs: XAttr[];
  children: XNode[];
  /** Namespace declarations written on this element, prefix '' = default namespace. */
  nsDecls: [string, string][];
  /** Every namespace binding in scope at this element (inherited + own). */
  scope: Map<string, string>;
}

export type XNode = XElement | string;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
  allowBooleanAttributes: false,
});

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references; any other reference is refused. */
export function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{1,10});/g, (whole, ref: string) => {
    if (ref in PREDEFINED) return PREDEFINED[ref]!;
    const m = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ref);
    if (m) {
      const cp = m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : parseInt(m[1]!, 10);
      if (cp > 0 && cp <= 0x10ffff) return String.fromCodePoint(cp);
    }
    throw new AppError('BAD_INPUT', 'Document XML refusé : référence d’entité non autorisée.', { ref: whole });
  });
}

/** Parses XML text into an element tree. Refuses DOCTYPE declarations and malformed input. */
export function parseXml(input: string | Buffer): XElement {
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new AppError('BAD_INPUT', 'Document XML refusé : les déclarations DOCTYPE/ENTITY ne sont pas acceptées.');
  }
  text = text.replace(/\r\n?/g, '\n');
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new AppError('BAD_INPUT', 'Document XML mal formé.', { line: valid.err.line, reason: valid.err.code });
  }
  const raw = parser.parse(text) as RawNode[];
  const roots = raw.filter((n) => elementName(n) !== undefined);
  if (roots.length !== 1) throw new AppError('BAD_INPUT', 'Document XML mal formé : un seul élément racine est attendu.');
  return build(roots[0]!, new Map([['xml', XML_NS]]));
}

type RawNode = Record<string, unknown>;

function elementName(n: RawNode): string | undefined {
  return Object.keys(n).find((k) => k !== ':@' && k !== '#text' && k !== '#cdata');
}

function splitName(name: string): [string, string] {
  const i = name.indexOf(':');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

function build(raw: RawNode, parentScope: Map<string, string>): XElement {
  const name = elementName(raw)!;
  const rawAttrs = (raw[':@'] ?? {}) as Record<string, string>;
  const scope = new Map(parentScope);
  const nsDecls: [string, string][] = [];
  const plain: [string, string][] = [];
  for (const [k, v] of Object.entries(rawAttrs)) {
    const value = decodeEntities(String(v).replace(/[\t\n]/g, ' '));
    if (k === 'xmlns') {
      nsDecls.push(['', value]);
      scope.set('', value);
    } else if (k.startsWith('xmlns:')) {
      nsDecls.push([k.slice(6), value]);
      scope.set(k.slice(6), value);
    } else plain.push([k, value]);
  }
  const [prefix, local] = splitName(name);
  const ns = scope.get(prefix) ?? '';
  if (prefix && !scope.has(prefix)) throw new AppError('BAD_INPUT', 'Document XML mal formé : préfixe d’espace de noms non déclaré.', { prefix });
  const attrs: XAttr[] = plain.map(([k, value]) => {
    const [p, l] = splitName(k);
    if (p && !scope.has(p)) throw new AppError('BAD_INPUT', 'Document XML mal formé : préfixe d’espace de noms non déclaré.', { prefix: p });
    return { name: k, prefix: p, local: l, ns: p ? scope.get(p)! : '', value };
  });
  const children: XNode[] = [];
  for (const c of (raw[name] ?? []) as RawNode[]) {
    if ('#text' in c) children.push(decodeEntities(String(c['#text'])));
    else if ('#cdata' in c) {
      const parts = c['#cdata'] as RawNode[];
      children.push(parts.map((p) => String(p['#text'] ?? '')).join(''));
    } else if (elementName(c) !== undefined) children.push(build(c, scope));
  }
  return { name, prefix, local, ns, attrs, children, nsDecls, scope };
}

export function isElement(n: XNode | undefined): n is XElement {
  return typeof n === 'object' && n !== null;
}

export function elements(el: XElement): XElement[] {
  return el.children.filter(isElement);
}

/** Direct children matching a local name (and namespace when given). */
export function children(el: XElement, local: string, ns?: string): XElement[] {
  return elements(el).filter((c) => c.local === local && (ns === undefined || c.ns === ns));
}

export function child(el: XElement | undefined, local: string, ns?: string): XElement | undefined {
  return el ? children(el, local, ns)[0] : undefined;
}

/** Follows a path of local names through first matches. */
export function path(el: XElement | undefined, ...locals: string[]): XElement | undefined {
  let cur = el;
  for (const l of locals) cur = child(cur, l);
  return cur;
}

/** All descendants (depth-first, document order) matching a local name. */
export function descendants(el: XElement, local: string, ns?: string): XElement[] {
  const out: XElement[] = [];
  const walk = (e: XElement) => {
    for (const c of elements(e)) {
      if (c.local === local && (ns === undefined || c.ns === ns)) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

export function attr(el: XElement | undefined, name: string): string | undefined {
  return el?.attrs.find((a) => a.name === name || (a.local === name && a.prefix === ''))?.value;
}

export function textOf(el: XElement | undefined): string {
  if (!el) return '';
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;').replace(/\t/g, '&#x9;');
}

function c14nText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function c14nAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}

export interface C14nOptions {
  /** InclusiveNamespaces PrefixList; '#default' stands for the default namespace. */
  inclusivePrefixes?: string[];
  /** Subtrees to leave out (e.g. the enveloped Signature). */
  exclude?: (el: XElement) => boolean;
}

/** Exclusive XML canonicalisation (http://www.w3.org/2001/10/xml-exc-c14n#) of a subtree. */
export function canonicalize(el: XElement, options: C14nOptions = {}): string {
  const inclusive = new Set((options.inclusivePrefixes ?? []).map((p) => (p === '#default' ? '' : p)));
  const out: string[] = [];
  const render = (e: XElement, rendered: Map<string, string>) => {
    const used = new Set<string>([e.prefix]);
    for (const a of e.attrs) if (a.prefix && a.prefix !== 'xml') used.add(a.prefix);
    for (const p of inclusive) if (e.scope.has(p)) used.add(p);
    const decls: [string, string][] = [];
    const next = new Map(rendered);
    for (const p of used) {
      const uri = e.scope.get(p) ?? '';
      const prev = rendered.get(p) ?? '';
      if (p === '' ? uri !== prev : uri !== rendered.get(p)) {
        if (p !== '' && uri === '') continue;
        decls.push([p, uri]);
        next.set(p, uri);
      }
    }
    decls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const attrs = [...e.attrs].sort((a, b) => (a.ns === b.ns ? (a.local < b.local ? -1 : a.local > b.local ? 1 : 0) : a.ns < b.ns ? -1 : 1));
    out.push('<', e.name);
    for (const [p, uri] of decls) out.push(p ? ` xmlns:${p}="` : ' xmlns="', c14nAttr(uri), '"');
    for (const a of attrs) out.push(' ', a.name, '="', c14nAttr(a.value), '"');
    out.push('>');
    for (const c of e.children) {
      if (typeof c === 'string') out.push(c14nText(c));
      else if (!options.exclude?.(c)) render(c, next);
    }
    out.push('</', e.name, '>');
  };
  render(el, new Map());
  return out.join('');
}

export type XmlAttrs = Record<string, string | number | undefined>;

/** Serialises one element from already-serialised children (strings are inserted verbatim). */
export function xmlEl(name: string, attrs: XmlAttrs = {}, ...content: (string | undefined | false)[]): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
  const inner = content.filter((c): c is string => typeof c === 'string').join('');
  return inner ? `<${name}${a}>${inner}</${name}>` : `<${name}${a}/>`;
}

/** Element with escaped text content. */
export function xmlText(name: string, attrs: XmlAttrs, text: string): string {
  return xmlEl(name, attrs, escapeText(text) || undefined);
}
