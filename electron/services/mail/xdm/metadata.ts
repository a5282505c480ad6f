import { AppError } from '../../../../shared/errors';
import { hl7TimeToIso } from '../../xml/hl7-time';
import { parseXmlTree } from '../../xml/safe-xml';
import { attrValue, childElements, cleanText, findFirst, firstChild, path, type XmlElement } from '../../xml/tree';
import { parseCx, parsePatientInfo, parseXcn, parseXon } from './hl7v2';
import type { ProblemItem, XdmDocumentEntry, XdmSubmissionSet, XdsAuthor, XdsCode } from './types';

/** XDS identifiers (IHE ITI TF-3 §4.2.5, Table 4.2.5-1). */
export const XDS = {
  documentEntry: {
    author: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
    classCode: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
    confidentialityCode: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
    eventCodeList: 'urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4',
    formatCode: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
    healthcareFacilityTypeCode: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
    practiceSettingCode: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
    typeCode: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
    patientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
    uniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
  },
  submissionSet: {
    classificationNode: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
    author: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
    contentTypeCode: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
    patientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
    sourceId: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
    uniqueId: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
  },
  /** French extension for replacement/deletion (domain.md §4.1). */
  actionSlot: 'urn:action:extraMetadataSlot',
} as const;

export interface XdmMetadata {
  submissionSet: XdmSubmissionSet;
  entries: XdmDocumentEntry[];
  warnings: ProblemItem[];
}

/** Parses METADATA.XML (ebRIM 3.0 SubmitObjectsRequest). Throws AppError('BAD_INPUT') if unusable. */
export function parseXdmMetadata(xml: string | Buffer): XdmMetadata {
  const root = parseXmlTree(xml);
  const list = root.name === 'RegistryObjectList' ? root : findFirst(root, (e) => e.name === 'RegistryObjectList');
  if (!list) throw new AppError('BAD_INPUT', 'METADATA.XML invalide : liste des objets XDS (RegistryObjectList) absente.');

  // Classifications may be nested in their object or listed beside it (classifiedObject).
  const looseClassifications = childElements(list, 'Classification');
  const classificationsOf = (obj: XmlElement) => {
    const id = attrValue(obj, 'id');
    return [
      ...childElements(obj, 'Classification'),
      ...looseClassifications.filter((c) => id !== undefined && attrValue(c, 'classifiedObject') === id),
    ];
  };

  const warnings: ProblemItem[] = [];
  const packages = childElements(list, 'RegistryPackage');
  const ssPackage =
    packages.find((p) => classificationsOf(p).some((c) => attrValue(c, 'classificationNode') === XDS.submissionSet.classificationNode)) ??
    packages.find((p) => externalId(p, XDS.submissionSet.uniqueId) !== undefined) ??
    packages[0];
  if (!ssPackage) warnings.push({ code: 'SUBMISSION_SET_MISSING', message: 'Lot de soumission absent des métadonnées XDM.' });

  const entries = childElements(list, 'ExtrinsicObject').map((eo) => readEntry(eo, classificationsOf(eo)));
  return {
    submissionSet: ssPackage ? readSubmissionSet(ssPackage, classificationsOf(ssPackage)) : { authors: [], intendedRecipients: [] },
    entries,
    warnings,
  };
}

function slotValues(obj: XmlElement | undefined, name: string): string[] {
  const slot = childElements(obj, 'Slot').find((s) => attrValue(s, 'name') === name);
  return childElements(firstChild(slot, 'ValueList'), 'Value')
    .map((v) => cleanText(v))
    .filter((v): v is string => v !== undefined);
}

const slot = (obj: XmlElement, name: string) => slotValues(obj, name)[0];

function localized(obj: XmlElement | undefined, element: 'Name' | 'Description'): string | undefined {
  return attrValue(path(obj, element, 'LocalizedString'), 'value');
}

function externalId(obj: XmlElement, scheme: string): string | undefined {
  const e = childElements(obj, 'ExternalIdentifier').find((x) => attrValue(x, 'identificationScheme') === scheme);
  return attrValue(e, 'value');
}

function code(c: XmlElement): XdsCode | undefined {
  const value = attrValue(c, 'nodeRepresentation');
  if (!value) return undefined;
  const out: XdsCode = { code: value };
  const scheme = slot(c, 'codingScheme');
  const display = localized(c, 'Name');
  if (scheme) out.codingScheme = scheme;
  if (display) out.displayName = display;
  return out;
}

function codesOf(classifications: XmlElement[], scheme: string): XdsCode[] {
  return classifications
    .filter((c) => attrValue(c, 'classificationScheme') === scheme)
    .map(code)
    .filter((c): c is XdsCode => c !== undefined);
}

function authorsOf(classifications: XmlElement[], scheme: string): XdsAuthor[] {
  return classifications
    .filter((c) => attrValue(c, 'classificationScheme') === scheme)
    .map((c) => {
      const person = slot(c, 'authorPerson');
      const author: XdsAuthor = {
        institutions: slotValues(c, 'authorInstitution').map(parseXon),
        roles: slotValues(c, 'authorRole'),
        specialties: slotValues(c, 'authorSpecialty'),
        telecoms: slotValues(c, 'authorTelecommunication'),
      };
      if (person) author.person = parseXcn(person);
      return author;
    });
}

function readEntry(eo: XmlElement, classifications: XmlElement[]): XdmDocumentEntry {
  const first = (scheme: string) => codesOf(classifications, scheme)[0];
  const de = XDS.documentEntry;
  const action = slot(eo, XDS.actionSlot)?.toUpperCase();
  const entry: XdmDocumentEntry = {
    entryUuid: attrValue(eo, 'id') ?? '',
    sourcePatientInfo: parsePatientInfo(slotValues(eo, 'sourcePatientInfo')),
    confidentialityCodes: codesOf(classifications, de.confidentialityCode),
    eventCodes: codesOf(classifications, de.eventCodeList),
    action: action === 'C' || action === 'D' ? action : null,
    authors: authorsOf(classifications, de.author),
  };
  const set = <K extends keyof XdmDocumentEntry>(k: K, v: XdmDocumentEntry[K] | undefined) => {
    if (v !== undefined) entry[k] = v;
  };
  set('uniqueId', externalId(eo, de.uniqueId));
  const pid = externalId(eo, de.patientId);
  set('patientId', pid ? parseCx(pid) : undefined);
  set('sourcePatientId', slot(eo, 'sourcePatientId'));
  set('typeCode', first(de.typeCode));
  set('classCode', first(de.classCode));
  set('formatCode', first(de.formatCode));
  set('healthcareFacilityTypeCode', first(de.healthcareFacilityTypeCode));
  set('practiceSettingCode', first(de.practiceSettingCode));
  set('title', localized(eo, 'Name'));
  set('comments', localized(eo, 'Description'));
  set('creationTime', hl7TimeToIso(slot(eo, 'creationTime'), { assumeUtc: true }));
  set('serviceStartTime', hl7TimeToIso(slot(eo, 'serviceStartTime'), { assumeUtc: true }));
  set('serviceStopTime', hl7TimeToIso(slot(eo, 'serviceStopTime'), { assumeUtc: true }));
  set('languageCode', slot(eo, 'languageCode'));
  set('hash', slot(eo, 'hash'));
  const size = slot(eo, 'size');
  set('size', size && /^\d+$/.test(size) ? Number(size) : undefined);
  set('mimeType', attrValue(eo, 'mimeType'));
  set('uri', uriOf(eo));
  const legal = slot(eo, 'legalAuthenticator');
  set('legalAuthenticator', legal ? parseXcn(legal) : undefined);
  return entry;
}

/** XDM URI slot; long URIs may be split over several values as `n|part` (ITI TF-3 §4.2.3.2.24). */
function uriOf(eo: XmlElement): string | undefined {
  const values = slotValues(eo, 'URI');
  if (values.length <= 1) return values[0];
  const parts = values.map((v) => /^(\d+)\|(.*)$/.exec(v));
  if (parts.every((p) => p !== null)) {
    return parts
      .sort((a, b) => Number(a![1]) - Number(b![1]))
      .map((p) => p![2])
      .join('');
  }
  return values[0];
}

function readSubmissionSet(pkg: XmlElement, classifications: XmlElement[]): XdmSubmissionSet {
  const ss = XDS.submissionSet;
  const out: XdmSubmissionSet = {
    authors: authorsOf(classifications, ss.author),
    intendedRecipients: slotValues(pkg, 'intendedRecipient'),
  };
  const set = <K extends keyof XdmSubmissionSet>(k: K, v: XdmSubmissionSet[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('entryUuid', attrValue(pkg, 'id'));
  set('uniqueId', externalId(pkg, ss.uniqueId));
  set('sourceId', externalId(pkg, ss.sourceId));
  const pid = externalId(pkg, ss.patientId);
  set('patientId', pid ? parseCx(pid) : undefined);
  set('submissionTime', hl7TimeToIso(slot(pkg, 'submissionTime'), { assumeUtc: true }));
  set('title', localized(pkg, 'Name'));
  set('contentTypeCode', codesOf(classifications, ss.contentTypeCode)[0]);
  return out;
}
