/**
 * HL7 time stamps (v3 `TS` in CDA, v2 `DTM` in XDS metadata): `YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]`.
 */
const TS_RE = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?([+-]\d{4})?$/;

export interface Hl7TimeOptions {
  /** Zone to assume when the value has none: XDS metadata times are UTC (ITI TF-3 §4.2.3.1.7). */
  assumeUtc?: boolean;
}

/**
 * ISO 8601 form of an HL7 time stamp, keeping its precision and zone:
 * `19790328` → `1979-03-28`; `20210401134745+0100` → `2021-04-01T13:47:45+01:00`;
 * `202101040735` → `2021-01-04T07:35` (no zone stated: left as local time unless assumeUtc).
 * Returns undefined for anything that is not a time stamp.
 */
export function hl7TimeToIso(value: string | undefined, options: Hl7TimeOptions = {}): string | undefined {
  const m = value ? TS_RE.exec(value.trim()) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (mo && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (d && (Number(d) < 1 || Number(d) > 31)) return undefined;
  let out = y!;
  if (mo) out += `-${mo}`;
  if (d) out += `-${d}`;
  if (!h) return out;
  out += `T${h}:${mi ?? '00'}`;
  if (s) out += `:${s}${frac ?? ''}`;
  if (tz) out += tz === '+0000' || tz === '-0000' ? 'Z' : `${tz.slice(0, 3)}:${tz.slice(3)}`;
  else if (options.assumeUtc) out += 'Z';
  return out;
}

/** `YYYY-MM-DD` from an HL7 time stamp carrying at least a full date (birth dates). */
export function hl7Date(value: string | undefined): string | undefined {
  const iso = hl7TimeToIso(value);
  return iso && iso.length >= 10 ? iso.slice(0, 10) : undefined;
}
