import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { CLASS_LABELS, classCodeFor, labelForLoinc } from '../cda/loinc-types';
import { hl7ToXdsTime, INS_OIDS, newOid, OID, stableOid, urnUuid, xdsTime } from './hl7';
import type { VisibilityOptions } from './types';
import { attr, child, children, descendants, parseXml, path, textOf, xmlEl, xmlText, type XElement } from './xml';

/**
 * XDS.b metadata (IHE ITI TF-3 §4.2 with the CI-SIS/DMP constraints) derived from a CDA N1
 * document, its ebRIM 3.0 serialisation and the reverse parsing used for query results.
 */
export const XDS = {
  DOCUMENT_ENTRY: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  SUBMISSION_SET: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
  DE_AUTHOR: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
  DE_CLASS_CODE: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
  DE_CONFIDENTIALITY: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
  DE_FORMAT_CODE: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
  DE_FACILITY_TYPE: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
  DE_PRACTICE_SETTING: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
  DE_TYPE_CODE: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
  DE_PATIENT_ID: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
  DE_UNIQUE_ID: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
  SS_AUTHOR: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
  SS_CONTENT_TYPE: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
  SS_PATIENT_ID: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
  SS_SOURCE_ID: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
  SS_UNIQUE_ID: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
  HAS_MEMBER: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember',
  RPLC: 'urn:ihe:iti:2007:AssociationType:RPLC',
  APPROVED: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  DEPRECATED: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated',
  CLASSIFICATION: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification',
  EXTERNAL_IDENTIFIER: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier',
  ASSOCIATION: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association',
  PDF_FORMAT: 'urn:ihe:iti:xds-sd:pdf:2008',
} as const;

export const NS_RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0';
export const NS_LCM = 'urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0';
const HL7 = 'urn:hl7-org:v3';

/** TRE_A07_StatutVisibiliteDocument (1.2.250.1.213.1.1.4.13), official labels. */
export const VISIBILITY_CODES = {
  MASQUE_PS: 'Masqué aux professionnels de santé',
  INVISIBLE_PATIENT: 'Non visible par le patient',
  INVISIBLE_REPRESENTANTS_LEGAUX: 'Non visible par représentants légaux du patient',
} as const;
export type VisibilityCode = keyof typeof VISIBILITY_CODES;

export interface XdsCode {
  code: string;
  scheme: string;
  label: string;
}

export interface XdsAuthor {
  person: string;
  institutions: string[];
  specialties: string[];
  roles: string[];
}

export interface DocumentEntry {
  entryUuid: string;
  uniqueId: string;
  patientId: string;
  sourcePatientId: string;
  sourcePatientInfo: string[];
  title: string;
  classCode: XdsCode;
  typeCode: XdsCode;
  formatCode: XdsCode;
  /** N first, then the DMP visibility codes. */
  confidentialityCodes: XdsCode[];
  healthcareFacilityTypeCode: XdsCode;
  practiceSettingCode: XdsCode;
  author: XdsAuthor;
  legalAuthenticator?: string;
  creationTime: string;
  serviceStartTime?: string;
  serviceStopTime?: string;
  languageCode: string;
  mimeType: string;
  /** SHA-1 of the document bytes, lowercase hex. */
  hash: string;
  size: number;
  repositoryUniqueId?: string;
  status?: 'Approved' | 'Deprecated';
}

export interface SubmissionSet {
  entryUuid: string;
  uniqueId: string;
  sourceId: string;
  submissionTime: string;
  patientId: string;
  contentTypeCode: XdsCode;
  author: XdsAuthor;
  title?: string;
}

export interface SubmissionPackage {
  submissionSet: SubmissionSet;
  documentEntry: DocumentEntry;
  /** Present when the CDA replaces a previous version (relatedDocument RPLC). */
  replacement?: { parentUniqueId: string; targetEntryUuid?: string };
}

export interface BuildEntryOptions {
  visibility?: VisibilityOptions;
  /** OID of the submitting system; defaults to a stable OID derived from the structure id. */
  sourceId?: string;
  now?: () => Date;
  newUuid?: () => string;
  newId?: () => string;
}

export function visibilityCodes(v: VisibilityOptions = {}): XdsCode[] {
  const out: XdsCode[] = [];
  const add = (code: VisibilityCode) => out.push({ code, scheme: OID.DMP_VISIBILITY, label: VISIBILITY_CODES[code] });
  if (v.hiddenFromProfessionals) add('MASQUE_PS');
  if (v.invisibleToPatient) add('INVISIBLE_PATIENT');
  if (v.invisibleToLegalRepresentatives) add('INVISIBLE_REPRESENTANTS_LEGAUX');
  return out;
}

function cdaBytes(cda: string | Buffer | { xml: string }): Buffer {
  if (Buffer.isBuffer(cda)) return cda;
  return Buffer.from(typeof cda === 'string' ? cda : cda.xml, 'utf8');
}

function iiValue(el: XElement | undefined): string | undefined {
  const root = attr(el, 'root');
  if (!root) return undefined;
  const ext = attr(el, 'extension');
  return ext ? `${root}^${ext}` : root;
}

function codeOf(el: XElement | undefined, fallbackLabel?: string): XdsCode | undefined {
  const code = attr(el, 'code');
  if (!code) return undefined;
  return { code, scheme: attr(el, 'codeSystem') ?? '', label: attr(el, 'displayName') ?? fallbackLabel ?? code };
}

function personXcn(entity: XElement | undefined): string | undefined {
  const id = child(entity, 'id', HL7);
  const ext = attr(id, 'extension');
  if (!ext) return undefined;
  const name = path(entity, 'assignedPerson', 'name');
  const family = textOf(child(name, 'family', HL7)).trim();
  const given = textOf(child(name, 'given', HL7)).trim();
  return `${ext}^${family}^${given}^^^^^^&${attr(id, 'root') ?? OID.IDNPS}&ISO^D^^^IDNPS`;
}

function orgXon(org: XElement | undefined): string | undefined {
  const id = child(org, 'id', HL7);
  const ext = attr(id, 'extension');
  if (!ext) return undefined;
  return `${textOf(child(org, 'name', HL7)).trim()}^^^^^&${attr(id, 'root') ?? OID.IDNST}&ISO^IDNST^^^${ext}`;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') {
    throw new AppError('VALIDATION', `Document CDA incomplet : ${what} manquant, métadonnées DMP impossibles à produire.`, { missing: what });
  }
  return value;
}

/** Derives the submission set and document entry of an ITI-41 feed from the CDA itself. */
export function buildDocumentEntry(cda: string | Buffer | { xml: string }, opts: BuildEntryOptions = {}): SubmissionPackage {
  const bytes = cdaBytes(cda);
  const doc = parseXml(bytes);
  if (doc.local !== 'ClinicalDocument' || doc.ns !== HL7) throw new AppError('VALIDATION', 'Le document fourni n’est pas un document CDA R2.');
  const now = (opts.now ?? (() => new Date()))();
  const newUuid = opts.newUuid ?? randomUUID;

  const role = path(doc, 'recordTarget', 'patientRole');
  const ids = role ? children(role, 'id', HL7) : [];
  const insId = ids.find((i) => (attr(i, 'root') ?? '') in INS_OIDS && attr(i, 'extension'));
  if (!insId) throw new AppError('IDENTITY_RULE', 'Le document ne porte pas d’INS qualifié : envoi au DMP impossible.');
  const patientId = `${attr(insId, 'extension')}^^^&${attr(insId, 'root')}&ISO^NH`;
  const localId = ids.find((i) => i !== insId && attr(i, 'extension') && attr(i, 'root'));
  const sourcePatientId = localId ? `${attr(localId, 'extension')}^^^&${attr(localId, 'root')}&ISO^PI` : patientId;

  const patient = child(role, 'patient', HL7);
  const names = children(child(patient, 'name', HL7) ?? doc, 'family', HL7);
  const givens = children(child(patient, 'name', HL7) ?? doc, 'given', HL7);
  const birthFamily = textOf(names.find((n) => attr(n, 'qualifier') === 'BR')).trim();
  const firstGiven = textOf(givens.find((g) => attr(g, 'qualifier') === 'BR')).trim();
  const allGivens = textOf(givens.find((g) => !attr(g, 'qualifier'))).trim();
  const usedFamily = textOf(names.find((n) => attr(n, 'qualifier') === 'CL')).trim();
  const usedGiven = textOf(givens.find((g) => attr(g, 'qualifier') === 'CL')).trim();
  const sourcePatientInfo = [`PID-5|${birthFamily}^${firstGiven}^${allGivens}^^^^L`];
  if (usedFamily || usedGiven) sourcePatientInfo.push(`PID-5|${usedFamily || birthFamily}^${usedGiven || firstGiven}^^^^^D`);
  const birth = attr(child(patient, 'birthTime', HL7), 'value');
  if (birth) sourcePatientInfo.push(`PID-7|${birth}`);
  const sex = attr(child(patient, 'administrativeGenderCode', HL7), 'code');
  if (sex) sourcePatientInfo.push(`PID-8|${sex}`);
  const county = textOf(path(patient, 'birthplace', 'place', 'addr', 'county')).trim();
  if (county) sourcePatientInfo.push(`PID-11|^^^^^^BDL^^${county}`);

  const typeEl = child(doc, 'code', HL7);
  const typeCode = required(codeOf(typeEl, labelForLoinc(attr(typeEl, 'code') ?? '')), 'code (type de document)');
  const cls = classCodeFor(typeCode.code);

  const body = path(doc, 'component', 'nonXMLBody', 'text');
  if (!body || attr(body, 'mediaType') !== 'application/pdf') {
    throw new AppError('VALIDATION', 'Seuls les documents CDA de niveau 1 au format PDF sont envoyés au DMP.');
  }

  const assignedAuthor = path(doc, 'author', 'assignedAuthor');
  const authorCode = child(assignedAuthor, 'code', HL7);
  const author: XdsAuthor = {
    person: required(personXcn(assignedAuthor), 'auteur'),
    institutions: [orgXon(child(assignedAuthor, 'representedOrganization', HL7))].filter((x): x is string => !!x),
    specialties: authorCode && attr(authorCode, 'code') ? [`${attr(authorCode, 'code')}^${attr(authorCode, 'displayName') ?? ''}^${attr(authorCode, 'codeSystem') ?? ''}`] : [],
    roles: [],
  };

  const facility = required(codeOf(path(doc, 'componentOf', 'encompassingEncounter', 'location', 'healthCareFacility', 'code')), 'secteur d’activité (healthCareFacility/code)');
  const event = path(doc, 'documentationOf', 'serviceEvent');
  const setting = required(
    codeOf(path(event, 'performer', 'assignedEntity', 'representedOrganization', 'standardIndustryClassCode')),
    'cadre d’exercice (standardIndustryClassCode)',
  );
  const eventTime = child(event, 'effectiveTime', HL7);
  const confidentiality = required(codeOf(child(doc, 'confidentialityCode', HL7)), 'confidentialityCode');
  const effective = required(attr(child(doc, 'effectiveTime', HL7), 'value'), 'effectiveTime');

  const related = children(doc, 'relatedDocument', HL7).find((r) => attr(r, 'typeCode') === 'RPLC');
  const parentUniqueId = iiValue(path(related, 'parentDocument', 'id'));

  const documentEntry: DocumentEntry = {
    entryUuid: urnUuid(newUuid()),
    uniqueId: required(iiValue(child(doc, 'id', HL7)), 'identifiant du document (id)'),
    patientId,
    sourcePatientId,
    sourcePatientInfo,
    title: textOf(child(doc, 'title', HL7)).trim() || typeCode.label,
    classCode: { code: cls.code, scheme: cls.scheme, label: cls.label },
    typeCode,
    formatCode: { code: XDS.PDF_FORMAT, scheme: OID.FORMAT_CODE, label: 'Document à corps non structuré en Pdf/A-1' },
    confidentialityCodes: [{ ...confidentiality, label: confidentiality.label || 'Normal' }, ...visibilityCodes(opts.visibility)],
    healthcareFacilityTypeCode: facility,
    practiceSettingCode: setting,
    author,
    legalAuthenticator: personXcn(path(doc, 'legalAuthenticator', 'assignedEntity')),
    creationTime: required(hl7ToXdsTime(effective), 'effectiveTime'),
    serviceStartTime: hl7ToXdsTime(attr(child(eventTime, 'low', HL7), 'value') ?? ''),
    serviceStopTime: hl7ToXdsTime(attr(child(eventTime, 'high', HL7), 'value') ?? ''),
    languageCode: attr(child(doc, 'languageCode', HL7), 'code') ?? 'fr-FR',
    mimeType: 'text/xml',
    hash: createHash('sha1').update(bytes).digest('hex'),
    size: bytes.length,
  };

  const structureId = /\^\^\^([^^]+)$/.exec(author.institutions[0] ?? '')?.[1] ?? author.person;
  const submissionSet: SubmissionSet = {
    entryUuid: urnUuid(newUuid()),
    uniqueId: (opts.newId ?? (() => newOid()))(),
    sourceId: opts.sourceId ?? stableOid(`lgc-segur:${structureId}`),
    submissionTime: xdsTime(now),
    patientId,
    // The ANS XDM examples carry the structure's secteur d'activité here (JDV_J59 allows TRE_R02).
    contentTypeCode: facility,
    author,
    title: documentEntry.title,
  };
  return { submissionSet, documentEntry, replacement: parentUniqueId ? { parentUniqueId } : undefined };
}

// ---------------------------------------------------------------------------------------------
// ebRIM serialisation

const R = (local: string) => `rim:${local}`;

function slot(name: string, values: (string | undefined)[]): string {
  const v = values.filter((x): x is string => x !== undefined && x !== '');
  if (!v.length) return '';
  return xmlEl(R('Slot'), { name }, xmlEl(R('ValueList'), {}, ...v.map((x) => xmlText(R('Value'), {}, x))));
}

function localized(tag: 'Name' | 'Description', value: string | undefined): string {
  if (value === undefined) return '';
  return xmlEl(R(tag), {}, xmlEl(R('LocalizedString'), { 'xml:lang': 'fr-FR', charset: 'UTF-8', value }));
}

function classification(scheme: string, object: string, c: XdsCode): string {
  return xmlEl(
    R('Classification'),
    { id: urnUuid(), classificationScheme: scheme, classifiedObject: object, nodeRepresentation: c.code, objectType: XDS.CLASSIFICATION },
    slot('codingScheme', [c.scheme]),
    localized('Name', c.label),
  );
}

function authorClassification(scheme: string, object: string, a: XdsAuthor): string {
  return xmlEl(
    R('Classification'),
    { id: urnUuid(), classificationScheme: scheme, classifiedObject: object, nodeRepresentation: '', objectType: XDS.CLASSIFICATION },
    slot('authorPerson', [a.person]),
    slot('authorInstitution', a.institutions),
    slot('authorRole', a.roles),
    slot('authorSpecialty', a.specialties),
  );
}

function externalId(scheme: string, object: string, value: string, name: string): string {
  return xmlEl(
    R('ExternalIdentifier'),
    { id: urnUuid(), identificationScheme: scheme, registryObject: object, value, objectType: XDS.EXTERNAL_IDENTIFIER },
    localized('Name', name),
  );
}

/** ExtrinsicObject of a document entry (also used by the registry to answer stored queries). */
export function extrinsicObjectXml(e: DocumentEntry): string {
  const id = e.entryUuid;
  return xmlEl(
    R('ExtrinsicObject'),
    {
      id,
      mimeType: e.mimeType,
      objectType: XDS.DOCUMENT_ENTRY,
      status: e.status ? (e.status === 'Approved' ? XDS.APPROVED : XDS.DEPRECATED) : undefined,
    },
    slot('creationTime', [e.creationTime]),
    slot('hash', [e.hash]),
    slot('languageCode', [e.languageCode]),
    slot('legalAuthenticator', [e.legalAuthenticator]),
    slot('repositoryUniqueId', [e.repositoryUniqueId]),
    slot('serviceStartTime', [e.serviceStartTime]),
    slot('serviceStopTime', [e.serviceStopTime]),
    slot('size', [String(e.size)]),
    slot('sourcePatientId', [e.sourcePatientId]),
    slot('sourcePatientInfo', e.sourcePatientInfo),
    localized('Name', e.title),
    authorClassification(XDS.DE_AUTHOR, id, e.author),
    classification(XDS.DE_CLASS_CODE, id, e.classCode),
    ...e.confidentialityCodes.map((c) => classification(XDS.DE_CONFIDENTIALITY, id, c)),
    classification(XDS.DE_FORMAT_CODE, id, e.formatCode),
    classification(XDS.DE_FACILITY_TYPE, id, e.healthcareFacilityTypeCode),
    classification(XDS.DE_PRACTICE_SETTING, id, e.practiceSettingCode),
    classification(XDS.DE_TYPE_CODE, id, e.typeCode),
    externalId(XDS.DE_PATIENT_ID, id, e.patientId, 'XDSDocumentEntry.patientId'),
    externalId(XDS.DE_UNIQUE_ID, id, e.uniqueId, 'XDSDocumentEntry.uniqueId'),
  );
}

/** `lcm:SubmitObjectsRequest` of the package (the body of ITI-41 minus the document parts). */
export function toEbRim(pkg: SubmissionPackage): string {
  const ss = pkg.submissionSet;
  const de = pkg.documentEntry;
  const registryPackage = xmlEl(
    R('RegistryPackage'),
    { id: ss.entryUuid, objectType: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage' },
    slot('submissionTime', [ss.submissionTime]),
    localized('Name', ss.title),
    authorClassification(XDS.SS_AUTHOR, ss.entryUuid, ss.author),
    classification(XDS.SS_CONTENT_TYPE, ss.entryUuid, ss.contentTypeCode),
    externalId(XDS.SS_PATIENT_ID, ss.entryUuid, ss.patientId, 'XDSSubmissionSet.patientId'),
    externalId(XDS.SS_SOURCE_ID, ss.entryUuid, ss.sourceId, 'XDSSubmissionSet.sourceId'),
    externalId(XDS.SS_UNIQUE_ID, ss.entryUuid, ss.uniqueId, 'XDSSubmissionSet.uniqueId'),
  );
  const ssClassification = xmlEl(R('Classification'), {
    id: urnUuid(), classifiedObject: ss.entryUuid, classificationNode: XDS.SUBMISSION_SET, objectType: XDS.CLASSIFICATION,
  });
  const hasMember = xmlEl(
    R('Association'),
    { id: urnUuid(), associationType: XDS.HAS_MEMBER, sourceObject: ss.entryUuid, targetObject: de.entryUuid, objectType: XDS.ASSOCIATION },
    slot('SubmissionSetStatus', ['Original']),
  );
  let rplc = '';
  if (pkg.replacement) {
    if (!pkg.replacement.targetEntryUuid) {
      throw new AppError('INTERNAL', 'Remplacement DMP : la fiche du document remplacé n’a pas été identifiée.');
    }
    rplc = xmlEl(R('Association'), {
      id: urnUuid(), associationType: XDS.RPLC, sourceObject: de.entryUuid, targetObject: pkg.replacement.targetEntryUuid, objectType: XDS.ASSOCIATION,
    });
  }
  return xmlEl(
    'lcm:SubmitObjectsRequest',
    { 'xmlns:lcm': NS_LCM, 'xmlns:rim': NS_RIM },
    xmlEl(R('RegistryObjectList'), {}, extrinsicObjectXml(de), registryPackage, ssClassification, hasMember, rplc),
  );
}

// ---------------------------------------------------------------------------------------------
// ebRIM parsing (query results and, in the sandbox, submissions)

function slotValues(el: XElement, name: string): string[] {
  const s = children(el, 'Slot', NS_RIM).find((x) => attr(x, 'name') === name);
  return s ? descendants(s, 'Value', NS_RIM).map((v) => textOf(v)) : [];
}

function nameOf(el: XElement): string {
  return attr(descendants(child(el, 'Name', NS_RIM) ?? el, 'LocalizedString', NS_RIM)[0], 'value') ?? '';
}

function codesOf(el: XElement, scheme: string): XdsCode[] {
  return children(el, 'Classification', NS_RIM)
    .filter((c) => attr(c, 'classificationScheme') === scheme)
    .map((c) => ({ code: attr(c, 'nodeRepresentation') ?? '', scheme: slotValues(c, 'codingScheme')[0] ?? '', label: nameOf(c) }));
}

function authorOf(el: XElement, scheme: string): XdsAuthor {
  const c = children(el, 'Classification', NS_RIM).find((x) => attr(x, 'classificationScheme') === scheme);
  return {
    person: c ? slotValues(c, 'authorPerson')[0] ?? '' : '',
    institutions: c ? slotValues(c, 'authorInstitution') : [],
    specialties: c ? slotValues(c, 'authorSpecialty') : [],
    roles: c ? slotValues(c, 'authorRole') : [],
  };
}

function externalIdOf(el: XElement, scheme: string): string | undefined {
  return attr(children(el, 'ExternalIdentifier', NS_RIM).find((x) => attr(x, 'identificationScheme') === scheme), 'value');
}

const EMPTY_CODE: XdsCode = { code: '', scheme: '', label: '' };

export function parseDocumentEntry(eo: XElement): DocumentEntry {
  const status = attr(eo, 'status');
  const type = codesOf(eo, XDS.DE_TYPE_CODE)[0] ?? EMPTY_CODE;
  return {
    entryUuid: attr(eo, 'id') ?? '',
    uniqueId: externalIdOf(eo, XDS.DE_UNIQUE_ID) ?? '',
    patientId: externalIdOf(eo, XDS.DE_PATIENT_ID) ?? '',
    sourcePatientId: slotValues(eo, 'sourcePatientId')[0] ?? '',
    sourcePatientInfo: slotValues(eo, 'sourcePatientInfo'),
    title: nameOf(eo),
    classCode: codesOf(eo, XDS.DE_CLASS_CODE)[0] ?? EMPTY_CODE,
    typeCode: { ...type, label: type.label || labelForLoinc(type.code) || type.code },
    formatCode: codesOf(eo, XDS.DE_FORMAT_CODE)[0] ?? EMPTY_CODE,
    confidentialityCodes: codesOf(eo, XDS.DE_CONFIDENTIALITY),
    healthcareFacilityTypeCode: codesOf(eo, XDS.DE_FACILITY_TYPE)[0] ?? EMPTY_CODE,
    practiceSettingCode: codesOf(eo, XDS.DE_PRACTICE_SETTING)[0] ?? EMPTY_CODE,
    author: authorOf(eo, XDS.DE_AUTHOR),
    legalAuthenticator: slotValues(eo, 'legalAuthenticator')[0],
    creationTime: slotValues(eo, 'creationTime')[0] ?? '',
    serviceStartTime: slotValues(eo, 'serviceStartTime')[0],
    serviceStopTime: slotValues(eo, 'serviceStopTime')[0],
    languageCode: slotValues(eo, 'languageCode')[0] ?? '',
    mimeType: attr(eo, 'mimeType') ?? '',
    hash: slotValues(eo, 'hash')[0] ?? '',
    size: Number(slotValues(eo, 'size')[0] ?? NaN),
    repositoryUniqueId: slotValues(eo, 'repositoryUniqueId')[0],
    status: status === XDS.APPROVED ? 'Approved' : status === XDS.DEPRECATED ? 'Deprecated' : undefined,
  };
}

export interface ParsedSubmission {
  submissionSet?: SubmissionSet;
  documentEntries: DocumentEntry[];
  associations: { id: string; type: string; source: string; target: string }[];
}

export function parseSubmitObjectsRequest(sor: XElement): ParsedSubmission {
  const list = child(sor, 'RegistryObjectList', NS_RIM);
  if (!list) return { documentEntries: [], associations: [] };
  const documentEntries = children(list, 'ExtrinsicObject', NS_RIM).map(parseDocumentEntry);
  const pkgEl = children(list, 'RegistryPackage', NS_RIM)[0];
  const submissionSet: SubmissionSet | undefined = pkgEl && {
    entryUuid: attr(pkgEl, 'id') ?? '',
    uniqueId: externalIdOf(pkgEl, XDS.SS_UNIQUE_ID) ?? '',
    sourceId: externalIdOf(pkgEl, XDS.SS_SOURCE_ID) ?? '',
    submissionTime: slotValues(pkgEl, 'submissionTime')[0] ?? '',
    patientId: externalIdOf(pkgEl, XDS.SS_PATIENT_ID) ?? '',
    contentTypeCode: codesOf(pkgEl, XDS.SS_CONTENT_TYPE)[0] ?? EMPTY_CODE,
    author: authorOf(pkgEl, XDS.SS_AUTHOR),
    title: nameOf(pkgEl) || undefined,
  };
  const associations = children(list, 'Association', NS_RIM).map((a) => ({
    id: attr(a, 'id') ?? '',
    type: attr(a, 'associationType') ?? '',
    source: attr(a, 'sourceObject') ?? '',
    target: attr(a, 'targetObject') ?? '',
  }));
  return { submissionSet, documentEntries, associations };
}

export function classLabel(code: string): string {
  return CLASS_LABELS[code] ?? code;
}
