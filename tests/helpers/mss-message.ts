import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Readable } from 'node:stream';
import yazl from 'yazl';

/**
 * Test helpers that build what an MSSanté mailbox receives: raw RFC 5322 messages with the
 * `X-MSS-*` headers (domain.md §4) and ZIP archives (IHE_XDM.ZIP or hostile ones).
 */

export interface BuildMssMessageOptions {
  from: string;
  to: string | string[];
  cc?: string | string[];
  subject: string;
  /** Default: a short body, so that attachments make a multipart message. */
  text?: string;
  html?: string;
  /** Attached as `IHE_XDM.ZIP` (name overridable with xdmFilename). */
  xdmZip?: Buffer;
  xdmFilename?: string;
  pdfs?: { filename: string; content: Buffer }[];
  /** Any other attachment. */
  attachments?: { filename: string; content: Buffer; contentType?: string }[];
  /** Extra or overriding headers. */
  headers?: Record<string, string>;
  messageId?: string;
  date?: Date;
  inReplyTo?: string;
  references?: string[];
  /** X-MSS-CODECDA (comma-separated on the wire). */
  codeCda?: string[];
  /** X-MSS-INS: true → O, false → N; omitted → O when an XDM is attached, else absent. */
  insPresent?: boolean;
  /** X-MSS-NIL; defaults to a test software reference (the header is on every MSSanté mail). */
  nil?: string;
  /** X-MSS-MES (e.g. `FIN`). */
  mes?: string;
  dispositionNotificationTo?: string;
}

export const TEST_NIL = 'LGC-Segur-tests/0.1';

export async function buildMssMessage(opts: BuildMssMessageOptions): Promise<Buffer> {
  const headers: Record<string, string> = { 'X-MSS-NIL': opts.nil ?? TEST_NIL };
  if (opts.codeCda?.length) headers['X-MSS-CODECDA'] = opts.codeCda.join(',');
  const ins = opts.insPresent ?? (opts.xdmZip ? true : undefined);
  if (ins !== undefined) headers['X-MSS-INS'] = ins ? 'O' : 'N';
  if (opts.mes) headers['X-MSS-MES'] = opts.mes;
  if (opts.dispositionNotificationTo) headers['Disposition-Notification-To'] = opts.dispositionNotificationTo;
  Object.assign(headers, opts.headers);

  const attachments: { filename: string; content: Buffer; contentType: string }[] = [];
  if (opts.xdmZip) attachments.push({ filename: opts.xdmFilename ?? 'IHE_XDM.ZIP', content: opts.xdmZip, contentType: 'application/zip' });
  for (const p of opts.pdfs ?? []) attachments.push({ filename: p.filename, content: p.content, contentType: 'application/pdf' });
  for (const a of opts.attachments ?? []) {
    attachments.push({ filename: a.filename, content: a.content, contentType: a.contentType ?? 'application/octet-stream' });
  }

  const composer = new MailComposer({
    from: opts.from,
    to: opts.to,
    cc: opts.cc,
    subject: opts.subject,
    text: opts.text ?? 'Message de test.',
    html: opts.html,
    messageId: opts.messageId,
    date: opts.date ?? new Date('2026-03-02T09:30:00Z'),
    inReplyTo: opts.inReplyTo,
    references: opts.references,
    headers,
    attachments,
  });
  return composer.compile().build();
}

/** A ZIP with these files (names used as given, folders implied), deflated. */
export async function buildXdmZip(
  files: Record<string, Buffer | string>,
  options: { mode?: Record<string, number>; compress?: boolean } = {},
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    const mode = options.mode?.[name];
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), name, {
      compress: options.compress ?? true,
      mtime: new Date('2026-03-02T09:30:00Z'),
      ...(mode === undefined ? {} : { mode }),
    });
  }
  return finish(zip);
}

/** A ZIP whose single entry is fed from a stream (large generated content, e.g. a zip bomb). */
export async function buildStreamZip(name: string, stream: Readable, extra: Record<string, Buffer | string> = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [n, c] of Object.entries(extra)) zip.addBuffer(Buffer.isBuffer(c) ? c : Buffer.from(c), n);
  zip.addReadStream(stream, name, { compress: true, compressionLevel: 9 });
  return finish(zip);
}

/**
 * Renames an entry in place (local header and central directory). yazl refuses hostile names,
 * so tests build with a placeholder of the same byte length and patch it afterwards.
 */
export function renameZipEntry(zip: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from, 'utf8');
  const b = Buffer.from(to, 'utf8');
  if (a.length !== b.length) throw new Error('renameZipEntry: names must have the same byte length');
  const out = Buffer.from(zip);
  let i = out.indexOf(a);
  let n = 0;
  while (i >= 0) {
    b.copy(out, i);
    n++;
    i = out.indexOf(a, i + a.length);
  }
  if (n === 0) throw new Error(`renameZipEntry: ${from} not found`);
  return out;
}

/** Sets the uncompressed size recorded in the central directory for an entry (a lying header). */
export function patchCentralUncompressedSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const nameBuf = Buffer.from(name, 'utf8');
  const central = Buffer.from([0x50, 0x4b, 0x01, 0x02]); // central directory file header signature
  for (let i = out.indexOf(central); i >= 0; i = out.indexOf(central, i + 4)) {
    const nameLen = out.readUInt16LE(i + 28);
    if (out.subarray(i + 46, i + 46 + nameLen).equals(nameBuf)) {
      out.writeUInt32LE(size, i + 24);
      return out;
    }
  }
  throw new Error(`patchCentralUncompressedSize: ${name} not found`);
}

async function finish(zip: yazl.ZipFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
  zip.end();
  return done;
}

// ---------------------------------------------------------------------------------------------
// Sample CDA + METADATA.XML + IHE_XDM.ZIP, for tests that need a realistic archive they control.

/** CNAM public test identity (domain.md §2). */
export const TEST_PATIENT = {
  ins: { matricule: '236066322083656', oid: '1.2.250.1.213.1.4.10' },
  birthName: 'TCHITCHI',
  givenNames: ['Catarina', 'Bella'],
  birthDate: '1936-06-21',
  sex: 'F' as const,
  birthplaceCode: '63220',
};

export const MINIMAL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

export interface SampleDocOptions {
  /** INS in the CDA recordTarget (null: no INS id). */
  ins?: { matricule: string; oid: string } | null;
  /** INS written as patientId in METADATA.XML (null: no patientId); defaults to `ins`. */
  metadataIns?: { matricule: string; oid: string } | null;
  birthName?: string;
  givenNames?: string[];
  birthDate?: string;
  sex?: 'F' | 'M';
  birthplaceCode?: string;
  cdaId?: string;
  setId?: string;
  version?: number;
  code?: { code: string; displayName: string };
  title?: string;
  /** Given: level 1 document carrying this PDF; absent: level 3 with one section. */
  pdf?: Buffer;
  /** RPLC parent document id. */
  parentId?: string;
  action?: 'C' | 'D';
  /** File name inside the subset folder (default DOCnnnn.XML). */
  uri?: string;
  /** Override hash/size written in the metadata (to fake a mismatch). */
  hash?: string;
  size?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const ts = (isoDate: string) => isoDate.replace(/-/g, '');

export function sampleCdaXml(o: SampleDocOptions = {}): string {
  const p = { ...TEST_PATIENT, ...stripUndefined(o) };
  const ins = o.ins === undefined ? TEST_PATIENT.ins : o.ins;
  const code = o.code ?? { code: '11488-4', displayName: 'Compte rendu de consultation' };
  const body = o.pdf
    ? `<component><nonXMLBody><text mediaType="application/pdf" representation="B64">${o.pdf.toString('base64')}</text></nonXMLBody></component>`
    : `<component><structuredBody><component><section><title>Conclusion</title><text><paragraph>Examen normal.</paragraph><list><item>Repos</item><item>Contrôle à 1 mois</item></list></text></section></component></structuredBody></component>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  ${o.pdf ? '<templateId root="1.3.6.1.4.1.19376.1.2.20"/>' : ''}
  <id root="${esc(o.cdaId ?? '1.2.250.1.999.1.1')}"/>
  <code code="${esc(code.code)}" codeSystem="2.16.840.1.113883.6.1" displayName="${esc(code.displayName)}"/>
  <title>${esc(o.title ?? code.displayName)}</title>
  <effectiveTime value="20260302101500+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <setId root="${esc(o.setId ?? '1.2.250.1.999.2.1')}"/>
  <versionNumber value="${o.version ?? 1}"/>
  <recordTarget><patientRole>
    ${ins ? `<id root="${esc(ins.oid)}" extension="${esc(ins.matricule)}"/>` : ''}
    <id root="1.2.250.1.999.9" extension="IPP-42"/>
    <patient>
      <name>
        <family qualifier="BR">${esc(p.birthName)}</family>
        <given>${esc(p.givenNames.join(' '))}</given>
        <given qualifier="BR">${esc(p.givenNames[0] ?? '')}</given>
        <family qualifier="CL">${esc(p.birthName)}</family>
        <given qualifier="CL">${esc(p.givenNames[0] ?? '')}</given>
      </name>
      <administrativeGenderCode code="${p.sex}" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="${ts(p.birthDate)}"/>
      <birthplace><place><addr><county>${esc(p.birthplaceCode)}</county></addr></place></birthplace>
    </patient>
  </patientRole></recordTarget>
  <author><time value="20260302101500+0100"/><assignedAuthor>
    <id root="1.2.250.1.71.4.2.1" extension="810000000001"/>
    <assignedPerson><name><given>Jean</given><family>MEDECIN</family></name></assignedPerson>
    <representedOrganization><id root="1.2.250.1.71.4.2.2" extension="1000000001"/><name>Cabinet du Parc</name></representedOrganization>
  </assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><id root="1.2.250.1.71.4.2.2" extension="1000000001"/><name>Cabinet du Parc</name></representedCustodianOrganization></assignedCustodian></custodian>
  ${o.parentId ? `<relatedDocument typeCode="RPLC"><parentDocument><id root="${esc(o.parentId)}"/></parentDocument></relatedDocument>` : ''}
  ${body}
</ClinicalDocument>
`;
}

export function sampleMetadataXml(docs: { options: SampleDocOptions; uri: string; content: Buffer }[]): string {
  const cx = (ins: { matricule: string; oid: string }) => esc(`${ins.matricule}^^^&${ins.oid}&ISO^NH`);
  const first = docs[0]?.options;
  const ssIns = first?.metadataIns === undefined ? (first?.ins === undefined ? TEST_PATIENT.ins : first.ins) : first.metadataIns;
  const slot = (name: string, ...values: string[]) =>
    `<rim:Slot name="${esc(name)}"><rim:ValueList>${values.map((v) => `<rim:Value>${esc(v)}</rim:Value>`).join('')}</rim:ValueList></rim:Slot>`;
  const cls = (scheme: string, obj: string, code: string, codingScheme: string, name: string, id: string) =>
    `<rim:Classification id="${id}" classificationScheme="${scheme}" classifiedObject="${obj}" nodeRepresentation="${esc(code)}">${slot('codingScheme', codingScheme)}<rim:Name><rim:LocalizedString value="${esc(name)}"/></rim:Name></rim:Classification>`;
  const entries = docs
    .map(({ options: o, uri, content }, i) => {
      const id = `urn:uuid:00000000-0000-4000-8000-00000000000${i + 1}`;
      const p = { ...TEST_PATIENT, ...stripUndefined(o) };
      const mIns = o.metadataIns === undefined ? (o.ins === undefined ? TEST_PATIENT.ins : o.ins) : o.metadataIns;
      const code = o.code ?? { code: '11488-4', displayName: 'Compte rendu de consultation' };
      const sha1 = o.hash ?? createHash('sha1').update(content).digest('hex').toUpperCase();
      return `<rim:ExtrinsicObject id="${id}" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
      ${o.action ? slot('urn:action:extraMetadataSlot', o.action) : ''}
      ${slot('hash', sha1)}${slot('size', String(o.size ?? content.length))}${slot('URI', uri)}
      ${slot('creationTime', '20260302091500')}${slot('languageCode', 'fr-FR')}
      ${slot('sourcePatientId', 'IPP-42^^^&1.2.250.1.999.9&ISO^PI')}
      ${slot('sourcePatientInfo', `PID-5|${p.birthName}^${p.givenNames[0]}^${p.givenNames.join(' ')}^^^^L`, `PID-5|${p.birthName}^${p.givenNames[0]}^^^^^D`, `PID-7|${ts(p.birthDate)}`, `PID-8|${p.sex}`, `PID-11|^^^^^^BDL^^${p.birthplaceCode}`)}
      <rim:Name><rim:LocalizedString value="${esc(o.title ?? code.displayName)}"/></rim:Name>
      <rim:Classification id="${id}-a" classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" classifiedObject="${id}" nodeRepresentation="">
        ${slot('authorPerson', '810000000001^MEDECIN^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS')}
        ${slot('authorInstitution', 'Cabinet du Parc^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1000000001')}
      </rim:Classification>
      ${cls('urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a', id, '11', '1.2.250.1.213.1.1.4.1', 'Synthèse', `${id}-c1`)}
      ${cls('urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f', id, 'N', '2.16.840.1.113883.5.25', 'Normal', `${id}-c2`)}
      ${cls('urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d', id, o.pdf ? 'urn:ihe:iti:xds-sd:pdf:2008' : 'urn:asip:ci-sis:2010', '1.2.250.1.213.1.1.4.2.282', 'Format', `${id}-c3`)}
      ${cls('urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1', id, 'SA07', '1.2.250.1.71.4.2.4', 'Cabinet individuel', `${id}-c4`)}
      ${cls('urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead', id, 'AMBULATOIRE', '1.2.250.1.213.1.1.4.9', 'Ambulatoire', `${id}-c5`)}
      ${cls('urn:uuid:f0306f51-975f-434e-a61c-c59651d33983', id, code.code, '2.16.840.1.113883.6.1', code.displayName, `${id}-c6`)}
      ${mIns ? `<rim:ExternalIdentifier id="${id}-e1" identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" registryObject="${id}" value="${cx(mIns)}"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>` : ''}
      <rim:ExternalIdentifier id="${id}-e2" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" registryObject="${id}" value="${esc(o.cdaId ?? '1.2.250.1.999.1.1')}"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>
    </rim:ExtrinsicObject>`;
    })
    .join('\n');
  const ss = 'urn:uuid:00000000-0000-4000-8000-0000000000ff';
  return `<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
  <rim:RegistryObjectList>
    <rim:RegistryPackage id="${ss}">
      ${slot('submissionTime', '20260302093000')}
      <rim:Name><rim:LocalizedString value="Envoi de test"/></rim:Name>
      <rim:Classification id="ss-author" classificationScheme="urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d" classifiedObject="${ss}" nodeRepresentation="">
        ${slot('authorPerson', '810000000001^MEDECIN^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS')}
      </rim:Classification>
      ${cls('urn:uuid:aa543740-bdda-424e-8c96-df4873be8500', ss, 'SA07', '1.2.250.1.71.4.2.4', 'Cabinet individuel', 'ss-ct')}
      ${ssIns ? `<rim:ExternalIdentifier id="ss-e1" identificationScheme="urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446" registryObject="${ss}" value="${cx(ssIns)}"/>` : ''}
      <rim:ExternalIdentifier id="ss-e2" identificationScheme="urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832" registryObject="${ss}" value="1.2.250.1.999.77"/>
      <rim:ExternalIdentifier id="ss-e3" identificationScheme="urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8" registryObject="${ss}" value="1.2.250.1.999.77.1"/>
    </rim:RegistryPackage>
    <rim:Classification id="ss-node" classifiedObject="${ss}" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
    ${entries}
  </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
`;
}

/** A complete IHE_XDM.ZIP (INDEX.HTM, README.TXT, <folder>/METADATA.XML, CDA documents). */
export async function buildSampleXdmZip(
  opts: { docs?: SampleDocOptions[]; folder?: string; metadataName?: string; omitDocument?: boolean } = {},
): Promise<Buffer> {
  const folder = opts.folder ?? 'IHE_XDM/SUBSET01';
  const docs = (opts.docs ?? [{}]).map((o, i) => {
    const uri = o.uri ?? `DOC${String(i + 1).padStart(4, '0')}.XML`;
    return { options: o, uri, content: Buffer.from(sampleCdaXml(o), 'utf8') };
  });
  const files: Record<string, Buffer | string> = {
    'INDEX.HTM': '<html><body><a href="README.TXT">README</a></body></html>',
    'README.TXT': 'Envoi de test LGC Ségur',
    [`${folder}/${opts.metadataName ?? 'METADATA.XML'}`]: sampleMetadataXml(docs),
  };
  if (!opts.omitDocument) for (const d of docs) files[`${folder}/${d.uri}`] = d.content;
  return buildXdmZip(files);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
