import yazl from 'yazl';
import { AppError } from '../../../../shared/errors';
import { buildDocumentEntry, toEbRim } from '../../dmp/xds-metadata';

/**
 * Outgoing IHE_XDM.ZIP (IHE ITI TF-1 §16, domain.md §4.1):
 *   INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/METADATA.XML (ebRIM SubmitObjectsRequest with a `URI`
 *   slot per document), IHE_XDM/SUBSET01/DOC0001.XML (the CDA R2 document, bytes as hashed).
 * The metadata are derived from the CDA itself (same code as the DMP feed). A replacement is
 * announced with the `urn:action:extraMetadataSlot` slot `C` (the replaced id is in the CDA
 * relatedDocument), a deletion with `D`.
 */

export interface XdmSender {
  /** Person or organisation, as shown in INDEX.HTM / README.TXT. */
  name: string;
  address: string;
  /** Sending software and version (the X-MSS-NIL reference). */
  software: string;
}

export interface XdmDocumentInput {
  cda: string | Buffer;
  /** C: replaces the document named in the CDA relatedDocument; D: deletes this document id. */
  action?: 'C' | 'D';
}

export interface BuiltXdm {
  zip: Buffer;
  /** CDA ClinicalDocument/id (root^extension) of each document. */
  documentIds: string[];
  /** CDA `code` of each document (X-MSS-CODECDA). */
  typeCodes: string[];
  metadataXml: string;
}

export const XDM_FOLDER = 'IHE_XDM/SUBSET01';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function slotXml(name: string, value: string): string {
  return `<rim:Slot name="${esc(name)}"><rim:ValueList><rim:Value>${esc(value)}</rim:Value></rim:ValueList></rim:Slot>`;
}

/** Inserts slots right after the opening tag of the n-th ExtrinsicObject. */
function addSlots(metadata: string, slots: string): string {
  const start = metadata.indexOf('<rim:ExtrinsicObject');
  if (start < 0) throw new AppError('INTERNAL', 'Métadonnées XDM sans fiche de document.');
  const end = metadata.indexOf('>', start);
  return metadata.slice(0, end + 1) + slots + metadata.slice(end + 1);
}

export async function buildXdmArchive(input: { document: XdmDocumentInput; sender: XdmSender; now?: () => Date }): Promise<BuiltXdm> {
  const bytes = Buffer.isBuffer(input.document.cda) ? input.document.cda : Buffer.from(input.document.cda, 'utf8');
  const pkg = buildDocumentEntry(bytes, { now: input.now });
  const docName = 'DOC0001.XML';
  // In XDM a replacement is the action slot, not an RPLC association to a registry entry.
  const replacement = pkg.replacement;
  pkg.replacement = undefined;
  let metadata = toEbRim(pkg);
  const action = input.document.action ?? (replacement ? 'C' : undefined);
  metadata = addSlots(metadata, slotXml('URI', docName) + (action ? slotXml('urn:action:extraMetadataSlot', action) : ''));
  metadata = `<?xml version="1.0" encoding="UTF-8"?>\n${metadata}\n`;

  const { sender } = input;
  const title = pkg.documentEntry.title;
  const index = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Envoi IHE XDM</title></head>
<body>
<h1>Envoi de documents de santé (IHE XDM)</h1>
<p>Expéditeur : ${esc(sender.name)} &lt;${esc(sender.address)}&gt;</p>
<p>Document : <a href="${XDM_FOLDER}/${docName}">${esc(title)}</a></p>
<p>Voir le fichier <a href="README.TXT">README.TXT</a>.</p>
</body></html>
`;
  const readme = [
    'Envoi de documents de santé au format IHE XDM (profil MSSanté).',
    '',
    `Expéditeur : ${sender.name} <${sender.address}>`,
    `Application d'envoi : ${sender.software}`,
    `Date : ${(input.now ?? (() => new Date()))().toISOString()}`,
    '',
    'Contenu :',
    '  INDEX.HTM                        page de présentation',
    '  README.TXT                       ce fichier',
    `  ${XDM_FOLDER}/METADATA.XML   métadonnées XDS (ebRIM 3.0)`,
    `  ${XDM_FOLDER}/${docName}      document CDA R2 (${title})`,
    '',
    "Ouvrez ce message avec un logiciel compatible MSSanté pour intégrer le document au dossier du patient ;",
    'la copie PDF jointe au message permet de le lire sans logiciel particulier.',
    '',
  ].join('\r\n');

  const zip = new yazl.ZipFile();
  const mtime = (input.now ?? (() => new Date()))();
  zip.addBuffer(Buffer.from(index, 'utf8'), 'INDEX.HTM', { mtime });
  zip.addBuffer(Buffer.from(readme, 'utf8'), 'README.TXT', { mtime });
  zip.addBuffer(Buffer.from(metadata, 'utf8'), `${XDM_FOLDER}/METADATA.XML`, { mtime });
  zip.addBuffer(bytes, `${XDM_FOLDER}/${docName}`, { mtime });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
  zip.end();
  return {
    zip: await done,
    documentIds: [pkg.documentEntry.uniqueId],
    typeCodes: [pkg.documentEntry.typeCode.code],
    metadataXml: metadata,
  };
}
