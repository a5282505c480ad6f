import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMdnReport } from '../../electron/services/mail/parse/mdn';
import { displaySubject } from '../../electron/services/mail/parse/mss-headers';
import { parseMssMessage } from '../../electron/services/mail/parse/parse-message';
import {
  MINIMAL_PDF,
  TEST_NIL,
  TEST_PATIENT,
  buildMssMessage,
  buildSampleXdmZip,
  buildXdmZip,
  renameZipEntry,
} from '../helpers/mss-message';

const FROM = 'Dr Jean Médecin <jean.medecin@medecin.mssante.fr>';
const TO = 'cabinet.parc@medecin.mssante.fr';
const SUBJECT = 'XDM/1.0/DDM+Compte rendu de consultation TCHITCHI Catarina 21/06/1936';
const codes = (list: { code: string }[]) => list.map((p) => p.code);

describe('parseMssMessage', () => {
  it('reads an MSSanté message with IHE_XDM.ZIP and its PDF copy: one document per XDM entry', async () => {
    const raw = await buildMssMessage({
      from: FROM,
      to: [TO],
      cc: 'secretariat@medecin.mssante.fr',
      subject: SUBJECT,
      text: 'Bonjour, ci-joint le compte rendu.',
      xdmZip: await buildSampleXdmZip(),
      pdfs: [{ filename: 'CR consultation.pdf', content: MINIMAL_PDF }],
      codeCda: ['11488-4'],
      messageId: '<cr-42@medecin.mssante.fr>',
      inReplyTo: '<demande-1@medecin.mssante.fr>',
      references: ['<demande-1@medecin.mssante.fr>'],
      dispositionNotificationTo: 'jean.medecin@medecin.mssante.fr',
    });
    const msg = await parseMssMessage(raw);
    expect(msg.problems).toEqual([]);
    expect(msg.messageId).toBe('<cr-42@medecin.mssante.fr>');
    expect(msg.inReplyTo).toBe('<demande-1@medecin.mssante.fr>');
    expect(msg.references).toEqual(['<demande-1@medecin.mssante.fr>']);
    expect(msg.from).toEqual({ address: 'jean.medecin@medecin.mssante.fr', name: 'Dr Jean Médecin' });
    expect(msg.to).toEqual([{ address: TO }]);
    expect(msg.cc).toEqual([{ address: 'secretariat@medecin.mssante.fr' }]);
    expect(msg.subject).toBe(SUBJECT);
    expect(msg.displaySubject).toBe('Compte rendu de consultation TCHITCHI Catarina 21/06/1936');
    expect(msg.date).toBe('2026-03-02T09:30:00.000Z');
    expect(msg.text.trim()).toBe('Bonjour, ci-joint le compte rendu.');
    expect(msg.mss).toEqual({ codeCda: ['11488-4'], insPresent: true, nil: TEST_NIL });
    expect(msg.dispositionNotificationTo).toContain('jean.medecin@medecin.mssante.fr');
    expect(msg.isMdn).toBe(false);

    expect(msg.attachments.map((a) => [a.filename, a.kind, a.tooLarge])).toEqual([
      ['IHE_XDM.ZIP', 'xdm', false],
      ['CR consultation.pdf', 'pdf', false],
    ]);
    expect(msg.attachments[1]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(msg.xdm?.documents).toHaveLength(1);
    expect(msg.documents).toHaveLength(1);
    const doc = msg.documents[0]!;
    expect(doc.source).toBe('xdm');
    if (doc.source !== 'xdm') throw new Error('unreachable');
    expect(doc.entry.patientId?.ins).toEqual(TEST_PATIENT.ins);
    expect(doc.cda?.code?.code).toBe('11488-4');
    expect(doc.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.problems).toEqual([]);
  });

  it('gives the PDF of a level 1 XDM document, and matches IHE_XDM.ZIP in any case', async () => {
    const raw = await buildMssMessage({
      from: FROM,
      to: TO,
      subject: SUBJECT,
      xdmZip: await buildSampleXdmZip({ docs: [{ pdf: MINIMAL_PDF }] }),
      xdmFilename: 'ihe_xdm.zip',
    });
    const msg = await parseMssMessage(raw);
    const doc = msg.documents[0]!;
    expect(doc.source === 'xdm' && doc.pdf?.equals(MINIMAL_PDF)).toBe(true);
  });

  it('without XDM, each PDF attachment is a document', async () => {
    const raw = await buildMssMessage({
      from: FROM,
      to: TO,
      subject: 'Courrier',
      pdfs: [
        { filename: 'a.pdf', content: MINIMAL_PDF },
        { filename: '../../b.pdf', content: Buffer.concat([MINIMAL_PDF, Buffer.from('%b')]) },
      ],
      attachments: [{ filename: 'photo.jpg', content: randomBytes(100), contentType: 'image/jpeg' }],
      insPresent: false,
    });
    const msg = await parseMssMessage(raw);
    expect(msg.xdm).toBeUndefined();
    expect(msg.mss.insPresent).toBe(false);
    expect(msg.documents.map((d) => (d.source === 'pdf' ? d.filename : '?'))).toEqual(['a.pdf', 'b.pdf']);
    expect(msg.attachments.map((a) => a.kind)).toEqual(['pdf', 'pdf', 'other']);
  });

  it('reports INS_MISMATCH on the document when the CDA disagrees with METADATA.XML', async () => {
    const raw = await buildMssMessage({
      from: FROM,
      to: TO,
      subject: SUBJECT,
      xdmZip: await buildSampleXdmZip({ docs: [{ ins: { matricule: '180032B02040123', oid: '1.2.250.1.213.1.4.10' }, metadataIns: TEST_PATIENT.ins }] }),
    });
    const msg = await parseMssMessage(raw);
    expect(codes(msg.documents[0]!.problems)).toEqual(['INS_MISMATCH']);
  });

  it('turns a hostile archive into a problem, and falls back to the PDF copies', async () => {
    const evil = renameZipEntry(await buildXdmZip({ 'XX/evil': 'x', 'IHE_XDM/SUBSET01/METADATA.XML': '<a/>' }), 'XX/evil', '../evil');
    const raw = await buildMssMessage({ from: FROM, to: TO, subject: SUBJECT, xdmZip: evil, pdfs: [{ filename: 'cr.pdf', content: MINIMAL_PDF }] });
    const msg = await parseMssMessage(raw);
    expect(codes(msg.problems)).toEqual(['XDM_INVALID']);
    expect(msg.problems[0]!.message).toContain("Chemin interdit dans l'archive : ../evil");
    expect(msg.xdm).toBeUndefined();
    expect(msg.documents.map((d) => d.source)).toEqual(['pdf']);
  });

  it('a 30 MB attachment becomes ATTACHMENT_TOO_LARGE and is never opened', async () => {
    const huge = Buffer.alloc(30 * 1024 * 1024, 0x41);
    const raw = await buildMssMessage({ from: FROM, to: TO, subject: SUBJECT, xdmZip: huge, pdfs: [{ filename: 'cr.pdf', content: MINIMAL_PDF }] });
    const msg = await parseMssMessage(raw);
    expect(codes(msg.problems)).toEqual(['ATTACHMENT_TOO_LARGE']);
    expect(msg.problems[0]!.message).toContain('IHE_XDM.ZIP');
    const att = msg.attachments[0]!;
    expect(att).toMatchObject({ filename: 'IHE_XDM.ZIP', kind: 'xdm', tooLarge: true, size: huge.length });
    expect(att.content).toBeUndefined();
    expect(msg.xdm).toBeUndefined();
    expect(msg.documents.map((d) => d.source)).toEqual(['pdf']);
  }, 60_000);

  it('reads only the headers of a message above the message cap', async () => {
    const raw = await buildMssMessage({ from: FROM, to: TO, subject: SUBJECT, pdfs: [{ filename: 'cr.pdf', content: MINIMAL_PDF }] });
    const msg = await parseMssMessage(raw, { maxMessageBytes: 500 });
    expect(codes(msg.problems)).toEqual(['MESSAGE_TOO_LARGE']);
    expect(msg.displaySubject).toBe('Compte rendu de consultation TCHITCHI Catarina 21/06/1936');
    expect(msg.attachments).toEqual([]);
  });

  it('survives malformed MIME: truncated multipart, broken headers, garbage, empty input', async () => {
    const truncated = Buffer.from(
      [
        'From: a@b.fr',
        'To: c@d.fr',
        'Subject: tronqué',
        'Message-ID: <t@x>',
        'Date: Mon, 2 Mar 2026 10:00:00 +0100',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="ZZ"',
        '',
        '--ZZ',
        'Content-Type: application/pdf',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="cr.pdf"',
        '',
        'JVBERi0xLjQK!!!',
      ].join('\r\n'),
    );
    const t = await parseMssMessage(truncated);
    expect(codes(t.problems)).toEqual(['MIME_TRUNCATED']);
    expect(t.date).toBe('2026-03-02T09:00:00.000Z');

    const noBoundary = await parseMssMessage(Buffer.from('From: a@b.fr\r\nMessage-ID: <n@x>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0100\r\nContent-Type: multipart/mixed\r\n\r\nbody'));
    expect(codes(noBoundary.problems)).toContain('MIME_INVALID');

    const broken = await parseMssMessage(Buffer.from('From: <<<\r\nSubject: =?utf-8?B?@@@?=\r\nDate: pas une date\r\nX-MSS-INS: peut-être\r\n\r\ncorps', 'utf8'));
    expect(codes(broken.problems).sort()).toEqual(['DATE_INVALID', 'FROM_MISSING', 'MESSAGE_ID_MISSING', 'MSS_HEADER_INVALID']);
    expect(broken.date).toBeUndefined();
    expect(broken.mss.insPresent).toBeNull();

    for (const junk of [Buffer.alloc(0), randomBytes(4096), Buffer.from('\u0000\u00ff\r\n\r\n\r\n--\r\n')]) {
      const m = await parseMssMessage(junk);
      expect(m.problems.length).toBeGreaterThan(0);
      expect(m.documents).toEqual([]);
    }
  });

  it('recognises a processing receipt (MDN) and its error', async () => {
    const mdn = (disposition: string) =>
      Buffer.from(
        [
          'From: cabinet.parc@medecin.mssante.fr',
          'To: jean.medecin@medecin.mssante.fr',
          'Subject: Accusé de traitement',
          'Message-ID: <mdn-1@x>',
          'Date: Mon, 2 Mar 2026 10:00:00 +0100',
          'MIME-Version: 1.0',
          'Content-Type: multipart/report; report-type=disposition-notification; boundary="BB"',
          '',
          '--BB',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Votre message a été traité.',
          '--BB',
          'Content-Type: message/disposition-notification',
          '',
          'Reporting-UA: lgc-segur',
          'Final-Recipient: rfc822; cabinet.parc@medecin.mssante.fr',
          'Original-Message-ID: <cr-42@medecin.mssante.fr>',
          `Disposition: ${disposition}`,
          '',
          '--BB--',
          '',
        ].join('\r\n'),
      );
    const ok = await parseMssMessage(mdn('automatic-action/MDN-sent-automatically; processed'));
    expect(ok.problems).toEqual([]);
    expect(ok.isMdn).toBe(true);
    expect(ok.attachments).toEqual([]);
    expect(ok.mdn).toEqual({
      originalMessageId: '<cr-42@medecin.mssante.fr>',
      finalRecipient: 'cabinet.parc@medecin.mssante.fr',
      disposition: 'automatic-action/MDN-sent-automatically; processed',
      dispositionType: 'processed',
    });
    const ko = await parseMssMessage(mdn('automatic-action/MDN-sent-automatically; processed/Error: 04^INS inconnu'));
    expect(ko.mdn).toMatchObject({ dispositionType: 'processed', errorCode: '04', errorLabel: 'INS inconnu' });
  });
});

describe('MSSanté header helpers', () => {
  it('hides the XDM prefix of the subject', () => {
    expect(displaySubject('XDM/1.0/DDM+CR de biologie DUPONT Jean 01/01/1970')).toBe('CR de biologie DUPONT Jean 01/01/1970');
    expect(displaySubject('Re: rendez-vous')).toBe('Re: rendez-vous');
  });

  it('parses folded MDN fields and an Error field', () => {
    expect(parseMdnReport('Disposition: manual-action/MDN-sent-manually;\r\n displayed\r\nError: 12^Document\r\n refusé')).toMatchObject({
      dispositionType: 'displayed',
      errorCode: '12',
      errorLabel: 'Document refusé',
    });
  });
});
