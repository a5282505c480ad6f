import { AppError } from '../../../shared/errors';
import { cidHref, NS_XOP, resolveXop, type MimePart } from './mtom';
import { NS_XDSB } from './soap';
import { NS_LCM, parseSubmitObjectsRequest, toEbRim, type ParsedSubmission, type SubmissionPackage } from './xds-metadata';
import { attr, child, children, xmlEl, type XElement } from './xml';

/** ITI-41 Provide and Register Document Set-b (DMP TD2.1), MTOM/XOP encoded. */
export const ITI41_ACTION = 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b';
export const ITI41_RESPONSE_ACTION = 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse';

/** Body of the request; the CDA bytes go in the MIME part `contentId`. */
export function buildProvideAndRegisterBody(pkg: SubmissionPackage, contentId: string): string {
  return xmlEl(
    'xdsb:ProvideAndRegisterDocumentSetRequest',
    { 'xmlns:xdsb': NS_XDSB },
    toEbRim(pkg),
    xmlEl('xdsb:Document', { id: pkg.documentEntry.entryUuid }, xmlEl('xop:Include', { 'xmlns:xop': NS_XOP, href: cidHref(contentId) })),
  );
}

export interface ProvideAndRegisterRequest extends ParsedSubmission {
  /** Document bytes by ExtrinsicObject id. */
  documents: Map<string, Buffer>;
}

export function parseProvideAndRegister(el: XElement, parts: Map<string, MimePart> | undefined): ProvideAndRegisterRequest {
  if (el.local !== 'ProvideAndRegisterDocumentSetRequest' || el.ns !== NS_XDSB) {
    throw new AppError('BAD_INPUT', 'Requête ProvideAndRegisterDocumentSetRequest attendue.');
  }
  const sor = child(el, 'SubmitObjectsRequest', NS_LCM);
  if (!sor) throw new AppError('BAD_INPUT', 'Requête ITI-41 sans SubmitObjectsRequest.');
  const documents = new Map<string, Buffer>();
  for (const d of children(el, 'Document', NS_XDSB)) documents.set(attr(d, 'id') ?? '', resolveXop(d, parts));
  return { ...parseSubmitObjectsRequest(sor), documents };
}
