import { isInsOid, isInsShaped } from '../../cda/types';
import { hl7Date } from '../../xml/hl7-time';
import type { XdsInstitution, XdsPatientId, XdsPatientInfo, XdsPerson } from './types';

/** HL7 v2 values used by XDS metadata (ITI TF-3 §4.2.3.1.7): CX, XCN, XON and PID fields. */

const comps = (v: string) => v.split('^');
const subs = (v: string | undefined) => (v ?? '').split('&');
const opt = (v: string | undefined) => {
  const t = v?.trim();
  return t ? t : undefined;
};

/** `<id>^^^&<oid>&ISO^<type>` → id, OID, and the INS when the OID is an INS authority. */
export function parseCx(raw: string): XdsPatientId | undefined {
  const value = raw.trim();
  const c = comps(value);
  const id = opt(c[0]);
  if (!id) return undefined;
  const out: XdsPatientId = { raw: value, id };
  const oid = opt(subs(c[3])[1]);
  if (oid) out.oid = oid;
  if (isInsOid(oid) && isInsShaped(id)) out.ins = { matricule: id.toUpperCase(), oid: oid! };
  return out;
}

/** authorPerson / legalAuthenticator: `id^family^given^^^^^^&oid&ISO^...`. */
export function parseXcn(raw: string): XdsPerson {
  const c = comps(raw.trim());
  const out: XdsPerson = { raw: raw.trim() };
  const id = opt(c[0]);
  const family = opt(c[1]);
  const given = opt(c[2]);
  const oid = opt(subs(c[8])[1]);
  if (id) out.id = id;
  if (family) out.familyName = family;
  if (given) out.givenName = given;
  if (oid) out.idOid = oid;
  return out;
}

/** authorInstitution: `name^^^^^&oid&ISO^type^^^id`. */
export function parseXon(raw: string): XdsInstitution {
  const c = comps(raw.trim());
  const out: XdsInstitution = { raw: raw.trim() };
  const name = opt(c[0]);
  const oid = opt(subs(c[5])[1]);
  const id = opt(c[9]);
  if (name) out.name = name;
  if (oid) out.idOid = oid;
  if (id) out.id = id;
  return out;
}

/**
 * `sourcePatientInfo` values (`PID-5|...`). French usage (IHE PAM FR): PID-5 type `L` = birth
 * name, component 2 = first birth first name, component 3 = every birth first name separated by
 * spaces; type `D` = used name. A name without type is kept as used name, never as a birth trait.
 */
export function parsePatientInfo(values: string[]): XdsPatientInfo {
  const out: XdsPatientInfo = { ids: [], birthGivenNames: [] };
  for (const v of values) {
    const m = /^\s*PID-(\d+)\s*\|(.*)$/s.exec(v);
    if (!m) continue;
    const field = Number(m[1]);
    const value = m[2]!.trim();
    for (const rep of value.split('~')) {
      const c = comps(rep);
      switch (field) {
        case 3:
          if (opt(c[0])) out.ids.push(rep.trim());
          break;
        case 5: {
          const type = opt(c[6])?.toUpperCase();
          const family = opt(c[0]);
          const first = opt(c[1]);
          if (type === 'L') {
            if (family) out.birthName ??= family;
            const all = opt(c[2])?.split(/\s+/) ?? (first ? [first] : []);
            if (!out.birthGivenNames.length) out.birthGivenNames = all;
          } else {
            if (family) out.usedName ??= family;
            if (first) out.usedGivenName ??= first;
          }
          break;
        }
        case 7: {
          const d = hl7Date(opt(c[0]));
          if (d) out.birthDate = d;
          break;
        }
        case 8: {
          const s = opt(c[0])?.toUpperCase();
          if (s) out.sex = s === 'F' || s === 'M' ? s : 'U';
          break;
        }
        case 11:
          if (opt(c[6])?.toUpperCase() === 'BDL' && opt(c[8])) out.birthplaceCode = opt(c[8])!;
          break;
      }
    }
  }
  return out;
}
