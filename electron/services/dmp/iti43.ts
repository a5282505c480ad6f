import { AppError } from '../../../shared/errors';
import { cidHref, NS_XOP, resolveXop, type MimePart } from './mtom';
import { NS_RS, NS_XDSB, parseRegistryResponse, RESPONSE_STATUS, registryErrorListXml, type RegistryError, type RegistryResult, type ResponseStatus } from './soap';
import { child, children, textOf, xmlEl, xmlText, type XElement } from './xml';

/** ITI-43 Retrieve Document Set (DMP TD3.2); the documents come back as MTOM attachments. */
export const ITI43_ACTION = 'urn:ihe:iti:2007:RetrieveDocumentSet';
export const ITI43_RESPONSE_ACTION = 'urn:ihe:iti:2007:RetrieveDocumentSetResponse';

export interface DocumentRef {
  repositoryUniqueId: string;
  documentUniqueId: string;
}

export function buildRetrieveRequest(refs: DocumentRef[]): string {
  return xmlEl(
    'xdsb:RetrieveDocumentSetRequest',
    { 'xmlns:xdsb': NS_XDSB },
    ...refs.map((r) =>
      xmlEl('xdsb:DocumentRequest', {}, xmlText('xdsb:RepositoryUniqueId', {}, r.repositoryUniqueId), xmlText('xdsb:DocumentUniqueId', {}, r.documentUniqueId)),
    ),
  );
}

export function parseRetrieveRequest(el: XElement): DocumentRef[] {
  if (el.local !== 'RetrieveDocumentSetRequest' || el.ns !== NS_XDSB) throw new AppError('BAD_INPUT', 'Requête RetrieveDocumentSetRequest attendue.');
  return children(el, 'DocumentRequest', NS_XDSB).map((d) => ({
    repositoryUniqueId: textOf(child(d, 'RepositoryUniqueId', NS_XDSB)).trim(),
    documentUniqueId: textOf(child(d, 'DocumentUniqueId', NS_XDSB)).trim(),
  }));
}

export interface RetrievedDocumentRef extends DocumentRef {
  mimeType: string;
  contentId: string;
}

export function buildRetrieveResponse(status: ResponseStatus, docs: RetrievedDocumentRef[], errors: RegistryError[] = []): string {
  return xmlEl(
    'xdsb:RetrieveDocumentSetResponse',
    { 'xmlns:xdsb': NS_XDSB, 'xmlns:rs': NS_RS },
    xmlEl('rs:RegistryResponse', { status: RESPONSE_STATUS[status] }, registryErrorListXml(errors)),
    ...docs.map((d) =>
      xmlEl(
        'xdsb:DocumentResponse',
        {},
        xmlText('xdsb:RepositoryUniqueId', {}, d.repositoryUniqueId),
        xmlText('xdsb:DocumentUniqueId', {}, d.documentUniqueId),
        xmlText('xdsb:mimeType', {}, d.mimeType),
        xmlEl('xdsb:Document', {}, xmlEl('xop:Include', { 'xmlns:xop': NS_XOP, href: cidHref(d.contentId) })),
      ),
    ),
  );
}

export interface RetrievedDocument extends DocumentRef {
  mimeType: string;
  data: Buffer;
}

export interface RetrieveResult extends RegistryResult {
  documents: RetrievedDocument[];
}

export function parseRetrieveResponse(el: XElement, parts: Map<string, MimePart> | undefined): RetrieveResult {
  if (el.local !== 'RetrieveDocumentSetResponse' || el.ns !== NS_XDSB) throw new AppError('REMOTE_SERVICE', 'Réponse de récupération inattendue du DMP.');
  const rr = child(el, 'RegistryResponse', NS_RS);
  const result = rr ? parseRegistryResponse(rr) : { status: 'Failure' as const, errors: [] };
  const documents = children(el, 'DocumentResponse', NS_XDSB).map((d) => ({
    repositoryUniqueId: textOf(child(d, 'RepositoryUniqueId', NS_XDSB)).trim(),
    documentUniqueId: textOf(child(d, 'DocumentUniqueId', NS_XDSB)).trim(),
    mimeType: textOf(child(d, 'mimeType', NS_XDSB)).trim(),
    data: resolveXop(child(d, 'Document', NS_XDSB)!, parts),
  }));
  return { ...result, documents };
}
