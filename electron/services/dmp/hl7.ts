import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import type { CdaAuthor, CdaPatient, InsRef, Practice } from './types';

/** OIDs and value formats shared by the CDA header, the XDS metadata and the VIHF. */
export const OID = {
  /** Identifiant national de professionnel (8 + RPPS). */
  IDNPS: '1.2.250.1.71.4.2.1',
  /** Identifiant national de structure. */
  IDNST: '1.2.250.1.71.4.2.2',
  /** TRE_R02 secteur d'activité (SA07 cabinet individuel). */
  SECTEUR_ACTIVITE: '1.2.250.1.71.4.2.4',
  /** TRE_R38/R01 savoir-faire (SM26). */
  SAVOIR_FAIRE: '1.2.250.1.71.4.2.5',
  /** TRE_G15 profession de santé. */
  PROFESSION: '1.2.250.1.71.1.2.7',
  /** JDV_J01 XdsAuthorSpecialty (codes G15_xx/SMyy). */
  AUTHOR_SPECIALTY: '1.2.250.1.213.1.1.4.5',
  /** TRE_A03 classe de document (XDS classCode). */
  CLASS_CODE: '1.2.250.1.213.1.1.4.1',
  /** TRE_A01 cadre d'exercice (practiceSettingCode). */
  PRACTICE_SETTING: '1.2.250.1.213.1.1.4.9',
  /** TRE_A07 statut de visibilité (MASQUE_PS, INVISIBLE_PATIENT…). */
  DMP_VISIBILITY: '1.2.250.1.213.1.1.4.13',
  /** Scheme the ANS XDM examples use for formatCode urn:ihe:iti:xds-sd:pdf:2008. */
  FORMAT_CODE: '1.2.250.1.213.1.1.4.12',
  LOINC: '2.16.840.1.113883.6.1',
  CONFIDENTIALITY: '2.16.840.1.113883.5.25',
  GENDER: '2.16.840.1.113883.5.1',
} as const;

export const INS_OIDS: Record<string, string> = {
  '1.2.250.1.213.1.4.8': 'INS-NIR',
  '1.2.250.1.213.1.4.9': 'INS-NIA',
  '1.2.250.1.213.1.4.10': 'INS-NIR de test',
  '1.2.250.1.213.1.4.11': 'INS-NIR de démonstration',
};

export function insOf(patient: Pick<CdaPatient, 'insMatricule' | 'insOid'>): InsRef {
  return { matricule: patient.insMatricule, oid: patient.insOid };
}

/** HL7 CX form of an INS: `<matricule>^^^&<OID>&ISO^NH`. */
export function insCx(ins: InsRef): string {
  return `${ins.matricule}^^^&${ins.oid}&ISO^NH`;
}

export interface ParsedCx {
  id: string;
  oid: string;
  type: string;
}

export function parseCx(cx: string): ParsedCx | undefined {
  const m = /^([^^]+)\^\^\^&([0-9.]+)&ISO(?:\^([A-Z]+))?$/.exec(cx.trim());
  return m ? { id: m[1]!, oid: m[2]!, type: m[3] ?? '' } : undefined;
}

export function assertIns(ins: InsRef): void {
  if (!/^[0-9]{6}[0-9AB][0-9]{8}$/.test(ins.matricule) || !(ins.oid in INS_OIDS)) {
    throw new AppError('IDENTITY_RULE', 'INS invalide : matricule de 15 caractères et OID d’autorité d’affectation INS attendus.');
  }
}

function hl7Escape(s: string): string {
  return s.replace(/[\^&~\\|]/g, ' ').trim();
}

/** XCN of a professional, as the ANS examples write it. */
export function authorXcn(author: Pick<CdaAuthor, 'nationalId' | 'familyName' | 'givenName'>): string {
  return `${author.nationalId}^${hl7Escape(author.familyName)}^${hl7Escape(author.givenName)}^^^^^^&${OID.IDNPS}&ISO^D^^^IDNPS`;
}

/** XON of the practice. */
export function institutionXon(practice: Pick<Practice, 'name' | 'structureId' | 'structureIdRoot'>): string {
  return `${hl7Escape(practice.name)}^^^^^&${practice.structureIdRoot ?? OID.IDNST}&ISO^IDNST^^^${practice.structureId}`;
}

/** Local date/time parts and UTC offset (minutes) of an instant in Europe/Paris. */
function parisParts(date: Date): { parts: Record<string, string>; offsetMin: number } {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Paris',
    hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(date)) parts[p.type] = p.value;
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return { parts, offsetMin: Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000) };
}

/** HL7 TS with time zone in French local time: YYYYMMDDHHmmss+0100 (or +0200 in summer). */
export function cdaTime(date: Date): string {
  const { parts, offsetMin } = parisParts(date);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const tz = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}${tz}`;
}

/** XDS DTM in UTC: YYYYMMDDHHmmss. */
export function xdsTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Parses an HL7 TS (YYYY[MM[DD[HH[mm[ss]]]]][±ZZzz]); without zone, UTC is assumed (XDS rule). */
export function parseHl7Time(ts: string): Date | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(ts.trim());
  if (!m) return undefined;
  const utc = Date.UTC(+m[1]!, +(m[2] ?? 1) - 1, +(m[3] ?? 1), +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  let offset = 0;
  if (m[7]) offset = (m[7][0] === '-' ? -1 : 1) * (+m[7].slice(1, 3) * 60 + +m[7].slice(3, 5));
  return new Date(utc - offset * 60000);
}

/** HL7 TS → XDS DTM (UTC). */
export function hl7ToXdsTime(ts: string): string | undefined {
  const d = parseHl7Time(ts);
  if (!d) return undefined;
  const precision = ts.replace(/[+-]\d{4}$/, '').replace(/\.\d+$/, '').length;
  return xdsTime(d).slice(0, Math.min(14, precision));
}

/** A fresh OID under the UUID arc 2.25 (ITU-T X.667): valid as CDA id, XDS uniqueId and sourceId. */
export function newOid(uuid: string = randomUUID()): string {
  return `2.25.${BigInt('0x' + uuid.replace(/-/g, '')).toString(10)}`;
}

/** A stable 2.25 OID derived from a name (UUID v5-like, SHA-1). */
export function stableOid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt('0x' + h.subarray(0, 16).toString('hex')).toString(10)}`;
}

export function urnUuid(uuid: string = randomUUID()): string {
  return `urn:uuid:${uuid}`;
}
