import { describe, expect, it } from 'vitest';
import { demoInsFor } from '../../electron/sandbox/demo-identities';
import { simplePdf } from '../../electron/sandbox/mss-operator/pdf';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import { parseMssMessage } from '../../electron/services/mail/parse';
import { composeMssMessage, patientMailAddress, xdmSubject, type PatientIdentity } from '../../electron/services/mail/send/compose';
import { buildIntegrationMdn } from '../../electron/services/mail/send/mdn';
import { buildXdmArchive } from '../../electron/services/mail/send/xdm-archive';
import { readXdmArchive } from '../../electron/services/mail/xdm';

const INS = demoInsFor('F', '1950-03-14', '63113', 4);
const OID = '1.2.250.1.213.1.4.11';
const PATIENT: PatientIdentity = { status: 'QUAL', insMatricule: INS, insOid: OID, birthName: 'Dupont', birthGivenNames: ['Jeanne', 'Marie'], birthDate: '1950-03-14', sex: 'F' };
const FROM = { address: 'claire.martin@cabinet-demo.mssante.fr', name: 'Dr Claire MARTIN' };
const NIL = 'LGC-Segur/0.1.0';
const PDF = simplePdf({ title: 'Compte rendu de consultation', paragraphs: ['Examen normal.'] });

function cda(replaces?: { id: string; setId: string; versionNumber: number }) {
  return buildCdaN1({
    pdf: PDF,
    typeCode: '11488-4',
    patient: { insMatricule: INS, insOid: OID, identityStatus: 'QUAL', birthName: 'DUPONT', birthGivenNames: ['Jeanne', 'Marie'], birthDate: '1950-03-14', sex: 'F', birthplaceCode: '63113', localId: 'IPP-1' },
    author: { nationalId: '810003456786', familyName: 'MARTIN', givenName: 'Claire', professionCode: '10', specialtyCode: 'SM26' },
    practice: { name: 'Cabinet médical de démonstration', structureId: '399999999900017', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE' },
    effectiveTime: new Date('2026-03-02T09:15:00Z'),
    ...(replaces ? { replaces } : {}),
  });
}

describe('IHE_XDM.ZIP builder', () => {
  it('produces INDEX.HTM, README.TXT, METADATA.XML with a URI slot and DOC0001.XML that the reader accepts', async () => {
    const doc = cda();
    const built = await buildXdmArchive({ document: { cda: doc.xml }, sender: { name: FROM.name, address: FROM.address, software: NIL } });
    const pkg = await readXdmArchive(built.zip);
    expect(pkg.files.sort()).toEqual(['IHE_XDM/SUBSET01/DOC0001.XML', 'IHE_XDM/SUBSET01/METADATA.XML', 'INDEX.HTM', 'README.TXT']);
    expect(pkg.warnings).toEqual([]);
    expect(pkg.documents).toHaveLength(1);
    const d = pkg.documents[0]!;
    expect(d.problems).toEqual([]);
    expect(d.entry.uri).toBe('DOC0001.XML');
    expect(d.entry.patientId?.id).toBe(INS);
    expect(d.cda?.id).toBeTruthy();
    expect(built.typeCodes).toEqual(['11488-4']);
    expect(built.metadataXml).toContain('<rim:Slot name="URI">');
  });

  it('announces a replacement with the action slot C', async () => {
    const first = cda();
    const second = cda({ id: first.id, setId: first.setId, versionNumber: first.versionNumber });
    const built = await buildXdmArchive({ document: { cda: second.xml }, sender: { name: 'x', address: FROM.address, software: NIL } });
    expect(built.metadataXml).toContain('urn:action:extraMetadataSlot');
    expect(built.metadataXml).not.toContain('AssociationType:RPLC');
    const pkg = await readXdmArchive(built.zip);
    expect(JSON.stringify(pkg.documents[0]!.entry)).toContain('"C"');
  });
});

describe('MSSanté message composition', () => {
  it('builds an XDM message: subject, X-MSS headers, XDM + PDF, receipts, never the INS in subject or headers', async () => {
    const doc = cda();
    const m = await composeMssMessage({
      from: FROM,
      to: [{ kind: 'professional', address: 'helene.roussel@cardio-jaude.mssante.fr', name: 'Dr Roussel' }],
      text: 'Chère consœur, ci-joint mon compte rendu.',
      document: { cda: doc.xml, pdf: PDF, pdfFilename: 'CR.pdf', patient: PATIENT, label: 'Compte rendu de consultation' },
      readReceipt: true,
      dsn: { notify: ['FAILURE'] },
      inReplyTo: '<prev@cardio-jaude.mssante.fr>',
      softwareReference: NIL,
      now: () => new Date('2026-03-02T10:00:00Z'),
    });
    expect(m.subject).toBe('XDM/1.0/DDM+Compte rendu de consultation DUPONT Jeanne 14/03/1950');
    expect(m.dsn).toEqual({ notify: ['FAILURE'] });
    const head = m.raw.subarray(0, m.raw.indexOf('\r\n\r\n')).toString();
    expect(head).toMatch(/^X-MSS-NIL: LGC-Segur\/0\.1\.0$/m);
    expect(head).toMatch(/^X-MSS-CODECDA: 11488-4$/m);
    expect(head).toMatch(/^X-MSS-INS: O$/m);
    expect(head).toMatch(/^Disposition-Notification-To: claire\.martin@cabinet-demo\.mssante\.fr$/m);
    expect(head).not.toContain(INS);
    const parsed = await parseMssMessage(m.raw);
    expect(parsed.problems).toEqual([]);
    expect(parsed.messageId).toBe(m.messageId);
    expect(parsed.inReplyTo).toBe('<prev@cardio-jaude.mssante.fr>');
    expect(parsed.references).toEqual(['<prev@cardio-jaude.mssante.fr>']);
    expect(parsed.mss).toEqual({ codeCda: ['11488-4'], insPresent: true, nil: NIL });
    expect(parsed.attachments.map((a) => [a.filename, a.kind])).toEqual([['IHE_XDM.ZIP', 'xdm'], ['CR.pdf', 'pdf']]);
    expect(parsed.documents.filter((d) => d.source === 'xdm')).toHaveLength(1);
    expect(parsed.text).toContain('consœur');
  });

  it('writes to the patient only for a qualified identity, at <INS>@patient.mssante.fr', async () => {
    expect(patientMailAddress(PATIENT)).toBe(`${INS}@patient.mssante.fr`);
    const m = await composeMssMessage({ from: FROM, to: [{ kind: 'patient', patient: PATIENT }], subject: 'Vos résultats', text: 'Bonjour', patientMayNotReply: true, softwareReference: NIL });
    expect(m.recipients).toEqual([`${INS}@patient.mssante.fr`]);
    expect(m.raw.toString()).toMatch(/^X-MSS-MES: FIN$/m);
    for (const status of ['PROV', 'RECUP', 'VALI'] as const) {
      await expect(composeMssMessage({ from: FROM, to: [{ kind: 'patient', patient: { ...PATIENT, status } }], subject: 'x', text: 'x', softwareReference: NIL }))
        .rejects.toMatchObject({ code: 'IDENTITY_RULE' });
    }
    await expect(composeMssMessage({ from: FROM, to: [{ kind: 'professional', address: `${INS}@patient.mssante.fr` }], subject: 'x', text: 'x', softwareReference: NIL }))
      .rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('refuses a document for a non-qualified identity and bad addresses', async () => {
    const doc = cda();
    await expect(composeMssMessage({ from: FROM, to: [{ kind: 'professional', address: 'a@b.mssante.fr' }], text: 'x', document: { cda: doc.xml, pdf: PDF, patient: { ...PATIENT, status: 'VALI' } }, softwareReference: NIL }))
      .rejects.toMatchObject({ code: 'IDENTITY_RULE' });
    await expect(composeMssMessage({ from: FROM, to: [{ kind: 'professional', address: 'pas une adresse' }], subject: 'x', text: 'x', softwareReference: NIL }))
      .rejects.toMatchObject({ code: 'VALIDATION' });
    expect(xdmSubject('CR de biologie', { ...PATIENT, birthName: 'Le Goff' })).toBe('XDM/1.0/DDM+CR de biologie LE GOFF Jeanne 14/03/1950');
  });
});

describe('integration-status MDN', () => {
  it('builds a multipart/report the parser reads as processed', async () => {
    const mdn = buildIntegrationMdn({ from: FROM.address, to: 'helene.roussel@cardio-jaude.mssante.fr', originalMessageId: '<orig@cardio>', originalSubject: 'XDM/1.0/DDM+CR', result: { ok: true }, softwareReference: NIL });
    expect(mdn.disposition).toBe('automatic-action/MDN-sent-automatically; processed');
    const head = mdn.raw.subarray(0, mdn.raw.indexOf('\r\n\r\n')).toString();
    expect(head).toMatch(/Content-Type: multipart\/report; report-type=disposition-notification;/);
    const parsed = await parseMssMessage(mdn.raw);
    expect(parsed.isMdn).toBe(true);
    expect(parsed.mdn).toMatchObject({ originalMessageId: '<orig@cardio>', dispositionType: 'processed', finalRecipient: FROM.address });
    expect(parsed.mdn?.errorCode).toBeUndefined();
    expect(parsed.subject).toBe('Accusé de traitement : XDM/1.0/DDM+CR');
  });

  it('carries processed/Error: <code>^<label>', async () => {
    const mdn = buildIntegrationMdn({ from: FROM.address, to: 'x@y.mssante.fr', originalMessageId: '<o@y>', result: { ok: false, code: 'PATIENT_INCONNU', label: 'Patient inconnu du cabinet' }, softwareReference: NIL });
    expect(mdn.disposition).toBe('automatic-action/MDN-sent-automatically; processed/Error: PATIENT_INCONNU^Patient inconnu du cabinet');
    const parsed = await parseMssMessage(mdn.raw);
    expect(parsed.mdn).toMatchObject({ dispositionType: 'processed', errorCode: 'PATIENT_INCONNU', errorLabel: 'Patient inconnu du cabinet' });
  });
});
