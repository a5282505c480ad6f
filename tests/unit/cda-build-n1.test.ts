import { existsSync } from 'node:fs';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { buildCdaN1, type BuildCdaN1Input } from '../../electron/services/cda/build-n1';
import type { CdaPatient } from '../../electron/services/dmp/types';
import { attr, child, children, elements, parseXml, path, textOf, type XElement } from '../../electron/services/dmp/xml';

const HL7 = 'urn:hl7-org:v3';
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'), Buffer.from([0, 1, 2, 250, 251, 252]), Buffer.from('\n%%EOF', 'latin1')]);
const ANS_N1_ZIP = '/work/shared/fixtures/ans-xdm/DOC_NON_STRUCTURE_CDA-R2-N1.zip';

const patient: CdaPatient = {
  insMatricule: '297022A02077878',
  insOid: '1.2.250.1.213.1.4.10',
  identityStatus: 'QUAL',
  birthName: 'ADRTROIS',
  birthGivenNames: ['DOMINIQUE', 'MARIE'],
  usedName: 'DUPONT',
  usedGivenName: 'DOMI',
  birthDate: '1997-02-26',
  sex: 'F',
  birthplaceCode: '2A020',
  localId: 'IPP-42',
};

function input(over: Partial<BuildCdaN1Input> = {}): BuildCdaN1Input {
  let n = 0;
  return {
    pdf: PDF,
    typeCode: '11488-4',
    patient,
    author: { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' },
    practice: {
      name: 'Cabinet du Dr Charles',
      structureId: '312345678900011',
      facilityTypeCode: 'SA07',
      practiceSettingCode: 'AMBULATOIRE',
      address: { houseNumber: '8', streetName: 'Rue de la Paix', postalCode: '63000', city: 'CLERMONT-FERRAND' },
      telecom: '04 73 00 00 00',
      patientIdRoot: '1.2.250.1.999.1.1.1',
    },
    effectiveTime: new Date('2025-01-15T08:05:09Z'),
    newId: () => `1.2.250.1.999.7.${++n}`,
    ...over,
  };
}

function build(over: Partial<BuildCdaN1Input> = {}): { doc: XElement; out: ReturnType<typeof buildCdaN1> } {
  const out = buildCdaN1(input(over));
  return { doc: parseXml(out.xml), out };
}

const names = (el: XElement) => elements(el).map((e) => e.local);

describe('buildCdaN1 — CI-SIS structuration minimale header', () => {
  it('declares realm FR, the CDA typeId and exactly the three N1 templateIds', () => {
    const { doc } = build();
    expect(doc.local).toBe('ClinicalDocument');
    expect(doc.ns).toBe(HL7);
    expect(children(doc, 'realmCode').map((e) => attr(e, 'code'))).toEqual(['FR']);
    const typeId = child(doc, 'typeId')!;
    expect([attr(typeId, 'root'), attr(typeId, 'extension')]).toEqual(['2.16.840.1.113883.1.3', 'POCD_HD000040']);
    expect(children(doc, 'templateId').map((e) => attr(e, 'root'))).toEqual(['2.16.840.1.113883.2.8.2.1', '1.2.250.1.213.1.1.1.1', '1.3.6.1.4.1.19376.1.2.20']);
  });

  it('gives id, setId and version 1 for a new document', () => {
    const { doc, out } = build();
    expect(out).toMatchObject({ id: '1.2.250.1.999.7.1', setId: '1.2.250.1.999.7.2', versionNumber: 1 });
    expect(attr(child(doc, 'id'), 'root')).toBe(out.id);
    expect(attr(child(doc, 'setId'), 'root')).toBe(out.setId);
    expect(attr(child(doc, 'versionNumber'), 'value')).toBe('1');
  });

  it('uses UUID-based OIDs (2.25) by default', () => {
    const out = buildCdaN1({ ...input(), newId: undefined });
    expect(out.id).toMatch(/^2\.25\.\d{20,}$/);
    expect(out.setId).not.toBe(out.id);
  });

  it('codes the type in LOINC with a displayName, the title, confidentiality N and fr-FR', () => {
    const { doc } = build();
    const code = child(doc, 'code')!;
    expect(attr(code, 'code')).toBe('11488-4');
    expect(attr(code, 'codeSystem')).toBe('2.16.840.1.113883.6.1');
    expect(attr(code, 'displayName')).toBe('CR ou fiche de consultation ou de visite');
    expect(textOf(child(doc, 'title'))).toBe('Compte rendu de consultation');
    const conf = child(doc, 'confidentialityCode')!;
    expect([attr(conf, 'code'), attr(conf, 'codeSystem')]).toEqual(['N', '2.16.840.1.113883.5.25']);
    expect(attr(child(doc, 'languageCode'), 'code')).toBe('fr-FR');
    expect(textOf(child(build({ title: 'Consultation du 15 janvier' }).doc, 'title'))).toBe('Consultation du 15 janvier');
  });

  it('writes effectiveTime in French local time with its offset', () => {
    expect(attr(child(build().doc, 'effectiveTime'), 'value')).toBe('20250115090509+0100');
    expect(attr(child(build({ effectiveTime: new Date('2025-07-01T10:00:00Z') }).doc, 'effectiveTime'), 'value')).toBe('20250701120000+0200');
  });

  it('identifies the patient by INS with birth (BR) and used (CL) names and the five traits', () => {
    const role = path(build().doc, 'recordTarget', 'patientRole')!;
    const ids = children(role, 'id').map((i) => [attr(i, 'root'), attr(i, 'extension')]);
    expect(ids).toEqual([
      ['1.2.250.1.213.1.4.10', '297022A02077878'],
      ['1.2.250.1.999.1.1.1', 'IPP-42'],
    ]);
    const p = child(role, 'patient')!;
    const name = child(p, 'name')!;
    const parts = elements(name).map((e) => `${e.local}${attr(e, 'qualifier') ? `[${attr(e, 'qualifier')}]` : ''}=${textOf(e)}`);
    expect(parts).toEqual(['family[BR]=ADRTROIS', 'given=DOMINIQUE MARIE', 'given[BR]=DOMINIQUE', 'family[CL]=DUPONT', 'given[CL]=DOMI']);
    const gender = child(p, 'administrativeGenderCode')!;
    expect([attr(gender, 'code'), attr(gender, 'codeSystem')]).toEqual(['F', '2.16.840.1.113883.5.1']);
    expect(attr(child(p, 'birthTime'), 'value')).toBe('19970226');
    expect(textOf(path(p, 'birthplace', 'place', 'addr', 'county'))).toBe('2A020');
    expect(names(p)).toEqual(['name', 'administrativeGenderCode', 'birthTime', 'birthplace']);
  });

  it.each(['PROV', 'RECUP', 'VALI'] as const)('refuses a %s identity with IDENTITY_RULE', (identityStatus) => {
    const err = (() => {
      try {
        buildCdaN1(input({ patient: { ...patient, identityStatus } }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('IDENTITY_RULE');
    expect((err as AppError).message).toMatch(/qualifiée/);
  });

  it('refuses an INS without birthplace or with a bad matricule', () => {
    expect(() => buildCdaN1(input({ patient: { ...patient, birthplaceCode: undefined } }))).toThrow(/lieu de naissance/);
    expect(() => buildCdaN1(input({ patient: { ...patient, insMatricule: '12345' } }))).toThrow(AppError);
  });

  it('identifies the author by 8+RPPS under 1.2.250.1.71.4.2.1 with the structure', () => {
    const a = path(build().doc, 'author', 'assignedAuthor')!;
    expect([attr(child(a, 'id'), 'root'), attr(child(a, 'id'), 'extension')]).toEqual(['1.2.250.1.71.4.2.1', '810002422979']);
    expect(attr(child(a, 'code'), 'code')).toBe('G15_10/SM26');
    expect(attr(child(a, 'code'), 'codeSystem')).toBe('1.2.250.1.213.1.1.4.5');
    expect(textOf(path(a, 'assignedPerson', 'name', 'family'))).toBe('CHARLES');
    const org = child(a, 'representedOrganization')!;
    expect([attr(child(org, 'id'), 'root'), attr(child(org, 'id'), 'extension')]).toEqual(['1.2.250.1.71.4.2.2', '312345678900011']);
    expect(attr(child(org, 'telecom'), 'value')).toBe('tel:0473000000');
    expect(names(a)).toEqual(['id', 'code', 'assignedPerson', 'representedOrganization']);
    expect(attr(path(build().doc, 'author', 'time'), 'value')).toBe('20250115090509+0100');
  });

  it('names the practice as custodian and the author as legal authenticator (signatureCode S)', () => {
    const { doc } = build();
    const custodian = path(doc, 'custodian', 'assignedCustodian', 'representedCustodianOrganization')!;
    expect(attr(child(custodian, 'id'), 'extension')).toBe('312345678900011');
    expect(textOf(child(custodian, 'name'))).toBe('Cabinet du Dr Charles');
    const legal = child(doc, 'legalAuthenticator')!;
    expect(attr(child(legal, 'signatureCode'), 'code')).toBe('S');
    expect(attr(path(legal, 'assignedEntity', 'id'), 'extension')).toBe('810002422979');
    expect(attr(path(legal, 'assignedEntity', 'id'), 'root')).toBe('1.2.250.1.71.4.2.1');
  });

  it('documents the service event with its performer and practice setting', () => {
    const event = path(build({ serviceEvent: { start: new Date('2025-01-15T08:00:00Z'), end: new Date('2025-01-15T08:20:00Z') } }).doc, 'documentationOf', 'serviceEvent')!;
    expect(attr(path(event, 'effectiveTime', 'low'), 'value')).toBe('20250115090000+0100');
    expect(attr(path(event, 'effectiveTime', 'high'), 'value')).toBe('20250115092000+0100');
    const perf = child(event, 'performer')!;
    expect(attr(perf, 'typeCode')).toBe('PRF');
    const setting = path(perf, 'assignedEntity', 'representedOrganization', 'standardIndustryClassCode')!;
    expect([attr(setting, 'code'), attr(setting, 'codeSystem')]).toEqual(['AMBULATOIRE', '1.2.250.1.213.1.1.4.9']);
  });

  it('places the encounter in an SA07 facility', () => {
    const enc = path(build().doc, 'componentOf', 'encompassingEncounter')!;
    expect(attr(path(enc, 'effectiveTime', 'low'), 'value')).toBe('20250115090509+0100');
    const code = path(enc, 'location', 'healthCareFacility', 'code')!;
    expect([attr(code, 'code'), attr(code, 'codeSystem'), attr(code, 'displayName')]).toEqual(['SA07', '1.2.250.1.71.4.2.4', 'Cabinet individuel']);
  });

  it('embeds the PDF as base64 in nonXMLBody', () => {
    const text = path(build().doc, 'component', 'nonXMLBody', 'text')!;
    expect(attr(text, 'mediaType')).toBe('application/pdf');
    expect(attr(text, 'representation')).toBe('B64');
    expect(Buffer.from(textOf(text), 'base64').equals(PDF)).toBe(true);
  });

  it('refuses something that is not a PDF, and an unknown type', () => {
    expect(() => buildCdaN1(input({ pdf: Buffer.from('hello') }))).toThrow(/PDF/);
    expect(() => buildCdaN1(input({ typeCode: '00000-0' }))).toThrow(AppError);
  });

  it('builds a replacement: same setId, version + 1, new id and relatedDocument RPLC', () => {
    const { doc, out } = build({ replaces: { id: '1.2.3.1', setId: '1.2.3.0', versionNumber: 2 } });
    expect(out.setId).toBe('1.2.3.0');
    expect(out.versionNumber).toBe(3);
    expect(out.id).not.toBe('1.2.3.1');
    const rel = child(doc, 'relatedDocument')!;
    expect(attr(rel, 'typeCode')).toBe('RPLC');
    expect(attr(path(rel, 'parentDocument', 'id'), 'root')).toBe('1.2.3.1');
    expect(attr(path(rel, 'parentDocument', 'setId'), 'root')).toBe('1.2.3.0');
    expect(attr(path(rel, 'parentDocument', 'versionNumber'), 'value')).toBe('2');
    expect(child(build().doc, 'relatedDocument')).toBeUndefined();
  });

  it('follows the CDA schema order of the header', () => {
    const order = names(build({ replaces: { id: '1.2.3.1', setId: '1.2.3.0', versionNumber: 1 } }).doc);
    expect(order).toEqual([
      'realmCode', 'typeId', 'templateId', 'templateId', 'templateId', 'id', 'code', 'title', 'effectiveTime',
      'confidentialityCode', 'languageCode', 'setId', 'versionNumber', 'recordTarget', 'author', 'custodian',
      'legalAuthenticator', 'documentationOf', 'relatedDocument', 'componentOf', 'component',
    ]);
  });

  it.skipIf(!existsSync(ANS_N1_ZIP))('orders header elements like the ANS N1 example', async () => {
    const ans = parseXml(await readZipEntry(ANS_N1_ZIP, /DOC0001\.XML$/i));
    const ansOrder = [...new Set(names(ans))];
    const ours = [...new Set(names(build({ replaces: { id: '1.2.3.1', setId: '1.2.3.0', versionNumber: 1 } }).doc))].filter((n) => ansOrder.includes(n));
    expect(ours).toEqual(ansOrder.filter((n) => ours.includes(n)));
    expect(ours.length).toBeGreaterThan(15);
  });
});

function readZipEntry(file: string, name: RegExp): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!name.test(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      zip.on('end', () => reject(new Error('entry not found')));
      zip.readEntry();
    });
  });
}
