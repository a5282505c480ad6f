import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isAppError } from '../../shared/errors';
import { classCodeFor } from '../services/cda/loinc-types';
import { INS_OIDS, insCx, OID, parseCx } from '../services/dmp/hl7';
import { buildQueryResponse, FIND_DOCUMENTS, GET_DOCUMENTS, ITI18_ACTION, ITI18_RESPONSE_ACTION, parseStoredQuery, type StoredQuery } from '../services/dmp/iti18';
import { ITI41_ACTION, ITI41_RESPONSE_ACTION, parseProvideAndRegister } from '../services/dmp/iti41';
import { buildRetrieveResponse, ITI43_ACTION, ITI43_RESPONSE_ACTION, parseRetrieveRequest, type RetrievedDocumentRef } from '../services/dmp/iti43';
import { buildMtom, newContentId, parseContentType, parseMultipart, type Attachment, type MimePart } from '../services/dmp/mtom';
import {
  buildEnvelope,
  buildFault,
  buildRegistryResponse,
  DMP_ACCESS_DENIED,
  parseEnvelope,
  securityAssertion,
  type ParsedEnvelope,
  type RegistryError,
} from '../services/dmp/soap';
import { buildTd02Response, parseTd02Request, TD02_ACTION, TD02_RESPONSE_ACTION } from '../services/dmp/td02';
import type { DmpAccessStatus } from '../services/dmp/types';
import { REQUIRED_VIHF_ATTRIBUTES, VIHF_ATTR, verifyVihf, type VihfInfo } from '../services/dmp/vihf';
import { VISIBILITY_CODES, XDS, type DocumentEntry } from '../services/dmp/xds-metadata';
import { attr, child, children, parseXml, path } from '../services/dmp/xml';
import { silentLogger, type Logger } from '../services/log/logger';

/**
 * DMP stand-in: a real SOAP 1.2 server (127.0.0.1) with the services patients (TD0.2),
 * registry (ITI-18) and repository (ITI-41 / ITI-43, MTOM). It checks the signed VIHF and the
 * submitted metadata against the document and answers with IHE RegistryErrors (docs/dmp.md).
 */
export interface DmpStandInPatient {
  /** INS matricule (15 characters). */
  ins: string;
  status: DmpAccessStatus;
  mesActivated?: boolean;
}

export interface DmpStandInOptions {
  port?: number;
  /** Persistent storage (JSON state + document files); in memory when omitted. */
  dataDir?: string;
  patients?: DmpStandInPatient[];
  logger?: Logger;
}

export interface DmpStandIn {
  /** Base services URL, …/si-dmp-server/v2/services */
  url: string;
  close(): Promise<void>;
  setPatientStatus(ins: string, status: DmpAccessStatus): void;
}

const BASE_PATH = '/si-dmp-server/v2/services';
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Repository id of the stand-in (value seen in DMP kit samples). */
export const SANDBOX_REPOSITORY_ID = '1.2.250.1.213.4.1.1.1.2';

interface StoredDocument {
  entry: DocumentEntry;
  /** INS matricule of the patient. */
  ins: string;
  /** National id of the author (MASQUE_PS documents are only visible to them). */
  authorId: string;
  file: string;
}

interface State {
  patients: Record<string, { status: DmpAccessStatus; mesActivated: boolean }>;
  documents: StoredDocument[];
}

class Fault extends Error {
  constructor(
    readonly role: 'soap:Sender' | 'soap:Receiver',
    reason: string,
    readonly subcode?: string,
  ) {
    super(reason);
  }
}

const SERVICE_ACTIONS: Record<string, string[]> = {
  patients: [TD02_ACTION],
  registry: [ITI18_ACTION],
  repository: [ITI41_ACTION, ITI43_ACTION],
};

const regError = (errorCode: string, codeContext: string, location?: string): RegistryError => ({ errorCode, codeContext, severity: 'Error', location });

export async function startDmpStandIn(options: DmpStandInOptions = {}): Promise<DmpStandIn> {
  const log = (options.logger ?? silentLogger).child('dmp-sandbox');
  const dataDir = options.dataDir;
  const state: State = { patients: {}, documents: [] };
  const memoryFiles = new Map<string, Buffer>();

  if (dataDir) {
    mkdirSync(join(dataDir, 'documents'), { recursive: true });
    const file = join(dataDir, 'dmp-state.json');
    if (existsSync(file)) Object.assign(state, JSON.parse(readFileSync(file, 'utf8')) as State);
  }
  for (const p of options.patients ?? []) state.patients[p.ins] = { status: p.status, mesActivated: p.mesActivated ?? false };

  function persist(): void {
    if (!dataDir) return;
    const file = join(dataDir, 'dmp-state.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  function saveBytes(uniqueId: string, data: Buffer): string {
    const name = `${createHash('sha1').update(uniqueId).digest('hex')}.xml`;
    if (dataDir) writeFileSync(join(dataDir, 'documents', name), data);
    else memoryFiles.set(name, data);
    return name;
  }

  function loadBytes(name: string): Buffer | undefined {
    if (!dataDir) return memoryFiles.get(name);
    const p = join(dataDir, 'documents', name);
    return existsSync(p) ? readFileSync(p) : undefined;
  }

  // ----------------------------------------------------------------------------------------
  // VIHF

  function checkVihf(env: ParsedEnvelope): { info: VihfInfo; ins: string; cx: string } {
    const assertion = securityAssertion(env);
    if (!assertion) throw new Fault('soap:Sender', 'Jeton VIHF absent de l’en-tête WS-Security.', 'wsse:InvalidSecurity');
    const result = verifyVihf(assertion, { now: new Date() });
    if (!result.valid || !result.info) throw new Fault('soap:Sender', result.reason ?? 'Jeton VIHF invalide.', 'wsse:FailedAuthentication');
    const info = result.info;
    const missing = REQUIRED_VIHF_ATTRIBUTES.filter((a) => !info.attributes[a]?.some((v) => v.trim()));
    if (missing.length) throw new Fault('soap:Sender', `Jeton VIHF incomplet : attribut(s) ${missing.join(', ')} manquant(s).`, 'wsse:InvalidSecurity');
    if (!info.nameId) throw new Fault('soap:Sender', 'Jeton VIHF incomplet : identifiant du professionnel (NameID) manquant.', 'wsse:InvalidSecurity');
    if (info.attributes[VIHF_ATTR.RESOURCE_URN]![0] !== 'urn:dmp') throw new Fault('soap:Sender', 'Jeton VIHF : Ressource_URN doit valoir urn:dmp.', 'wsse:InvalidSecurity');
    if (info.attributes[VIHF_ATTR.AUTH_MODE]![0] !== 'INDIRECTE') throw new Fault('soap:Sender', 'Jeton VIHF : mode d’authentification non pris en charge.', 'wsse:InvalidSecurity');
    const cx = info.attributes[VIHF_ATTR.RESOURCE_ID]![0]!;
    const parsed = parseCx(cx);
    if (!parsed || !(parsed.oid in INS_OIDS)) throw new Fault('soap:Sender', 'Jeton VIHF : identifiant patient (resource-id) non conforme, INS attendu.', 'wsse:InvalidSecurity');
    return { info, ins: parsed.id, cx };
  }

  function accessError(ins: string, forFeeding: boolean): RegistryError | undefined {
    const p = state.patients[ins];
    if (!p || p.status === 'NON_EXISTE') return regError('XDSUnknownPatientId', 'Aucun DMP n’existe pour cet INS.');
    if (p.status !== 'VALIDE') {
      return regError(DMP_ACCESS_DENIED, forFeeding ? `Alimentation impossible : accès au DMP au statut ${p.status}.` : `Consultation impossible : accès au DMP au statut ${p.status}.`);
    }
    return undefined;
  }

  const visibleTo = (doc: StoredDocument, nameId: string) =>
    !doc.entry.confidentialityCodes.some((c) => c.code === 'MASQUE_PS') || doc.authorId === nameId;

  // ----------------------------------------------------------------------------------------
  // Transactions

  function td02(env: ParsedEnvelope, vihf: { ins: string }): string {
    const req = parseTd02Request(env.payload!);
    if (req.ins.matricule !== vihf.ins) throw new Fault('soap:Sender', 'L’INS de la requête TD0.2 ne correspond pas au patient du jeton VIHF.');
    const p = state.patients[req.ins.matricule];
    const status: DmpAccessStatus = p?.status ?? 'NON_EXISTE';
    const docs = state.documents.filter((d) => d.ins === req.ins.matricule && d.entry.status === 'Approved');
    const last = docs.map((d) => d.entry.creationTime).sort().pop();
    const lastIso = last && status === 'VALIDE' ? `${last.slice(0, 4)}-${last.slice(4, 6)}-${last.slice(6, 8)}T${last.slice(8, 10) || '00'}:${last.slice(10, 12) || '00'}:${last.slice(12, 14) || '00'}Z` : undefined;
    return buildTd02Response(req, { status, mesActivated: p?.mesActivated ?? false, ...(lastIso ? { lastDocumentDate: lastIso } : {}) });
  }

  function iti41(env: ParsedEnvelope, parts: Map<string, MimePart> | undefined, vihf: { ins: string; cx: string; info: VihfInfo }): string {
    const req = parseProvideAndRegister(env.payload!, parts);
    const errors: RegistryError[] = [];
    if (!req.submissionSet) errors.push(regError('XDSRegistryMetadataError', 'Lot de soumission (RegistryPackage) absent.'));
    if (!req.documentEntries.length) errors.push(regError('XDSRegistryMetadataError', 'Aucune fiche de document dans la soumission.'));
    for (const id of req.documents.keys()) {
      if (!req.documentEntries.some((e) => e.entryUuid === id)) errors.push(regError('XDSMissingDocumentMetadata', `Document ${id} transmis sans fiche de métadonnées.`));
    }
    const accepted: { entry: DocumentEntry; data: Buffer; replaces?: StoredDocument }[] = [];
    for (const e of req.documentEntries) {
      const loc = e.uniqueId || e.entryUuid;
      const before = errors.length;
      const missing: string[] = [];
      const need = (ok: unknown, name: string) => {
        if (!ok) missing.push(name);
      };
      need(e.uniqueId, 'uniqueId');
      need(e.patientId, 'patientId');
      need(e.sourcePatientId, 'sourcePatientId');
      need(e.classCode.code && e.classCode.scheme, 'classCode');
      need(e.typeCode.code && e.typeCode.scheme, 'typeCode');
      need(e.formatCode.code, 'formatCode');
      need(e.confidentialityCodes.some((c) => c.code === 'N' && c.scheme === OID.CONFIDENTIALITY), 'confidentialityCode');
      need(e.healthcareFacilityTypeCode.code, 'healthcareFacilityTypeCode');
      need(e.practiceSettingCode.code, 'practiceSettingCode');
      need(e.creationTime, 'creationTime');
      need(e.languageCode, 'languageCode');
      need(e.hash, 'hash');
      need(Number.isFinite(e.size), 'size');
      need(e.author.person, 'author (authorPerson)');
      need(e.mimeType, 'mimeType');
      if (missing.length) errors.push(regError('XDSRegistryMetadataError', `Métadonnée(s) obligatoire(s) absente(s) : ${missing.join(', ')}.`, loc));
      for (const c of e.confidentialityCodes) {
        if (c.code !== 'N' && (!(c.code in VISIBILITY_CODES) || c.scheme !== OID.DMP_VISIBILITY)) {
          errors.push(regError('XDSRegistryMetadataError', `Code de confidentialité non reconnu : ${c.code} (${c.scheme}).`, loc));
        }
      }
      if (e.typeCode.code && e.classCode.code) {
        let expected: string | undefined;
        try {
          expected = classCodeFor(e.typeCode.code).code;
        } catch {
          errors.push(regError('XDSRegistryMetadataError', `Type de document ${e.typeCode.code} non accepté.`, loc));
        }
        if (expected && expected !== e.classCode.code) errors.push(regError('XDSRegistryMetadataError', `classCode ${e.classCode.code} incohérent avec le typeCode ${e.typeCode.code} (attendu ${expected}).`, loc));
      }
      if (req.submissionSet && req.submissionSet.patientId !== e.patientId) {
        errors.push(regError('XDSPatientIdDoesNotMatch', 'Le patientId du lot de soumission diffère de celui de la fiche.', loc));
      }
      if (e.patientId && e.patientId !== vihf.cx) {
        errors.push(regError('XDSPatientIdDoesNotMatch', `Le patientId des métadonnées (${e.patientId}) diffère du patient du jeton VIHF.`, loc));
      }
      const access = accessError(vihf.ins, true);
      if (access) errors.push({ ...access, location: loc });

      const data = req.documents.get(e.entryUuid);
      if (!data) {
        errors.push(regError('XDSMissingDocument', 'Document annoncé dans les métadonnées mais absent de la requête.', loc));
        continue;
      }
      const hash = createHash('sha1').update(data).digest('hex');
      if (e.hash && e.hash.toLowerCase() !== hash) errors.push(regError('XDSNonIdenticalHash', `Empreinte SHA-1 déclarée ${e.hash}, calculée ${hash}.`, loc));
      if (Number.isFinite(e.size) && e.size !== data.length) errors.push(regError('XDSNonIdenticalSize', `Taille déclarée ${e.size} octets, reçue ${data.length} octets.`, loc));

      let cdaParent: string | undefined;
      try {
        const cda = parseXml(data);
        if (cda.local !== 'ClinicalDocument') throw new Error('not CDA');
        const ids = children(path(cda, 'recordTarget', 'patientRole') ?? cda, 'id');
        const insId = ids.find((i) => (attr(i, 'root') ?? '') in INS_OIDS);
        const cdaCx = insId ? insCx({ matricule: attr(insId, 'extension') ?? '', oid: attr(insId, 'root')! }) : undefined;
        if (cdaCx !== e.patientId) errors.push(regError('XDSPatientIdDoesNotMatch', 'L’INS du document CDA (recordTarget) diffère du patientId des métadonnées.', loc));
        const idEl = child(cda, 'id');
        const cdaId = attr(idEl, 'extension') ? `${attr(idEl, 'root')}^${attr(idEl, 'extension')}` : attr(idEl, 'root');
        if (cdaId !== e.uniqueId) errors.push(regError('XDSRepositoryMetadataError', 'Le uniqueId des métadonnées diffère de l’identifiant du document CDA.', loc));
        if (attr(child(cda, 'code'), 'code') !== e.typeCode.code) errors.push(regError('XDSRepositoryMetadataError', 'Le typeCode des métadonnées diffère du code du document CDA.', loc));
        const rel = children(cda, 'relatedDocument').find((r) => attr(r, 'typeCode') === 'RPLC');
        cdaParent = attr(path(rel, 'parentDocument', 'id'), 'root');
      } catch {
        errors.push(regError('XDSRepositoryMetadataError', 'Le document transmis n’est pas un document CDA lisible.', loc));
      }
      if (state.documents.some((d) => d.entry.uniqueId === e.uniqueId) || state.documents.some((d) => d.entry.entryUuid === e.entryUuid)) {
        errors.push(regError('XDSDocumentUniqueIdError', `Le document ${e.uniqueId} est déjà présent dans le DMP.`, loc));
      }

      let replaces: StoredDocument | undefined;
      const rplc = req.associations.filter((a) => a.type === XDS.RPLC && a.source === e.entryUuid);
      for (const a of rplc) {
        replaces = state.documents.find((d) => d.entry.entryUuid === a.target);
        if (!replaces || replaces.entry.status !== 'Approved') {
          errors.push(regError('XDSRegistryMetadataError', 'Document à remplacer introuvable ou déjà remplacé.', loc));
        } else if (replaces.entry.patientId !== e.patientId) {
          errors.push(regError('XDSPatientIdDoesNotMatch', 'Le document remplacé concerne un autre patient.', loc));
        } else if (cdaParent && cdaParent !== replaces.entry.uniqueId.split('^')[0]) {
          errors.push(regError('XDSRegistryMetadataError', 'Le document CDA (relatedDocument) ne désigne pas le document remplacé.', loc));
        }
      }
      if (cdaParent && !rplc.length) errors.push(regError('XDSRegistryMetadataError', 'Document de remplacement sans association RPLC.', loc));
      if (errors.length === before) accepted.push({ entry: e, data, replaces });
    }

    if (errors.length) {
      log.info('ITI-41 refusé', { errors: errors.map((e) => e.errorCode) });
      return buildRegistryResponse('Failure', errors);
    }
    for (const a of accepted) {
      if (a.replaces) a.replaces.entry.status = 'Deprecated';
      state.documents.push({
        entry: { ...a.entry, status: 'Approved', repositoryUniqueId: SANDBOX_REPOSITORY_ID },
        ins: vihf.ins,
        authorId: a.entry.author.person.split('^')[0] ?? '',
        file: saveBytes(a.entry.uniqueId, a.data),
      });
    }
    persist();
    log.info('ITI-41 accepté', { documents: accepted.length });
    return buildRegistryResponse('Success');
  }

  function iti18(env: ParsedEnvelope, vihf: { ins: string; cx: string; info: VihfInfo }): string {
    const q: StoredQuery = parseStoredQuery(env.payload!);
    const p = (name: string) => q.params.get(name) ?? [];
    const fail = (e: RegistryError) => buildQueryResponse('Failure', [], q.returnType, [e]);
    let docs: StoredDocument[];
    if (q.queryId === FIND_DOCUMENTS) {
      const patient = p('$XDSDocumentEntryPatientId')[0];
      const statuses = p('$XDSDocumentEntryStatus');
      if (!patient) return fail(regError('XDSStoredQueryMissingParam', 'Paramètre $XDSDocumentEntryPatientId obligatoire.'));
      if (!statuses.length) return fail(regError('XDSStoredQueryMissingParam', 'Paramètre $XDSDocumentEntryStatus obligatoire.'));
      if (patient !== vihf.cx) return fail(regError(DMP_ACCESS_DENIED, 'Le jeton VIHF ne porte pas sur le patient recherché.'));
      const access = accessError(vihf.ins, false);
      if (access) return fail(access);
      const codeMatch = (values: string[], c: { code: string; scheme: string }) =>
        !values.length || values.some((v) => {
          const [code, , scheme] = v.split('^');
          return code === c.code && (!scheme || scheme === c.scheme);
        });
      const from = p('$XDSDocumentEntryCreationTimeFrom')[0];
      const to = p('$XDSDocumentEntryCreationTimeTo')[0];
      docs = state.documents.filter(
        (d) =>
          d.entry.patientId === patient &&
          statuses.includes(d.entry.status === 'Approved' ? XDS.APPROVED : XDS.DEPRECATED) &&
          codeMatch(p('$XDSDocumentEntryClassCode'), d.entry.classCode) &&
          codeMatch(p('$XDSDocumentEntryTypeCode'), d.entry.typeCode) &&
          (!from || d.entry.creationTime >= from) &&
          (!to || d.entry.creationTime < to),
      );
    } else if (q.queryId === GET_DOCUMENTS) {
      const uids = p('$XDSDocumentEntryUniqueId');
      const uuids = p('$XDSDocumentEntryEntryUUID');
      if (!uids.length && !uuids.length) return fail(regError('XDSStoredQueryMissingParam', 'Paramètre $XDSDocumentEntryUniqueId ou $XDSDocumentEntryEntryUUID obligatoire.'));
      const access = accessError(vihf.ins, false);
      if (access) return fail(access);
      docs = state.documents.filter((d) => d.ins === vihf.ins && (uids.includes(d.entry.uniqueId) || uuids.includes(d.entry.entryUuid)));
    } else {
      return fail(regError('XDSUnknownStoredQuery', `Requête stockée inconnue : ${q.queryId}.`));
    }
    const visible = docs.filter((d) => visibleTo(d, vihf.info.nameId)).map((d) => d.entry);
    return buildQueryResponse('Success', visible, q.returnType);
  }

  function iti43(env: ParsedEnvelope, vihf: { ins: string; info: VihfInfo }): { body: string; attachments: Attachment[] } {
    const refs = parseRetrieveRequest(env.payload!);
    const errors: RegistryError[] = [];
    const found: RetrievedDocumentRef[] = [];
    const attachments: Attachment[] = [];
    const access = accessError(vihf.ins, false);
    for (const r of refs) {
      if (r.repositoryUniqueId !== SANDBOX_REPOSITORY_ID) {
        errors.push(regError('XDSUnknownRepositoryId', `Entrepôt inconnu : ${r.repositoryUniqueId}.`, r.documentUniqueId));
        continue;
      }
      const doc = state.documents.find((d) => d.entry.uniqueId === r.documentUniqueId);
      const data = doc && loadBytes(doc.file);
      if (!doc || !data || !visibleTo(doc, vihf.info.nameId)) {
        errors.push(regError('XDSDocumentUniqueIdError', `Document ${r.documentUniqueId} introuvable.`, r.documentUniqueId));
        continue;
      }
      if (doc.ins !== vihf.ins) {
        errors.push(regError(DMP_ACCESS_DENIED, 'Le jeton VIHF ne porte pas sur le patient de ce document.', r.documentUniqueId));
        continue;
      }
      if (access) {
        errors.push({ ...access, location: r.documentUniqueId });
        continue;
      }
      const contentId = newContentId('doc');
      found.push({ ...r, mimeType: doc.entry.mimeType, contentId });
      attachments.push({ contentId, contentType: doc.entry.mimeType, data });
    }
    const status = errors.length === 0 ? 'Success' : found.length ? 'PartialSuccess' : 'Failure';
    return { body: buildRetrieveResponse(status, found, errors), attachments };
  }

  // ----------------------------------------------------------------------------------------
  // HTTP

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          reject(new Fault('soap:Sender', 'Message trop volumineux.'));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  function send(res: ServerResponse, status: number, contentType: string, body: Buffer): void {
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(body.length) });
    res.end(body);
  }

  function sendSoap(res: ServerResponse, status: number, action: string, bodyXml: string, relatesTo?: string): void {
    const env = buildEnvelope({ action, relatesTo, body: bodyXml });
    send(res, status, `application/soap+xml; charset=UTF-8; action="${action}"`, Buffer.from(env, 'utf8'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const service = url.pathname.startsWith(`${BASE_PATH}/`) ? url.pathname.slice(BASE_PATH.length + 1) : '';
    if (req.method !== 'POST' || !(service in SERVICE_ACTIONS)) {
      send(res, 404, 'text/plain; charset=utf-8', Buffer.from('Service DMP inconnu.', 'utf8'));
      return;
    }
    let relatesTo: string | undefined;
    try {
      const raw = await readBody(req);
      const ct = parseContentType(req.headers['content-type']);
      let env: ParsedEnvelope;
      let parts: Map<string, MimePart> | undefined;
      try {
        if (ct.type === 'multipart/related') {
          const mp = parseMultipart(req.headers['content-type'], raw);
          env = parseEnvelope(mp.root.body);
          parts = mp.parts;
        } else if (ct.type === 'application/soap+xml') {
          env = parseEnvelope(raw);
        } else {
          throw new Fault('soap:Sender', `Type de contenu non pris en charge : ${ct.type || 'absent'}.`);
        }
      } catch (e) {
        if (e instanceof Fault) throw e;
        throw new Fault('soap:Sender', `Message SOAP invalide : ${isAppError(e) ? e.message : 'illisible'}`);
      }
      relatesTo = env.messageId;
      const action = env.action ?? ct.params.action ?? '';
      if (!SERVICE_ACTIONS[service]!.includes(action)) {
        throw new Fault('soap:Sender', `Action ${action || '(absente)'} non prise en charge par le service ${service}.`, 'wsa:ActionNotSupported');
      }
      if (!env.payload) throw new Fault('soap:Sender', 'Corps SOAP vide.');
      const vihf = checkVihf(env);
      if (action === TD02_ACTION) {
        sendSoap(res, 200, TD02_RESPONSE_ACTION, td02(env, vihf), relatesTo);
      } else if (action === ITI18_ACTION) {
        sendSoap(res, 200, ITI18_RESPONSE_ACTION, iti18(env, vihf), relatesTo);
      } else if (action === ITI41_ACTION) {
        sendSoap(res, 200, ITI41_RESPONSE_ACTION, iti41(env, parts, vihf), relatesTo);
      } else {
        const out = iti43(env, vihf);
        const envXml = buildEnvelope({ action: ITI43_RESPONSE_ACTION, relatesTo, body: out.body });
        const mtom = buildMtom(envXml, ITI43_RESPONSE_ACTION, out.attachments);
        send(res, 200, mtom.contentType, mtom.body);
      }
    } catch (e) {
      const fault = e instanceof Fault ? e : new Fault(isAppError(e) && e.code === 'BAD_INPUT' ? 'soap:Sender' : 'soap:Receiver', isAppError(e) ? e.message : 'Erreur interne du bac à sable DMP.');
      if (!(e instanceof Fault) && !isAppError(e)) log.error('erreur interne', { error: e });
      log.info('faute SOAP', { service, reason: fault.message, subcode: fault.subcode });
      sendSoap(res, fault.role === 'soap:Sender' ? 400 : 500, 'http://www.w3.org/2005/08/addressing/soap/fault', buildFault(fault.role, fault.message, fault.subcode), relatesTo);
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${BASE_PATH}`;
  log.info('bac à sable DMP démarré', { url });

  return {
    url,
    setPatientStatus(ins, status) {
      const p = state.patients[ins];
      state.patients[ins] = { status, mesActivated: p?.mesActivated ?? false };
      persist();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
