import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { parseCda } from '../../electron/services/cda/parse';
import { isInsOid, isInsShaped } from '../../electron/services/cda/types';
import { narrativeToText } from '../../electron/services/xml/narrative-text';
import { parseXmlTree } from '../../electron/services/xml/safe-xml';
import { MINIMAL_PDF, TEST_PATIENT, sampleCdaXml } from '../helpers/mss-message';

const narrative = (xml: string) => narrativeToText(parseXmlTree(xml));

describe('narrativeToText', () => {
  it('flattens tables row by row and never keeps markup', () => {
    const text = narrative(`<text>
      <table border="1"><caption>Résultats</caption>
        <thead><tr><th>Examen</th><th>Valeur</th></tr></thead>
        <tbody>
          <tr><td>Glycémie</td><td><content styleCode="Bold">1,02</content> g/L</td></tr>
          <tr><td/><td/></tr>
          <tr><td>TSH</td><td>2,1 <sup>mUI</sup>/L</td></tr>
        </tbody>
      </table></text>`);
    expect(text).toBe('Résultats\nExamen | Valeur\nGlycémie | 1,02 g/L\nTSH | 2,1 mUI/L');
    expect(text).not.toMatch(/[<>]/);
  });

  it('renders paragraphs, line breaks, lists (bulleted, ordered, nested) and multimedia', () => {
    const text = narrative(`<text>
      <paragraph>Patiente vue ce jour.<br/>Bon état   général.</paragraph>
      Texte libre
      <list><item>Repos</item><item>Contrôle <linkHtml href="javascript:alert(1)">ici</linkHtml>
        <list listType="ordered"><item>à 1 mois</item><item>à 3 mois</item></list></item></list>
      <renderMultiMedia referencedObject="img1"/>
      <paragraph>Fin<footnote>note</footnote></paragraph>
    </text>`);
    expect(text.split('\n')).toEqual([
      'Patiente vue ce jour.',
      'Bon état général.',
      'Texte libre',
      '- Repos',
      '- Contrôle ici',
      '  1. à 1 mois',
      '  2. à 3 mois',
      '[contenu multimédia]',
      'Fin [note]',
    ]);
    expect(text).not.toContain('javascript');
  });
});

describe('parseCda', () => {
  it('reads the French header of a level 3 document', () => {
    const doc = parseCda(sampleCdaXml({ cdaId: '1.2.3.4.5', setId: '1.2.3.4.6', version: 2, parentId: '1.2.3.4.4' }));
    expect(doc.level).toBe(3);
    expect(doc.id).toEqual({ root: '1.2.3.4.5' });
    expect(doc.setId).toEqual({ root: '1.2.3.4.6' });
    expect(doc.versionNumber).toBe(2);
    expect(doc.code).toEqual({ code: '11488-4', codeSystem: '2.16.840.1.113883.6.1', displayName: 'Compte rendu de consultation' });
    expect(doc.title).toBe('Compte rendu de consultation');
    expect(doc.effectiveTime).toBe('2026-03-02T10:15:00+01:00');
    expect(doc.confidentialityCode).toBe('N');
    expect(doc.languageCode).toBe('fr-FR');
    expect(doc.templateIds).toEqual(['2.16.840.1.113883.2.8.2.1', '1.2.250.1.213.1.1.1.1']);
    expect(doc.relatedDocuments).toEqual([{ typeCode: 'RPLC', parentId: { root: '1.2.3.4.4' } }]);
    expect(doc.authors).toEqual([
      {
        time: '2026-03-02T10:15:00+01:00',
        id: { root: '1.2.250.1.71.4.2.1', extension: '810000000001' },
        familyName: 'MEDECIN',
        givenName: 'Jean',
        organization: { id: { root: '1.2.250.1.71.4.2.2', extension: '1000000001' }, name: 'Cabinet du Parc' },
      },
    ]);
    expect(doc.custodian).toEqual({ id: { root: '1.2.250.1.71.4.2.2', extension: '1000000001' }, name: 'Cabinet du Parc' });
    expect(doc.narrative).toEqual([{ title: 'Conclusion', text: 'Examen normal.\n- Repos\n- Contrôle à 1 mois', depth: 0 }]);
    expect(doc.pdf).toBeUndefined();
  });

  it('reads the patient: INS, birth traits (BR), used names (CL), every birth first name', () => {
    const { patient } = parseCda(sampleCdaXml());
    expect(patient.ins).toEqual(TEST_PATIENT.ins);
    expect(patient.ids).toEqual([
      { root: '1.2.250.1.213.1.4.10', extension: '236066322083656' },
      { root: '1.2.250.1.999.9', extension: 'IPP-42' },
    ]);
    expect(patient.birthName).toBe('TCHITCHI');
    expect(patient.birthGivenNames).toEqual(['Catarina', 'Bella']);
    expect(patient.usedName).toBe('TCHITCHI');
    expect(patient.usedGivenName).toBe('Catarina');
    expect(patient.birthDate).toBe('1936-06-21');
    expect(patient.sex).toBe('F');
    expect(patient.birthplaceCode).toBe('63220');
  });

  it('reports no INS when the id root is not an INS authority', () => {
    const { patient } = parseCda(sampleCdaXml({ ins: { matricule: '236066322083656', oid: '1.2.250.1.213.1.4.5' } }));
    expect(patient.ins).toBeUndefined();
    expect(patient.ids[0]).toEqual({ root: '1.2.250.1.213.1.4.5', extension: '236066322083656' });
  });

  it('never takes unqualified names for birth traits', () => {
    const xml = sampleCdaXml().replace(/<name>[\s\S]*?<\/name>/, '<name><family>DUPONT</family><given>Jean Paul</given></name>');
    const { patient } = parseCda(xml);
    expect(patient.birthName).toBeUndefined();
    expect(patient.birthGivenNames).toEqual([]);
    expect(patient.usedName).toBe('DUPONT');
    expect(patient.usedGivenName).toBe('Jean Paul');
  });

  it('uses the BR first name when no full list is given', () => {
    const xml = sampleCdaXml().replace(/<given>Catarina Bella<\/given>/, '');
    expect(parseCda(xml).patient.birthGivenNames).toEqual(['Catarina']);
  });

  it('extracts the PDF of a level 1 document', () => {
    const doc = parseCda(sampleCdaXml({ pdf: MINIMAL_PDF }));
    expect(doc.level).toBe(1);
    expect(doc.pdf?.equals(MINIMAL_PDF)).toBe(true);
    expect(doc.pdfSource).toBe('nonXMLBody');
    expect(doc.templateIds).toContain('1.3.6.1.4.1.19376.1.2.20');
    expect(doc.narrative).toEqual([]);
  });

  it('extracts the PDF copy embedded in a level 3 document', () => {
    const media = `<component><section><title>Copie PDF</title><text><renderMultiMedia referencedObject="pdf"/></text>
      <entry><observationMedia ID="pdf"><value mediaType="application/pdf" representation="B64">${MINIMAL_PDF.toString('base64')}</value></observationMedia></entry></section></component></structuredBody>`;
    const doc = parseCda(sampleCdaXml().replace('</structuredBody>', media));
    expect(doc.level).toBe(3);
    expect(doc.pdfSource).toBe('observationMedia');
    expect(doc.pdf?.equals(MINIMAL_PDF)).toBe(true);
    expect(doc.narrative.map((s) => s.title)).toEqual(['Conclusion', 'Copie PDF']);
  });

  it('ignores a "PDF" body that is not a PDF', () => {
    const xml = sampleCdaXml({ pdf: Buffer.from('not a pdf') });
    expect(parseCda(xml).pdf).toBeUndefined();
  });

  it('finds a ClinicalDocument wrapped in a self-presenting stylesheet, with prefixes', () => {
    const inner = sampleCdaXml()
      .replace(/^<\?xml[^>]*>\s*/, '')
      .replace(/<(\/?)([A-Za-z])/g, '<$1c:$2')
      .replace('xmlns="urn:hl7-org:v3"', '');
    const wrapped = `<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:c="urn:hl7-org:v3" xmlns:data="urn:x">
      <data:Contenu>${inner}</data:Contenu><xsl:template match="/"><html/></xsl:template></xsl:stylesheet>`;
    const doc = parseCda(wrapped);
    expect(doc.id).toEqual({ root: '1.2.250.1.999.1.1' });
    expect(doc.patient.birthName).toBe('TCHITCHI');
  });

  it('nests sub-sections with their depth', () => {
    const xml = sampleCdaXml().replace(
      '<title>Conclusion</title>',
      '<title>Conclusion</title><component><section><code code="x" displayName="Sous-partie"/><text>Détail</text></section></component>',
    );
    expect(parseCda(xml).narrative.map(({ title, depth }) => [title, depth])).toEqual([
      ['Conclusion', 0],
      ['Sous-partie', 1],
    ]);
  });

  it('refuses what is not a CDA, and unsafe XML', () => {
    expect(() => parseCda('<html><body/></html>')).toThrow(AppError);
    expect(() => parseCda('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ClinicalDocument>&e;</ClinicalDocument>')).toThrow(/DOCTYPE/);
  });
});

describe('INS helpers', () => {
  it('knows the INS authorities and the matricule shape', () => {
    expect(['1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.9', '1.2.250.1.213.1.4.10', '1.2.250.1.213.1.4.11'].every(isInsOid)).toBe(true);
    expect(isInsOid('1.2.250.1.213.1.4.5')).toBe(false);
    expect(isInsShaped('297022A02077878')).toBe(true);
    expect(isInsShaped('180032B02040123')).toBe(true);
    expect(isInsShaped('23606632208365')).toBe(false);
    expect(isInsShaped('2360663220836X')).toBe(false);
  });
});
