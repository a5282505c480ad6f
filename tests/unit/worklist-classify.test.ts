import { describe, expect, it } from 'vitest';
import type { ReceivedPdfDocument, ReceivedXdmDocument } from '../../electron/services/mail/parse/types';
import { readXdmArchive } from '../../electron/services/mail/xdm';
import { classifyDocument, classifyText } from '../../electron/services/worklist/classify';
import { buildSampleXdmZip, MINIMAL_PDF } from '../helpers/mss-message';

const pdf = (filename: string): ReceivedPdfDocument => ({ source: 'pdf', filename, content: MINIMAL_PDF, size: MINIMAL_PDF.length, sha256: 'x', problems: [] });

describe('document type classification', () => {
  it('structured documents: CDA code with the official French label and the DMP class', async () => {
    const pkg = await readXdmArchive(await buildSampleXdmZip({ docs: [{ code: { code: '11502-2', displayName: 'CR de biologie' } }] }));
    const d = pkg.documents[0]!;
    const doc: ReceivedXdmDocument = { source: 'xdm', index: 0, entry: d.entry, cda: d.cda!, problems: [] };
    expect(classifyDocument(doc)).toEqual({
      typeCode: '11502-2',
      typeLabel: "CR d'examens biologiques",
      classCode: '11',
      classLabel: 'Synthèse',
      confidence: 1,
      source: 'cda',
    });
  });

  it('XDS typeCode when there is no CDA, class derived from the type', async () => {
    const pkg = await readXdmArchive(await buildSampleXdmZip({ docs: [{ code: { code: '18748-4', displayName: 'Imagerie' } }] }));
    const entry = { ...pkg.documents[0]!.entry, classCode: undefined };
    const c = classifyDocument({ source: 'xdm', index: 0, entry, problems: [] });
    expect(c).toMatchObject({ typeCode: '18748-4', typeLabel: "CR d'imagerie médicale", classCode: '31', source: 'xds' });
  });

  it.each([
    ['Résultats DUPONT Jean 12/03/1950', '11502-2'],
    ['Bilan sanguin MARTIN Anne', '11502-2'],
    ['CR échographie abdominale DUPONT Jean', '18748-4'],
    ['Radio du thorax', '18748-4'],
    ['IRM genou droit', '18748-4'],
    ['Compte rendu opératoire', '34874-8'],
    ['Ordonnance de sortie', '57833-6'],
    ['Prescription de kinésithérapie', '57832-8'],
    ['Compte rendu de consultation de cardiologie', '11488-4'],
    ['Lettre de liaison', '11490-0'],
    ['Synthèse médicale (VSM)', '60591-5'],
    ['Certificat de non contre-indication', '89601-9'],
    ['Lettre d’adressage', '96349-6'],
  ])('subject « %s » → %s', (subject, code) => {
    const c = classifyDocument(pdf('document.pdf'), { subject });
    expect(c.typeCode).toBe(code);
    expect(c.source).toBe('objet');
    expect(c.confidence).toBeGreaterThan(0.5);
  });

  it('generic words give a lower confidence than specific ones; courrier has no code', () => {
    const generic = classifyText({ subject: 'Compte rendu' });
    const specific = classifyText({ subject: 'Compte rendu de biologie' });
    expect(generic.typeCode).toBe('11488-4');
    expect(specific.confidence).toBeGreaterThan(generic.confidence);
    expect(classifyText({ subject: 'Courrier du Dr Petit' })).toMatchObject({ typeCode: null, typeLabel: 'Courrier' });
  });

  it('file name and text are used when the subject says nothing; the most confident wins', () => {
    expect(classifyDocument(pdf('resultats_labo_2026.pdf'), { subject: 'Bonjour' })).toMatchObject({ typeCode: '11502-2', source: 'nom de fichier' });
    expect(classifyDocument(pdf('scan001.pdf'), { text: "Compte-rendu d'acte d'imagerie médicale\nCentre de radiologie" })).toMatchObject({ typeCode: '18748-4', source: 'texte' });
    expect(classifyDocument(pdf('scan001.pdf'), { subject: 'Document' })).toMatchObject({ typeCode: null, confidence: 0, source: 'aucune' });
  });

  it('a single X-MSS-CODECDA type applies to plain PDFs', () => {
    expect(classifyDocument(pdf('x.pdf'), { codeCda: ['11490-0'] })).toMatchObject({ typeCode: '11490-0', confidence: 0.8, source: 'en-tête' });
    expect(classifyDocument(pdf('x.pdf'), { codeCda: ['11490-0', '11502-2'], subject: 'Radio' }).typeCode).toBe('18748-4');
  });
});
