import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * XML parsing for SOAP traffic. DTDs are refused outright and entity processing is off, so
 * no external or expanding entity can ever be resolved; only the five predefined entities and
 * numeric character references are decoded, by hand, in text values.
 */
export class UnsafeOrMalformedXmlError extends Error {
  override name = 'UnsafeOrMalformedXmlError';
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return safeCodePoint(parseInt(ref.slice(2), 16), whole);
    if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10), whole);
    return PREDEFINED[ref] ?? whole;
  });
}

function safeCodePoint(cp: number, fallback: string): string {
  return Number.isInteger(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  tagValueProcessor: (_name, value) => decodeXmlText(value),
});

/** Parses to a plain object tree (namespace prefixes removed). Throws UnsafeOrMalformedXmlError. */
export function parseSafeXml(xml: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new UnsafeOrMalformedXmlError('DOCTYPE/ENTITY refusé');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new UnsafeOrMalformedXmlError(`XML mal formé : ${valid.err.msg}`);
  return parser.parse(xml) as Record<string, unknown>;
}

/** Follows a path of local names; returns undefined when any step is missing. */
export function pick(node: unknown, ...path: string[]): unknown {
  let current: unknown = node;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Text content of a leaf, or undefined when absent / not a leaf. */
export function pickText(node: unknown, ...path: string[]): string | undefined {
  const v = pick(node, ...path);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
