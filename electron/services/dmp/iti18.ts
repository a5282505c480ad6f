import { AppError } from '../../../shared/errors';
import { xdsTime } from './hl7';
import { NS_QUERY, NS_RS, parseRegistryResponse, registryErrorListXml, RESPONSE_STATUS, type RegistryError, type RegistryResult, type ResponseStatus } from './soap';
import { extrinsicObjectXml, NS_RIM, parseDocumentEntry, XDS, type DocumentEntry } from './xds-metadata';
import { attr, child, children, descendants, textOf, xmlEl, xmlText, type XElement } from './xml';

/** ITI-18 Registry Stored Query (DMP TD3.1): FindDocuments and GetDocuments, LeafClass answers. */
export const ITI18_ACTION = 'urn:ihe:iti:2007:RegistryStoredQuery';
export const ITI18_RESPONSE_ACTION = 'urn:ihe:iti:2007:RegistryStoredQueryResponse';
export const FIND_DOCUMENTS = 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d';
export const GET_DOCUMENTS = 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4';

export interface FindDocumentsFilters {
  /** Defaults to Approved only. */
  statuses?: ('Approved' | 'Deprecated')[];
  classCodes?: { code: string; scheme: string }[];
  typeCodes?: { code: string; scheme: string }[];
  creationTimeFrom?: Date;
  creationTimeTo?: Date;
}

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
const list = (vs: string[]) => `(${vs.map(quote).join(',')})`;

function param(name: string, value: string): string {
  return xmlEl('rim:Slot', { name }, xmlEl('rim:ValueList', {}, xmlText('rim:Value', {}, value)));
}

function query(id: string, params: string[], returnType: 'LeafClass' | 'ObjectRef' = 'LeafClass'): string {
  return xmlEl(
    'query:AdhocQueryRequest',
    { 'xmlns:query': NS_QUERY, 'xmlns:rim': NS_RIM },
    xmlEl('query:ResponseOption', { returnComposedObjects: 'true', returnType }),
    xmlEl('rim:AdhocQuery', { id }, ...params),
  );
}

export function buildFindDocumentsQuery(patientIdCx: string, filters: FindDocumentsFilters = {}): string {
  const statuses = (filters.statuses ?? ['Approved']).map((s) => (s === 'Approved' ? XDS.APPROVED : XDS.DEPRECATED));
  const params = [param('$XDSDocumentEntryPatientId', quote(patientIdCx)), param('$XDSDocumentEntryStatus', list(statuses))];
  if (filters.classCodes?.length) params.push(param('$XDSDocumentEntryClassCode', list(filters.classCodes.map((c) => `${c.code}^^${c.scheme}`))));
  if (filters.typeCodes?.length) params.push(param('$XDSDocumentEntryTypeCode', list(filters.typeCodes.map((c) => `${c.code}^^${c.scheme}`))));
  if (filters.creationTimeFrom) params.push(param('$XDSDocumentEntryCreationTimeFrom', xdsTime(filters.creationTimeFrom)));
  if (filters.creationTimeTo) params.push(param('$XDSDocumentEntryCreationTimeTo', xdsTime(filters.creationTimeTo)));
  return query(FIND_DOCUMENTS, params);
}

export function buildGetDocumentsQuery(ids: { uniqueIds?: string[]; entryUuids?: string[] }): string {
  const params: string[] = [];
  if (ids.uniqueIds?.length) params.push(param('$XDSDocumentEntryUniqueId', list(ids.uniqueIds)));
  if (ids.entryUuids?.length) params.push(param('$XDSDocumentEntryEntryUUID', list(ids.entryUuids)));
  return query(GET_DOCUMENTS, params);
}

/** Splits an ITI-18 parameter value: 'a' or ('a','b') → ['a','b']. */
export function parseQueryValue(raw: string): string[] {
  let s = raw.trim();
  if (s.startsWith('(') && s.endsWith(')')) s = s.slice(1, -1);
  const out: string[] = [];
  const re = /\s*(?:'((?:[^']|'')*)'|([^,]+))\s*(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) && m[0] !== '') out.push(m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2]!.trim());
  return out;
}

export interface StoredQuery {
  queryId: string;
  returnType: string;
  /** Values per parameter name, lists already split (a repeated slot adds values). */
  params: Map<string, string[]>;
}

export function parseStoredQuery(el: XElement): StoredQuery {
  if (el.local !== 'AdhocQueryRequest' || el.ns !== NS_QUERY) throw new AppError('BAD_INPUT', 'Requête AdhocQueryRequest attendue.');
  const q = child(el, 'AdhocQuery', NS_RIM);
  const params = new Map<string, string[]>();
  for (const slot of children(q ?? el, 'Slot', NS_RIM)) {
    const name = attr(slot, 'name') ?? '';
    const values = descendants(slot, 'Value', NS_RIM).flatMap((v) => parseQueryValue(textOf(v)));
    params.set(name, [...(params.get(name) ?? []), ...values]);
  }
  return { queryId: attr(q, 'id') ?? '', returnType: attr(child(el, 'ResponseOption', NS_QUERY), 'returnType') ?? 'LeafClass', params };
}

export function buildQueryResponse(status: ResponseStatus, entries: DocumentEntry[], returnType: string, errors: RegistryError[] = []): string {
  const objects = returnType === 'ObjectRef' ? entries.map((e) => xmlEl('rim:ObjectRef', { id: e.entryUuid })) : entries.map(extrinsicObjectXml);
  return xmlEl(
    'query:AdhocQueryResponse',
    { 'xmlns:query': NS_QUERY, 'xmlns:rim': NS_RIM, 'xmlns:rs': NS_RS, status: RESPONSE_STATUS[status] },
    registryErrorListXml(errors),
    xmlEl('rim:RegistryObjectList', {}, ...objects),
  );
}

export interface QueryResult extends RegistryResult {
  entries: DocumentEntry[];
}

export function parseQueryResponse(el: XElement): QueryResult {
  if (el.local !== 'AdhocQueryResponse' || el.ns !== NS_QUERY) throw new AppError('REMOTE_SERVICE', 'Réponse de recherche inattendue du DMP.');
  const result = parseRegistryResponse(el);
  const listEl = child(el, 'RegistryObjectList', NS_RIM);
  return { ...result, entries: listEl ? children(listEl, 'ExtrinsicObject', NS_RIM).map(parseDocumentEntry) : [] };
}
