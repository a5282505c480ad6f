/**
 * A minimal ordered XML element tree (mixed content kept in document order) and the helpers
 * to walk it. Names are local names when the parser stripped namespace prefixes (the default).
 */
export interface XmlElement {
  name: string;
  /** Null-prototype map: attribute names from the document can never reach Object.prototype. */
  attrs: Record<string, string>;
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

export function isElement(node: XmlNode | undefined | null): node is XmlElement {
  return typeof node === 'object' && node !== null;
}

/** Child elements, optionally only those with this name. */
export function childElements(el: XmlElement | undefined, name?: string): XmlElement[] {
  if (!el) return [];
  const out: XmlElement[] = [];
  for (const c of el.children) if (isElement(c) && (name === undefined || c.name === name)) out.push(c);
  return out;
}

export function firstChild(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (isElement(c) && c.name === name) return c;
  return undefined;
}

/** First element reached by following child names (`path(doc, 'recordTarget', 'patientRole')`). */
export function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = el;
  for (const n of names) {
    cur = firstChild(cur, n);
    if (!cur) return undefined;
  }
  return cur;
}

/** Every element reached by following child names, fanning out at each step. */
export function pathAll(el: XmlElement | undefined, ...names: string[]): XmlElement[] {
  let cur: XmlElement[] = el ? [el] : [];
  for (const n of names) cur = cur.flatMap((e) => childElements(e, n));
  return cur;
}

export function attr(el: XmlElement | undefined, name: string): string | undefined {
  if (!el) return undefined;
  return Object.prototype.hasOwnProperty.call(el.attrs, name) ? el.attrs[name] : undefined;
}

/** Attribute value trimmed; empty strings count as absent. */
export function attrValue(el: XmlElement | undefined, name: string): string | undefined {
  const v = attr(el, name)?.trim();
  return v ? v : undefined;
}

/** Concatenated text of the element and its descendants (raw, not trimmed). */
export function textContent(el: XmlElement | undefined): string {
  if (!el) return '';
  const parts: string[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (typeof c === 'string') parts.push(c);
      else walk(c);
    }
  };
  walk(el);
  return parts.join('');
}

/** Text with whitespace collapsed; undefined when empty. */
export function cleanText(el: XmlElement | undefined): string | undefined {
  const t = textContent(el).replace(/\s+/g, ' ').trim();
  return t ? t : undefined;
}

/** Breadth-first search for the first element (itself included) matching the predicate. */
export function findFirst(el: XmlElement, predicate: (e: XmlElement) => boolean): XmlElement | undefined {
  const queue: XmlElement[] = [el];
  for (let i = 0; i < queue.length; i++) {
    const e = queue[i]!;
    if (predicate(e)) return e;
    for (const c of e.children) if (isElement(c)) queue.push(c);
  }
  return undefined;
}

/** All descendants (itself included) with this name, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const stack: XmlElement[] = [el];
  while (stack.length) {
    const e = stack.pop()!;
    if (e.name === name) out.push(e);
    for (let i = e.children.length - 1; i >= 0; i--) {
      const c = e.children[i];
      if (isElement(c)) stack.push(c);
    }
  }
  return out;
}
