import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import { classCodeFor, labelForLoinc, PRODUCED_DOCUMENT_TYPES } from '../../electron/services/cda/loinc-types';
import type { CdaPatient, Practice } from '../../electron/services/dmp/types';
import { buildDocumentEntry, parseSubmitObjectsRequest, toEbRim, visibilityCodes, XDS } from '../../electron/services/dmp/xds-metadata';
import { attr, children, descendants, parseXml } from '../../electron/services/dmp/xml';

const PDF = Buffer.from('%PDF-1.4\nfake\n%%EOF', 'latin1');
const patient: CdaPatient = {
  insMatricule: '180032B02040123', insOid: '1.2.250.1.213.1.4.10', identityStatus: 'QUAL', birthName: 'CORSE',
  birthGivenNames: ['ANTHONY', 'PAUL'], usedName: 'DURAND', birthDate: '1980-03-02', sex: 'M', birthplaceCode: '2B020', localId: 'IPP-7',
};
const practice: Practice = {
  name: 'Cabinet du Dr Charles', structureId: '312345678900011', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE', patientIdRoot: '1.2.250.1.999.1.1.1',
};
const author = { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' };

function cda(typeCode = '11488-4', replaces?: { id: string; setId: string; versionNumber: number }) {
  return buildCdaN1({
    pdf: PDF, typeCode, patient, author, practice, replaces,
    effectiveTime: new Date('2025-01-15T08:05:09Z'),
    serviceEvent: { start: new Date('2025-01-15T08:00:00Z'), end: new Date('2025-01-15T08:20:00Z') },
  });
}

describe('document types and DMP classCode', () => {
  it.each([
    ['11488-4', '10'], ['34133-9', '11'], ['60591-5', '11'], ['96349-6', '10'], ['57833-6', '42'],
    ['11502-2', '10'], ['18748-4', '31'], ['89601-9', '52'],
  ])('derives classCode of %s as %s in 1.2.250.1.213.1.1.4.1', (type, cls) => {
    expect(classCodeFor(type)).toMatchObject({ code: cls, scheme: '1.2.250.1.213.1.1.4.1' });
  });

  it('refuses to classify an unknown type', () => {
    expect(() => classCodeFor('99999-9')).toThrow(AppError);
  });

  it('labels received document types in French', () => {
    expect(labelForLoinc('11502-2')).toBe("CR d'examens biologiques");
    expect(labelForLoinc('18748-4')).toBe("CR d'imagerie médicale");
    expect(labelForLoinc('nope')).toBeUndefined();
    for (const t of PRODUCED_DOCUMENT_TYPES) expect(labelForLoinc(t.code)).toBe(t.displayName);
  });
});

describe('buildDocumentEntry', () => {
  it('derives the document entry from the CDA header', () => {
    const built = cda();
    const { documentEntry: e, submissionSet: ss, replacement } = buildDocumentEntry(built.xml);
    expect(replacement).toBeUndefined();
    expect(e.uniqueId).toBe(built.id);
    expect(e.patientId).toBe('180032B02040123^^^&1.2.250.1.213.1.4.10&ISO^NH');
    expect(e.sourcePatientId).toBe('IPP-7^^^&1.2.250.1.999.1.1.1&ISO^PI');
    expect(e.sourcePatientInfo).toEqual(['PID-5|CORSE^ANTHONY^ANTHONY PAUL^^^^L', 'PID-5|DURAND^ANTHONY^^^^^D', 'PID-7|19800302', 'PID-8|M', 'PID-11|^^^^^^BDL^^2B020']);
    expect(e.classCode).toEqual({ code: '10', scheme: '1.2.250.1.213.1.1.4.1', label: 'Compte rendu' });
    expect(e.typeCode).toEqual({ code: '11488-4', scheme: '2.16.840.1.113883.6.1', label: 'CR ou fiche de consultation ou de visite' });
    expect(e.formatCode).toMatchObject({ code: 'urn:ihe:iti:xds-sd:pdf:2008' });
    expect(e.confidentialityCodes).toEqual([{ code: 'N', scheme: '2.16.840.1.113883.5.25', label: 'Normal' }]);
    expect(e.healthcareFacilityTypeCode).toMatchObject({ code: 'SA07', scheme: '1.2.250.1.71.4.2.4' });
    expect(e.practiceSettingCode).toMatchObject({ code: 'AMBULATOIRE', scheme: '1.2.250.1.213.1.1.4.9' });
    expect(e.author.person).toBe('810002422979^CHARLES^Pascal^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS');
    expect(e.author.institutions).toEqual(['Cabinet du Dr Charles^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^312345678900011']);
    expect(e.author.specialties).toEqual(['G15_10/SM26^Médecin - Qualifié en Médecine Générale (SM)^1.2.250.1.213.1.1.4.5']);
    expect(e.legalAuthenticator).toBe(e.author.person);
    expect(e.creationTime).toBe('20250115080509');
    expect(e.serviceStartTime).toBe('20250115080000');
    expect(e.serviceStopTime).toBe('20250115082000');
    expect(e.languageCode).toBe('fr-FR');
    expect(e.mimeType).toBe('text/xml');
    expect(e.entryUuid).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(ss.patientId).toBe(e.patientId);
    expect(ss.uniqueId).toMatch(/^2\.25\.\d+$/);
    expect(ss.sourceId).toMatch(/^2\.25\.\d+$/);
    expect(ss.submissionTime).toMatch(/^\d{14}$/);
    expect(ss.contentTypeCode.code).toBe('SA07');
  });

  it('hashes (SHA-1) and measures the exact CDA bytes', () => {
    const built = cda();
    const bytes = Buffer.from(built.xml, 'utf8');
    const { documentEntry } = buildDocumentEntry(built.xml);
    expect(documentEntry.hash).toBe(createHash('sha1').update(bytes).digest('hex'));
    expect(documentEntry.size).toBe(bytes.length);
    expect(buildDocumentEntry(bytes).documentEntry.hash).toBe(documentEntry.hash);
  });

  it('adds the DMP visibility codes under scheme 1.2.250.1.213.1.1.4.13', () => {
    expect(visibilityCodes({})).toEqual([]);
    const codes = buildDocumentEntry(cda().xml, {
      visibility: { hiddenFromProfessionals: true, invisibleToPatient: true, invisibleToLegalRepresentatives: true },
    }).documentEntry.confidentialityCodes;
    expect(codes.map((c) => [c.code, c.scheme])).toEqual([
      ['N', '2.16.840.1.113883.5.25'],
      ['MASQUE_PS', '1.2.250.1.213.1.1.4.13'],
      ['INVISIBLE_PATIENT', '1.2.250.1.213.1.1.4.13'],
      ['INVISIBLE_REPRESENTANTS_LEGAUX', '1.2.250.1.213.1.1.4.13'],
    ]);
  });

  it('uses the derived classCode of a synthesis', () => {
    expect(buildDocumentEntry(cda('60591-5').xml).documentEntry.classCode.code).toBe('11');
  });

  it('records the replaced document of an RPLC', () => {
    const pkg = buildDocumentEntry(cda('11488-4', { id: '1.2.3.9', setId: '1.2.3.8', versionNumber: 1 }).xml);
    expect(pkg.replacement).toEqual({ parentUniqueId: '1.2.3.9' });
  });

  it('refuses a CDA without INS', () => {
    const xml = cda().xml.replace('root="1.2.250.1.213.1.4.10"', 'root="1.2.3.4"');
    expect(() => buildDocumentEntry(xml)).toThrow(/INS/);
  });
});

describe('toEbRim', () => {
  it('serialises the submission with the IHE classification schemes and reads back identically', () => {
    const pkg = buildDocumentEntry(cda().xml, { visibility: { invisibleToPatient: true } });
    const xml = toEbRim(pkg);
    const sor = parseXml(xml);
    const schemes = descendants(sor, 'Classification').map((c) => attr(c, 'classificationScheme'));
    for (const s of [XDS.DE_CLASS_CODE, XDS.DE_TYPE_CODE, XDS.DE_FORMAT_CODE, XDS.DE_CONFIDENTIALITY, XDS.DE_FACILITY_TYPE, XDS.DE_PRACTICE_SETTING, XDS.DE_AUTHOR, XDS.SS_AUTHOR, XDS.SS_CONTENT_TYPE]) {
      expect(schemes).toContain(s);
    }
    expect(descendants(sor, 'Classification').some((c) => attr(c, 'classificationNode') === XDS.SUBMISSION_SET)).toBe(true);
    const back = parseSubmitObjectsRequest(sor);
    expect(back.documentEntries).toEqual([pkg.documentEntry]);
    expect(back.submissionSet).toEqual(pkg.submissionSet);
    expect(back.associations).toEqual([expect.objectContaining({ type: XDS.HAS_MEMBER, source: pkg.submissionSet.entryUuid, target: pkg.documentEntry.entryUuid })]);
  });

  it('adds the RPLC association towards the replaced entry', () => {
    const pkg = buildDocumentEntry(cda('11488-4', { id: '1.2.3.9', setId: '1.2.3.8', versionNumber: 1 }).xml);
    expect(() => toEbRim(pkg)).toThrow(AppError);
    pkg.replacement!.targetEntryUuid = 'urn:uuid:11111111-2222-3333-4444-555555555555';
    const assocs = children(descendants(parseXml(toEbRim(pkg)), 'RegistryObjectList')[0]!, 'Association');
    const rplc = assocs.find((a) => attr(a, 'associationType') === 'urn:ihe:iti:2007:AssociationType:RPLC');
    expect(attr(rplc, 'sourceObject')).toBe(pkg.documentEntry.entryUuid);
    expect(attr(rplc, 'targetObject')).toBe('urn:uuid:11111111-2222-3333-4444-555555555555');
  });
});
