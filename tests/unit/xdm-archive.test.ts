import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { parseCx, parsePatientInfo, parseXcn, parseXon } from '../../electron/services/mail/xdm/hl7v2';
import { readXdmArchive, resolveUri } from '../../electron/services/mail/xdm/read-archive';
import type { XdmPackage } from '../../electron/services/mail/xdm/types';
import {
  MINIMAL_PDF,
  TEST_PATIENT,
  buildSampleXdmZip,
  buildXdmZip,
  sampleCdaXml,
  sampleMetadataXml,
  type SampleDocOptions,
} from '../helpers/mss-message';

const codes = (pkg: XdmPackage, i = 0) => pkg.documents[i]!.problems.map((p) => p.code);

/** An archive whose METADATA.XML is written from `meta` but whose CDA comes from `cda`. */
async function mixedArchive(meta: SampleDocOptions, cda: SampleDocOptions | string): Promise<Buffer> {
  const content = Buffer.from(typeof cda === 'string' ? cda : sampleCdaXml(cda), 'utf8');
  return buildXdmZip({
    'IHE_XDM/SUBSET01/METADATA.XML': sampleMetadataXml([{ options: meta, uri: 'DOC0001.XML', content }]),
    'IHE_XDM/SUBSET01/DOC0001.XML': content,
  });
}

describe('readXdmArchive', () => {
  it('reads a consistent archive: entry metadata, bytes and CDA, no problem', async () => {
    const pkg = await readXdmArchive(await buildSampleXdmZip());
    expect(pkg.files).toEqual(['INDEX.HTM', 'README.TXT', 'IHE_XDM/SUBSET01/METADATA.XML', 'IHE_XDM/SUBSET01/DOC0001.XML']);
    expect(pkg.warnings).toEqual([]);
    expect(pkg.submissionSet).toMatchObject({
      uniqueId: '1.2.250.1.999.77.1',
      sourceId: '1.2.250.1.999.77',
      submissionTime: '2026-03-02T09:30:00Z',
      title: 'Envoi de test',
      contentTypeCode: { code: 'SA07', codingScheme: '1.2.250.1.71.4.2.4' },
      patientId: { ins: TEST_PATIENT.ins },
    });
    expect(pkg.submissionSet.authors[0]?.person).toMatchObject({ id: '810000000001', familyName: 'MEDECIN', givenName: 'Jean' });

    expect(pkg.documents).toHaveLength(1);
    const [doc] = pkg.documents;
    expect(doc!.problems).toEqual([]);
    expect(doc!.path).toBe('IHE_XDM/SUBSET01/DOC0001.XML');
    expect(doc!.cda?.patient.ins).toEqual(TEST_PATIENT.ins);
    expect(doc!.entry).toMatchObject({
      entryUuid: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      uniqueId: '1.2.250.1.999.1.1',
      patientId: { raw: '236066322083656^^^&1.2.250.1.213.1.4.10&ISO^NH', id: '236066322083656', oid: '1.2.250.1.213.1.4.10', ins: TEST_PATIENT.ins },
      sourcePatientId: 'IPP-42^^^&1.2.250.1.999.9&ISO^PI',
      sourcePatientInfo: {
        birthName: 'TCHITCHI',
        birthGivenNames: ['Catarina', 'Bella'],
        usedName: 'TCHITCHI',
        usedGivenName: 'Catarina',
        birthDate: '1936-06-21',
        sex: 'F',
        birthplaceCode: '63220',
      },
      typeCode: { code: '11488-4', codingScheme: '2.16.840.1.113883.6.1', displayName: 'Compte rendu de consultation' },
      classCode: { code: '11' },
      formatCode: { code: 'urn:asip:ci-sis:2010' },
      confidentialityCodes: [{ code: 'N', codingScheme: '2.16.840.1.113883.5.25', displayName: 'Normal' }],
      healthcareFacilityTypeCode: { code: 'SA07' },
      practiceSettingCode: { code: 'AMBULATOIRE' },
      title: 'Compte rendu de consultation',
      creationTime: '2026-03-02T09:15:00Z',
      mimeType: 'text/xml',
      uri: 'DOC0001.XML',
      action: null,
    });
    expect(doc!.entry.authors[0]?.institutions[0]).toMatchObject({ name: 'Cabinet du Parc', id: '1000000001', idOid: '1.2.250.1.71.4.2.2' });
    expect(doc!.content?.length).toBe(doc!.entry.size);
  });

  it('finds METADATA.XML in any folder, any case, and resolves URIs case-insensitively', async () => {
    const content = Buffer.from(sampleCdaXml(), 'utf8');
    const zip = await buildXdmZip({
      'ihe_xdm/LOT-42/metadata.xml': sampleMetadataXml([{ options: {}, uri: 'DOC0001.XML', content }]),
      'ihe_xdm/LOT-42/doc0001.xml': content,
    });
    const pkg = await readXdmArchive(zip);
    expect(pkg.documents[0]!.path).toBe('ihe_xdm/LOT-42/doc0001.xml');
    expect(pkg.documents[0]!.problems).toEqual([]);
  });

  it('reads several documents and detects replacement / deletion actions', async () => {
    const pkg = await readXdmArchive(
      await buildSampleXdmZip({
        docs: [
          { cdaId: '1.2.250.1.999.1.2', action: 'C', parentId: '1.2.250.1.999.1.1', version: 2 },
          { cdaId: '1.2.250.1.999.1.3', action: 'D', pdf: MINIMAL_PDF },
        ],
      }),
    );
    expect(pkg.documents.map((d) => d.entry.action)).toEqual(['C', 'D']);
    expect(pkg.documents[0]!.cda?.relatedDocuments[0]?.parentId).toEqual({ root: '1.2.250.1.999.1.1' });
    expect(pkg.documents[1]!.cda?.pdf?.equals(MINIMAL_PDF)).toBe(true);
    expect(pkg.documents.flatMap((d) => d.problems)).toEqual([]);
  });

  it('INS_MISMATCH when the CDA INS differs from the METADATA.XML patientId', async () => {
    const other = { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.10' };
    const pkg = await readXdmArchive(await buildSampleXdmZip({ docs: [{ ins: other, metadataIns: TEST_PATIENT.ins }] }));
    expect(codes(pkg)).toEqual(['INS_MISMATCH']);
    expect(pkg.documents[0]!.problems[0]!.message).toMatch(/INS du document CDA ne correspond pas/);
    // same matricule, other authority
    const oid = await readXdmArchive(
      await buildSampleXdmZip({ docs: [{ ins: { ...TEST_PATIENT.ins, oid: '1.2.250.1.213.1.4.8' }, metadataIns: TEST_PATIENT.ins }] }),
    );
    expect(codes(oid)).toEqual(['INS_MISMATCH']);
  });

  it('reports a CDA without the INS, a missing patientId, a patientId that is not an INS', async () => {
    expect(codes(await readXdmArchive(await buildSampleXdmZip({ docs: [{ ins: null, metadataIns: TEST_PATIENT.ins }] })))).toEqual([
      'CDA_INS_ABSENT',
    ]);
    expect(codes(await readXdmArchive(await buildSampleXdmZip({ docs: [{ metadataIns: null }] })))).toEqual(['PATIENT_ID_MISSING']);
    const local = await readXdmArchive(await buildSampleXdmZip({ docs: [{ ins: null, metadataIns: { matricule: 'IPP-42', oid: '1.2.3' } }] }));
    expect(codes(local)).toEqual(['PATIENT_ID_NOT_INS']);
  });

  it('TRAITS_MISMATCH when the CDA traits differ from sourcePatientInfo', async () => {
    const pkg = await readXdmArchive(await mixedArchive({}, { birthDate: '1936-06-22', sex: 'M', birthName: 'TCHITCHY' }));
    expect(codes(pkg)).toEqual(['TRAITS_MISMATCH']);
    expect(pkg.documents[0]!.problems[0]!.message).toContain('nom de naissance, date de naissance, sexe');
    // accents and case are not differences
    expect(codes(await readXdmArchive(await mixedArchive({ birthName: 'Tchitchi' }, { birthName: 'TCHÎTCHI' })))).toEqual([]);
  });

  it('UNIQUE_ID_MISMATCH when the CDA id is not the entry uniqueId', async () => {
    const pkg = await readXdmArchive(await mixedArchive({ cdaId: '1.2.3' }, { cdaId: '1.2.4' }));
    expect(codes(pkg)).toEqual(['UNIQUE_ID_MISMATCH']);
  });

  it('reports missing documents and hash/size mismatches', async () => {
    expect(codes(await readXdmArchive(await buildSampleXdmZip({ omitDocument: true })))).toEqual(['DOCUMENT_MISSING']);
    expect(codes(await readXdmArchive(await buildSampleXdmZip({ docs: [{ hash: '0'.repeat(40) }] })))).toEqual(['HASH_MISMATCH']);
    expect(codes(await readXdmArchive(await buildSampleXdmZip({ docs: [{ size: 12 }] })))).toEqual(['SIZE_MISMATCH']);
  });

  it('refuses URIs leaving the archive and never reads outside it', async () => {
    expect(codes(await readXdmArchive(await buildSampleXdmZip({ docs: [{ uri: '../../../etc/passwd' }], omitDocument: true })))).toEqual([
      'URI_INVALID',
    ]);
    expect(codes(await readXdmArchive(await buildSampleXdmZip({ docs: [{ uri: 'file:///etc/passwd' }], omitDocument: true })))).toEqual([
      'URI_INVALID',
    ]);
    expect(resolveUri('IHE_XDM/SUBSET01', 'DOC%200001.XML')).toBe('IHE_XDM/SUBSET01/DOC 0001.XML');
    expect(resolveUri('IHE_XDM/SUBSET01', '../SUBSET02/DOC.XML')).toBe('IHE_XDM/SUBSET02/DOC.XML');
    expect(resolveUri('', '/abs')).toBeNull();
  });

  it('reports an unreadable CDA without failing the archive', async () => {
    const pkg = await readXdmArchive(await mixedArchive({}, '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://evil/x.dtd"><x/>'));
    expect(codes(pkg)).toEqual(['CDA_INVALID']);
    expect(pkg.documents[0]!.problems[0]!.message).toMatch(/DOCTYPE/);
    expect(pkg.documents[0]!.content).toBeDefined();
  });

  it('flags an archive about several patients', async () => {
    const pkg = await readXdmArchive(
      await buildSampleXdmZip({ docs: [{}, { cdaId: '1.2.250.1.999.1.9', ins: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.10' } }] }),
    );
    expect(pkg.warnings.map((w) => w.code)).toEqual(['MULTIPLE_PATIENTS', 'PATIENT_ID_INCONSISTENT']);
  });

  it('throws BAD_INPUT without METADATA.XML or with an unusable one', async () => {
    await expect(readXdmArchive(await buildXdmZip({ 'README.TXT': 'x' }))).rejects.toThrow(/METADATA.XML introuvable/);
    await expect(readXdmArchive(await buildXdmZip({ 'IHE_XDM/SUBSET01/METADATA.XML': '<a><b></a>' }))).rejects.toBeInstanceOf(AppError);
    await expect(readXdmArchive(await buildXdmZip({ 'IHE_XDM/SUBSET01/METADATA.XML': '<root/>' }))).rejects.toThrow(/RegistryObjectList/);
  });

  it('keeps the bytes of a non-XML document (a PDF entry)', async () => {
    const meta = sampleMetadataXml([{ options: {}, uri: 'DOC0001.PDF', content: MINIMAL_PDF }]).replace('mimeType="text/xml"', 'mimeType="application/pdf"');
    const pkg = await readXdmArchive(await buildXdmZip({ 'IHE_XDM/SUBSET01/METADATA.XML': meta, 'IHE_XDM/SUBSET01/DOC0001.PDF': MINIMAL_PDF }));
    expect(pkg.documents[0]!.cda).toBeUndefined();
    expect(pkg.documents[0]!.content?.equals(MINIMAL_PDF)).toBe(true);
    expect(createHash('sha1').update(MINIMAL_PDF).digest('hex')).toBe(pkg.documents[0]!.entry.hash?.toLowerCase());
  });
});

describe('HL7 v2 values of XDS metadata', () => {
  it('parses CX patient ids and recognises INS authorities', () => {
    expect(parseCx('297022A02077878^^^&1.2.250.1.213.1.4.8&ISO^NH')).toEqual({
      raw: '297022A02077878^^^&1.2.250.1.213.1.4.8&ISO^NH',
      id: '297022A02077878',
      oid: '1.2.250.1.213.1.4.8',
      ins: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8' },
    });
    expect(parseCx('236066322083656^^^&1.2.250.1.213.1.4.5&ISO^NH')?.ins).toBeUndefined(); // wrong OID seen in the wild
    expect(parseCx('123^^^&1.2.250.1.213.1.4.10&ISO^NH')?.ins).toBeUndefined(); // not INS-shaped
    expect(parseCx('^^^&1.2.3&ISO')).toBeUndefined();
  });

  it('parses XCN and XON', () => {
    expect(parseXcn('801234567897^MEDIONI^Stéphane^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS')).toMatchObject({
      id: '801234567897',
      familyName: 'MEDIONI',
      givenName: 'Stéphane',
      idOid: '1.2.250.1.71.4.2.1',
    });
    expect(parseXon('Centre de soins le Belvédère^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^2801234567')).toMatchObject({
      name: 'Centre de soins le Belvédère',
      idOid: '1.2.250.1.71.4.2.2',
      id: '2801234567',
    });
  });

  it('parses sourcePatientInfo (PID-5 L/D, PID-7, PID-8, PID-11 BDL)', () => {
    expect(
      parsePatientInfo([
        'PID-3|IPP-1^^^&1.2.3&ISO^PI',
        'PID-5|PAT-TROIS^DOMINIQUE^DOMINIQUE MARIE-LOUISE^^^^L',
        'PID-5|DURAND^DOMI^^^^^D',
        'PID-7|19790328',
        'PID-8|F',
        'PID-11|^^^^^^BDL^^51215',
        'garbage',
      ]),
    ).toEqual({
      ids: ['IPP-1^^^&1.2.3&ISO^PI'],
      birthName: 'PAT-TROIS',
      birthGivenNames: ['DOMINIQUE', 'MARIE-LOUISE'],
      usedName: 'DURAND',
      usedGivenName: 'DOMI',
      birthDate: '1979-03-28',
      sex: 'F',
      birthplaceCode: '51215',
    });
    // a name without type is never taken as the birth name
    expect(parsePatientInfo(['PID-5|DUPONT^JEAN', 'PID-8|X'])).toEqual({ ids: [], birthGivenNames: [], usedName: 'DUPONT', usedGivenName: 'JEAN', sex: 'U' });
  });
});
