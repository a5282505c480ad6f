import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import { AppError } from '../../../shared/errors';
import { assertIns, cdaTime, newOid, OID } from '../dmp/hl7';
import type { CdaAuthor, CdaPatient, Practice, PracticeAddress } from '../dmp/types';
import { documentType, labelForLoinc, LOINC_OID } from './loinc-types';

/**
 * CDA R2 level 1 (PDF body) with the CI-SIS "structuration minimale" header, in the element
 * order of the CDA schema and of ANS example ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml.
 */
export interface BuildCdaN1Input {
  pdf: Buffer;
  /** LOINC document type (CDA code). */
  typeCode: string;
  title?: string;
  patient: CdaPatient;
  author: CdaAuthor;
  practice: Practice;
  /** Document creation time; defaults to now(). */
  effectiveTime?: Date;
  confidentiality?: 'N';
  /** The document this one replaces (same setId, version + 1, new id). */
  replaces?: { id: string; setId: string; versionNumber: number };
  serviceEvent?: { start: Date; end?: Date };
  now?: () => Date;
  newId?: () => string;
}

export interface BuiltCda {
  xml: string;
  id: string;
  setId: string;
  versionNumber: number;
}

const HL7_NS = 'urn:hl7-org:v3';
const SPECIALTY_LABELS: Record<string, string> = {
  'G15_10/SM26': 'Médecin - Qualifié en Médecine Générale (SM)',
  'G15_10/SM53': 'Médecin - Spécialiste en Médecine Générale (SM)',
  'G15_10/SM54': 'Médecin - Médecine générale (SM)',
};
const FACILITY_LABELS: Record<string, string> = { SA07: 'Cabinet individuel' };
const PRACTICE_SETTING_LABELS: Record<string, string> = { AMBULATOIRE: 'Ambulatoire' };

export function specialtyCode(author: Pick<CdaAuthor, 'professionCode' | 'specialtyCode'>): { code: string; label: string } {
  const code = `G15_${author.professionCode}/${author.specialtyCode}`;
  return { code, label: SPECIALTY_LABELS[code] ?? code };
}

export function facilityLabel(code: string): string {
  return FACILITY_LABELS[code] ?? code;
}

export function practiceSettingLabel(code: string): string {
  return PRACTICE_SETTING_LABELS[code] ?? code;
}

function assertQualifiedIdentity(p: CdaPatient): void {
  if (p.identityStatus !== 'QUAL') {
    throw new AppError('IDENTITY_RULE', 'Identité non qualifiée : l’INS ne peut être transmis que pour une identité qualifiée (statut QUAL).', { identityStatus: p.identityStatus });
  }
  assertIns({ matricule: p.insMatricule, oid: p.insOid });
  const missing: string[] = [];
  if (!p.birthName.trim()) missing.push('nom de naissance');
  if (!p.birthGivenNames.some((g) => g.trim())) missing.push('prénoms de naissance');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(p.birthDate)) missing.push('date de naissance');
  if (!p.birthplaceCode || !/^[0-9][0-9AB][0-9]{3}$/.test(p.birthplaceCode)) missing.push('lieu de naissance (code INSEE)');
  if (missing.length) {
    throw new AppError('IDENTITY_RULE', `Traits INS incomplets (${missing.join(', ')}) : le document ne peut pas porter l’INS.`, { missing });
  }
}

function telecomUri(value: string): string {
  return /^(tel|mailto|fax|http|https):/.test(value) ? value : `tel:${value.replace(/\s+/g, '')}`;
}

function addAddress(parent: XMLBuilder, addr: PracticeAddress | undefined): void {
  if (!addr) return;
  const a = parent.ele('addr');
  if (addr.houseNumber) a.ele('houseNumber').txt(addr.houseNumber);
  if (addr.streetName) a.ele('streetName').txt(addr.streetName);
  if (addr.postalCode) a.ele('postalCode').txt(addr.postalCode);
  if (addr.city) a.ele('city').txt(addr.city);
  if (addr.country) a.ele('country').txt(addr.country);
}

function addPersonName(parent: XMLBuilder, author: CdaAuthor): void {
  const n = parent.ele('assignedPerson').ele('name');
  n.ele('given').txt(author.givenName);
  n.ele('family').txt(author.familyName);
}

function addOrganization(parent: XMLBuilder, tag: string, practice: Practice, withSetting: boolean): void {
  const org = parent.ele(tag);
  org.ele('id', { root: practice.structureIdRoot ?? OID.IDNST, extension: practice.structureId });
  org.ele('name').txt(practice.name);
  if (practice.telecom) org.ele('telecom', { value: telecomUri(practice.telecom), use: 'WP' });
  addAddress(org, practice.address);
  if (withSetting) {
    org.ele('standardIndustryClassCode', {
      code: practice.practiceSettingCode,
      displayName: practiceSettingLabel(practice.practiceSettingCode),
      codeSystem: OID.PRACTICE_SETTING,
      codeSystemName: 'practiceSettingCode',
    });
  }
}

export function buildCdaN1(input: BuildCdaN1Input): BuiltCda {
  const { patient, author, practice } = input;
  assertQualifiedIdentity(patient);
  if (input.pdf.length < 5 || input.pdf.subarray(0, 5).toString('latin1') !== '%PDF-') {
    throw new AppError('VALIDATION', 'Le fichier fourni n’est pas un PDF : impossible de produire le document CDA.');
  }
  const displayName = documentType(input.typeCode)?.displayName ?? labelForLoinc(input.typeCode);
  if (!displayName) throw new AppError('VALIDATION', `Type de document ${input.typeCode} inconnu.`, { typeCode: input.typeCode });
  if (!/^8\d{11}$/.test(author.nationalId)) {
    throw new AppError('VALIDATION', 'Identifiant national du professionnel invalide (8 suivi du n° RPPS attendu).');
  }

  const now = input.now ?? (() => new Date());
  const newId = input.newId ?? (() => newOid());
  const effective = input.effectiveTime ?? now();
  const id = newId();
  const setId = input.replaces ? input.replaces.setId : newId();
  const versionNumber = input.replaces ? input.replaces.versionNumber + 1 : 1;
  const title = input.title?.trim() || documentType(input.typeCode)?.title || displayName;
  const service = input.serviceEvent ?? { start: effective };

  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(HL7_NS, 'ClinicalDocument');
  doc.ele('realmCode', { code: 'FR' });
  doc.ele('typeId', { root: '2.16.840.1.113883.1.3', extension: 'POCD_HD000040' });
  // HL7 France, CI-SIS structuration minimale, IHE XDS-SD (the only three allowed in N1).
  doc.ele('templateId', { root: '2.16.840.1.113883.2.8.2.1' });
  doc.ele('templateId', { root: '1.2.250.1.213.1.1.1.1' });
  doc.ele('templateId', { root: '1.3.6.1.4.1.19376.1.2.20' });
  doc.ele('id', { root: id });
  doc.ele('code', { code: input.typeCode, displayName, codeSystem: LOINC_OID, codeSystemName: 'LOINC' });
  doc.ele('title').txt(title);
  doc.ele('effectiveTime', { value: cdaTime(effective) });
  doc.ele('confidentialityCode', { code: input.confidentiality ?? 'N', displayName: 'Normal', codeSystem: OID.CONFIDENTIALITY, codeSystemName: 'Confidentiality' });
  doc.ele('languageCode', { code: 'fr-FR' });
  doc.ele('setId', { root: setId });
  doc.ele('versionNumber', { value: String(versionNumber) });

  const role = doc.ele('recordTarget').ele('patientRole');
  role.ele('id', { root: patient.insOid, extension: patient.insMatricule });
  if (practice.patientIdRoot && patient.localId) role.ele('id', { root: practice.patientIdRoot, extension: patient.localId });
  const pat = role.ele('patient', { classCode: 'PSN' });
  const name = pat.ele('name');
  const givens = patient.birthGivenNames.map((g) => g.trim()).filter(Boolean);
  name.ele('family', { qualifier: 'BR' }).txt(patient.birthName.trim());
  name.ele('given').txt(givens.join(' '));
  name.ele('given', { qualifier: 'BR' }).txt(givens[0]!);
  if (patient.usedName?.trim()) name.ele('family', { qualifier: 'CL' }).txt(patient.usedName.trim());
  if (patient.usedGivenName?.trim()) name.ele('given', { qualifier: 'CL' }).txt(patient.usedGivenName.trim());
  pat.ele('administrativeGenderCode', { code: patient.sex, displayName: patient.sex === 'F' ? 'Féminin' : 'Masculin', codeSystem: OID.GENDER });
  pat.ele('birthTime', { value: patient.birthDate.replace(/-/g, '') });
  pat.ele('birthplace').ele('place').ele('addr').ele('county').txt(patient.birthplaceCode!);

  const spec = specialtyCode(author);
  const auth = doc.ele('author');
  auth.ele('time', { value: cdaTime(effective) });
  const assigned = auth.ele('assignedAuthor');
  assigned.ele('id', { root: OID.IDNPS, extension: author.nationalId });
  assigned.ele('code', { code: spec.code, displayName: spec.label, codeSystem: OID.AUTHOR_SPECIALTY });
  addPersonName(assigned, author);
  addOrganization(assigned, 'representedOrganization', practice, false);

  const custodian = doc.ele('custodian').ele('assignedCustodian');
  addOrganization(custodian, 'representedCustodianOrganization', practice, false);

  const legal = doc.ele('legalAuthenticator');
  legal.ele('time', { value: cdaTime(effective) });
  legal.ele('signatureCode', { code: 'S' });
  const legalEntity = legal.ele('assignedEntity');
  legalEntity.ele('id', { root: OID.IDNPS, extension: author.nationalId });
  addPersonName(legalEntity, author);

  const event = doc.ele('documentationOf').ele('serviceEvent');
  const eventTime = event.ele('effectiveTime');
  eventTime.ele('low', { value: cdaTime(service.start) });
  if (service.end) eventTime.ele('high', { value: cdaTime(service.end) });
  const performer = event.ele('performer', { typeCode: 'PRF' }).ele('assignedEntity');
  performer.ele('id', { root: OID.IDNPS, extension: author.nationalId });
  addPersonName(performer, author);
  addOrganization(performer, 'representedOrganization', practice, true);

  if (input.replaces) {
    const parent = doc.ele('relatedDocument', { typeCode: 'RPLC' }).ele('parentDocument');
    parent.ele('id', { root: input.replaces.id });
    parent.ele('setId', { root: input.replaces.setId });
    parent.ele('versionNumber', { value: String(input.replaces.versionNumber) });
  }

  const encounter = doc.ele('componentOf').ele('encompassingEncounter');
  encounter.ele('effectiveTime').ele('low', { value: cdaTime(service.start) });
  const facility = encounter.ele('location').ele('healthCareFacility');
  facility.ele('id', { root: practice.structureIdRoot ?? OID.IDNST, extension: practice.structureId });
  facility.ele('code', { code: practice.facilityTypeCode, displayName: facilityLabel(practice.facilityTypeCode), codeSystem: OID.SECTEUR_ACTIVITE });

  doc.ele('component').ele('nonXMLBody').ele('text', { mediaType: 'application/pdf', representation: 'B64' }).txt(input.pdf.toString('base64'));

  return { xml: doc.end({ prettyPrint: false }), id, setId, versionNumber };
}
