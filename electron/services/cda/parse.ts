import { AppError } from '../../../shared/errors';
import { hl7Date, hl7TimeToIso } from '../xml/hl7-time';
import { narrativeToText } from '../xml/narrative-text';
import { parseXmlTree, type SafeXmlOptions } from '../xml/safe-xml';
import {
  attrValue,
  childElements,
  cleanText,
  findAll,
  findFirst,
  firstChild,
  path,
  textContent,
  type XmlElement,
} from '../xml/tree';
import {
  isInsOid,
  type CdaAuthor,
  type CdaCode,
  type CdaDocument,
  type CdaNarrativeSection,
  type CdaOrganization,
  type CdaPatient,
  type CdaRelatedDocument,
  type Ii,
} from './types';

/** Template of an IHE XDS-SD (level 1) document (domain.md §5). */
const N1_TEMPLATE_ID = '1.3.6.1.4.1.19376.1.2.20';

export type ParseCdaOptions = Pick<SafeXmlOptions, 'maxBytes'>;

/**
 * Reads a CDA R2 document (level 1 or 3). The `ClinicalDocument` may be the root or nested
 * (self-presenting documents wrap it in an XSL stylesheet). Throws AppError('BAD_INPUT') when the
 * XML is unsafe or unreadable, or holds no ClinicalDocument.
 */
export function parseCda(xml: string | Buffer, options: ParseCdaOptions = {}): CdaDocument {
  const root = parseXmlTree(xml, options);
  const doc = root.name === 'ClinicalDocument' ? root : findFirst(root, (e) => e.name === 'ClinicalDocument');
  if (!doc) throw new AppError('BAD_INPUT', "Ce fichier n'est pas un document CDA R2 (élément ClinicalDocument absent).");

  const templateIds = childElements(doc, 'templateId')
    .map((t) => attrValue(t, 'root'))
    .filter((r): r is string => r !== undefined);
  const structured = path(doc, 'component', 'structuredBody');
  const nonXml = path(doc, 'component', 'nonXMLBody');
  const level: 1 | 3 = nonXml ? 1 : structured ? 3 : templateIds.includes(N1_TEMPLATE_ID) ? 1 : 3;

  const out: CdaDocument = {
    templateIds,
    level,
    patient: readPatient(path(doc, 'recordTarget', 'patientRole')),
    authors: childElements(doc, 'author').map(readAuthor),
    relatedDocuments: childElements(doc, 'relatedDocument').flatMap(readRelated),
    narrative: [],
  };
  assign(out, 'id', ii(firstChild(doc, 'id')));
  assign(out, 'setId', ii(firstChild(doc, 'setId')));
  assign(out, 'versionNumber', int(attrValue(firstChild(doc, 'versionNumber'), 'value')));
  assign(out, 'code', code(firstChild(doc, 'code')));
  assign(out, 'title', cleanText(firstChild(doc, 'title')));
  assign(out, 'effectiveTime', hl7TimeToIso(attrValue(firstChild(doc, 'effectiveTime'), 'value')));
  assign(out, 'confidentialityCode', attrValue(firstChild(doc, 'confidentialityCode'), 'code'));
  assign(out, 'languageCode', attrValue(firstChild(doc, 'languageCode'), 'code'));
  assign(out, 'custodian', organization(path(doc, 'custodian', 'assignedCustodian', 'representedCustodianOrganization')));

  if (nonXml) readNonXmlBody(firstChild(nonXml, 'text'), out);
  if (structured) {
    out.narrative = readSections(structured);
    const media = findAll(structured, 'observationMedia')
      .map((m) => firstChild(m, 'value'))
      .find((v) => attrValue(v, 'mediaType')?.toLowerCase() === 'application/pdf');
    const pdf = media ? decodeBinary(media) : undefined;
    if (pdf && looksLikePdf(pdf)) {
      out.pdf = pdf;
      out.pdfSource = 'observationMedia';
    }
  }
  return out;
}

function assign<K extends keyof CdaDocument>(target: CdaDocument, key: K, value: CdaDocument[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function ii(el: XmlElement | undefined): Ii | undefined {
  const root = attrValue(el, 'root');
  if (!root) return undefined;
  const extension = attrValue(el, 'extension');
  return extension === undefined ? { root } : { root, extension };
}

function code(el: XmlElement | undefined): CdaCode | undefined {
  const c = attrValue(el, 'code');
  if (!c) return undefined;
  const out: CdaCode = { code: c };
  const system = attrValue(el, 'codeSystem');
  const display = attrValue(el, 'displayName');
  if (system) out.codeSystem = system;
  if (display) out.displayName = display;
  return out;
}

function int(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

function qualifiers(el: XmlElement): string[] {
  return (attrValue(el, 'qualifier') ?? '').toUpperCase().split(/\s+/).filter(Boolean);
}

/**
 * Names follow the ANS rules: family/given qualifier `BR` = birth (given BR = first birth first
 * name), `CL` = used; an unqualified `given` next to birth names holds the full list of birth
 * first names separated by spaces. Nothing is guessed as a birth trait without a BR qualifier.
 */
function readPatient(role: XmlElement | undefined): CdaPatient {
  const ids = childElements(role, 'id')
    .map(ii)
    .filter((x): x is Ii => x !== undefined);
  const patient: CdaPatient = { ids, birthGivenNames: [] };
  const insId = ids.find((i) => isInsOid(i.root) && i.extension);
  if (insId?.extension) patient.ins = { matricule: insId.extension.toUpperCase(), oid: insId.root };

  const person = firstChild(role, 'patient');
  let unqualifiedFamily: string | undefined;
  let firstBirthGiven: string | undefined;
  const allBirthGivens: string[] = [];
  let sawBirth = false;
  for (const name of childElements(person, 'name')) {
    for (const part of childElements(name)) {
      const value = cleanText(part);
      if (!value || (part.name !== 'family' && part.name !== 'given')) continue;
      const q = qualifiers(part);
      if (part.name === 'family') {
        if (q.includes('BR')) {
          patient.birthName ??= value;
          sawBirth = true;
        } else if (q.includes('CL')) patient.usedName ??= value;
        else if (!q.length) unqualifiedFamily ??= value;
      } else if (q.includes('BR')) {
        firstBirthGiven ??= value;
        sawBirth = true;
      } else if (q.includes('CL')) patient.usedGivenName ??= value;
      else if (!q.length) allBirthGivens.push(...value.split(' '));
    }
  }
  if (sawBirth) {
    patient.birthGivenNames = allBirthGivens.length ? allBirthGivens : (firstBirthGiven?.split(' ') ?? []);
  } else {
    // Pre-2021 documents without qualifiers: show the names as used names, never as birth traits.
    if (unqualifiedFamily) patient.usedName ??= unqualifiedFamily;
    if (allBirthGivens.length) patient.usedGivenName ??= allBirthGivens.join(' ');
  }
  if (sawBirth && unqualifiedFamily && !patient.usedName) patient.usedName = unqualifiedFamily;

  const birthDate = hl7Date(attrValue(firstChild(person, 'birthTime'), 'value'));
  if (birthDate) patient.birthDate = birthDate;
  const sex = attrValue(firstChild(person, 'administrativeGenderCode'), 'code')?.toUpperCase();
  if (sex) patient.sex = sex === 'F' || sex === 'M' ? sex : 'U';
  const county = cleanText(path(person, 'birthplace', 'place', 'addr', 'county'));
  if (county) patient.birthplaceCode = county;
  return patient;
}

function organization(el: XmlElement | undefined): CdaOrganization | undefined {
  if (!el) return undefined;
  const out: CdaOrganization = {};
  const id = childElements(el, 'id').map(ii).find((x) => x !== undefined);
  const name = cleanText(firstChild(el, 'name'));
  if (id) out.id = id;
  if (name) out.name = name;
  return id || name ? out : undefined;
}

function readAuthor(author: XmlElement): CdaAuthor {
  const out: CdaAuthor = {};
  const time = hl7TimeToIso(attrValue(firstChild(author, 'time'), 'value'));
  if (time) out.time = time;
  const assigned = firstChild(author, 'assignedAuthor');
  const id = childElements(assigned, 'id').map(ii).find((x) => x !== undefined);
  if (id) out.id = id;
  const name = path(assigned, 'assignedPerson', 'name');
  const family = cleanText(firstChild(name, 'family'));
  const given = cleanText(firstChild(name, 'given'));
  if (family) out.familyName = family;
  if (given) out.givenName = given;
  if (!family && !given) {
    const device = cleanText(path(assigned, 'assignedAuthoringDevice', 'softwareName'));
    if (device) out.familyName = device;
  }
  const org = organization(firstChild(assigned, 'representedOrganization'));
  if (org) out.organization = org;
  return out;
}

function readRelated(rel: XmlElement): CdaRelatedDocument[] {
  const parent = firstChild(rel, 'parentDocument');
  const parentId = childElements(parent, 'id').map(ii).find((x) => x !== undefined);
  if (!parentId) return [];
  const out: CdaRelatedDocument = { typeCode: attrValue(rel, 'typeCode') ?? 'RPLC', parentId };
  const setId = ii(firstChild(parent, 'setId'));
  const version = int(attrValue(firstChild(parent, 'versionNumber'), 'value'));
  if (setId) out.parentSetId = setId;
  if (version !== undefined) out.parentVersionNumber = version;
  return [out];
}

function decodeBinary(el: XmlElement): Buffer {
  const raw = textContent(el);
  return (attrValue(el, 'representation') ?? 'TXT').toUpperCase() === 'B64'
    ? Buffer.from(raw, 'base64')
    : Buffer.from(raw, 'utf8');
}

function looksLikePdf(b: Buffer): boolean {
  return b.subarray(0, 1024).includes('%PDF-');
}

function readNonXmlBody(text: XmlElement | undefined, out: CdaDocument): void {
  if (!text) return;
  const mediaType = (attrValue(text, 'mediaType') ?? 'text/plain').toLowerCase();
  if (mediaType === 'application/pdf') {
    const pdf = decodeBinary(text);
    if (looksLikePdf(pdf)) {
      out.pdf = pdf;
      out.pdfSource = 'nonXMLBody';
    }
  } else if (mediaType === 'text/plain') {
    const body = decodeBinary(text).toString('utf8').trim();
    if (body) out.narrative = [{ title: out.title ?? '', text: body, depth: 0 }];
  }
}

function readSections(body: XmlElement): CdaNarrativeSection[] {
  const out: CdaNarrativeSection[] = [];
  const visit = (section: XmlElement, depth: number) => {
    const title = cleanText(firstChild(section, 'title')) ?? attrValue(firstChild(section, 'code'), 'displayName') ?? '';
    const text = narrativeToText(firstChild(section, 'text'));
    if (title || text) out.push({ title, text, depth });
    for (const sub of childElements(section, 'component').flatMap((c) => childElements(c, 'section'))) visit(sub, depth + 1);
  };
  for (const section of childElements(body, 'component').flatMap((c) => childElements(c, 'section'))) visit(section, 0);
  return out;
}
