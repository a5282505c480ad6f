import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../../../shared/errors';
import { silentLogger, type Logger } from '../log/logger';
import { labelForLoinc } from '../cda/loinc-types';
import { parseCda } from '../cda/parse';
import { assertIns, insCx, parseCx, parseHl7Time, stableOid } from './hl7';
import { buildFindDocumentsQuery, buildGetDocumentsQuery, ITI18_ACTION, parseQueryResponse, type FindDocumentsFilters } from './iti18';
import { buildProvideAndRegisterBody, ITI41_ACTION } from './iti41';
import { buildRetrieveRequest, ITI43_ACTION, parseRetrieveResponse } from './iti43';
import { buildMtom, newContentId, parseContentType, parseMultipart, type MimePart } from './mtom';
import {
  buildEnvelope,
  NS_RS,
  parseEnvelope,
  parseRegistryResponse,
  registryErrorToAppError,
  soapFaultToAppError,
  type ParsedEnvelope,
  type Transaction,
} from './soap';
import { buildTd02Request, parseTd02Response, TD02_ACTION, type TestExistenceResult } from './td02';
import { postHttp, type TlsClientOptions } from './transport';
import type { DmpContext, InsRef } from './types';
import type { VihfSigner } from './vihf';
import { VISIBILITY_CODES, type DocumentEntry, type SubmissionPackage } from './xds-metadata';
import { child } from './xml';

/**
 * DMP web-service client: TD0.2 (patients), ITI-41 (repository), ITI-18 (registry), ITI-43
 * (repository), each call carrying a freshly signed VIHF. Never logs the VIHF nor document content.
 */
export interface DmpClientOptions {
  /** Base URL of the services, …/si-dmp-server/v2/services */
  endpoint: string;
  vihfSigner: VihfSigner;
  logger?: Logger;
  timeoutMs?: number;
  /** Structure certificate for mutual TLS (required by the real DMP). */
  tls?: TlsClientOptions;
  /** HL7v3 sender device of TD0.2 (OID of the software); defaults to a stable OID. */
  senderOid?: string;
  softwareName?: string;
}

export interface DmpDocumentSummary {
  uniqueId: string;
  entryUuid: string;
  typeCode: string;
  typeLabel: string;
  classCode: string;
  title: string;
  /** ISO 8601 */
  creationTime?: string;
  author: { nationalId?: string; name: string; raw: string };
  /** DMP visibility codes (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX). */
  visibility: string[];
  repositoryUniqueId?: string;
  size: number;
  status?: 'Approved' | 'Deprecated';
}

export interface ProvideResult {
  uniqueId: string;
  entryUuid: string;
  submissionSetUniqueId: string;
  /** entryUUID of the replaced (now deprecated) entry, for a replacement. */
  replacedEntryUuid?: string;
}

export interface DmpClient {
  testExistence(patientIns: InsRef, ctx: DmpContext): Promise<TestExistenceResult>;
  provideDocument(cdaXml: string | Buffer, metadata: SubmissionPackage, ctx: DmpContext): Promise<ProvideResult>;
  findDocuments(patientIns: InsRef, ctx: DmpContext, filters?: FindDocumentsFilters): Promise<DmpDocumentSummary[]>;
  retrieveDocument(uniqueId: string, repositoryUniqueId: string, ctx: DmpContext): Promise<Buffer>;
}

const SERVICE: Record<Transaction, 'patients' | 'registry' | 'repository'> = {
  'TD0.2': 'patients',
  'ITI-41': 'repository',
  'ITI-18': 'registry',
  'ITI-43': 'repository',
};

interface SoapAnswer {
  env: ParsedEnvelope;
  parts?: Map<string, MimePart>;
}

function summarize(e: DocumentEntry): DmpDocumentSummary {
  const [id, family, given] = e.author.person.split('^');
  const created = parseHl7Time(e.creationTime);
  return {
    uniqueId: e.uniqueId,
    entryUuid: e.entryUuid,
    typeCode: e.typeCode.code,
    typeLabel: labelForLoinc(e.typeCode.code) ?? e.typeCode.label,
    classCode: e.classCode.code,
    title: e.title,
    creationTime: created?.toISOString(),
    author: { nationalId: id || undefined, name: [given, family].filter(Boolean).join(' '), raw: e.author.person },
    visibility: e.confidentialityCodes.map((c) => c.code).filter((c) => c in VISIBILITY_CODES),
    repositoryUniqueId: e.repositoryUniqueId,
    size: e.size,
    status: e.status,
  };
}

/** Local refusal of a submission whose metadata disagree with the document (French, for the upload status). */
export function assertSubmissionConsistent(cda: Buffer, metadata: SubmissionPackage, ins: { matricule: string; oid: string }): void {
  const refuse = (detail: string) => {
    throw new AppError('VALIDATION', `Envoi au DMP bloqué avant transmission : ${detail}`);
  };
  if (metadata.submissionSet.patientId !== metadata.documentEntry.patientId) refuse('le patient du lot de soumission diffère de celui de la fiche du document.');
  if (metadata.documentEntry.size !== cda.length) refuse('la taille déclarée ne correspond pas au document.');
  if (metadata.documentEntry.hash.toLowerCase() !== createHash('sha1').update(cda).digest('hex')) refuse('l’empreinte déclarée ne correspond pas au document.');
  const target = parseCda(cda).patient.ins;
  if (!target || target.matricule !== ins.matricule || target.oid !== ins.oid) refuse('l’INS des métadonnées n’est pas celui du patient du document.');
}

export function createDmpClient(options: DmpClientOptions): DmpClient {
  const log = (options.logger ?? silentLogger).child('dmp');
  const base = options.endpoint.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const senderOid = options.senderOid ?? stableOid('lgc-segur:lps');
  const softwareName = options.softwareName ?? 'LGC Ségur';

  async function call(
    transaction: Transaction,
    action: string,
    body: string,
    patient: InsRef,
    ctx: DmpContext,
    attachments: { contentId: string; contentType: string; data: Buffer }[] = [],
  ): Promise<SoapAnswer> {
    assertIns(patient);
    const url = `${base}/${SERVICE[transaction]}`;
    const security = options.vihfSigner.sign({
      professional: ctx.professional,
      practice: ctx.practice,
      patient,
      authnInstant: ctx.authnInstant,
      authnContextClassRef: ctx.authnContextClassRef,
    });
    const envelope = buildEnvelope({ action, to: url, security, body });
    // ITI-41 and ITI-43 are MTOM in both directions; TD0.2 and ITI-18 are plain SOAP 1.2.
    const mtom = transaction === 'ITI-41' || transaction === 'ITI-43';
    const payload = mtom ? buildMtom(envelope, action, attachments) : { contentType: `application/soap+xml; charset=UTF-8; action="${action}"`, body: Buffer.from(envelope, 'utf8') };
    const started = Date.now();
    let res;
    try {
      res = await postHttp(url, payload.body, { 'Content-Type': payload.contentType, Accept: 'multipart/related, application/soap+xml' }, { timeoutMs, tls: options.tls });
    } catch (e) {
      log.warn('appel DMP en échec', { transaction, code: isAppError(e) ? e.code : 'NETWORK', ms: Date.now() - started });
      throw e;
    }
    log.info('appel DMP', { transaction, httpStatus: res.status, ms: Date.now() - started, bytesOut: payload.body.length, bytesIn: res.body.length });

    let answer: SoapAnswer | undefined;
    try {
      const ct = parseContentType(res.headers['content-type']);
      if (ct.type.startsWith('multipart/')) {
        const mp = parseMultipart(res.headers['content-type'], res.body);
        answer = { env: parseEnvelope(mp.root.body), parts: mp.parts };
      } else if (res.body.length && /xml/.test(ct.type)) {
        answer = { env: parseEnvelope(res.body) };
      }
    } catch {
      answer = undefined;
    }
    if (answer?.env.fault) throw soapFaultToAppError(answer.env.fault, transaction);
    if (res.status < 200 || res.status >= 300) {
      throw new AppError('REMOTE_SERVICE', `Le DMP a répondu par une erreur HTTP ${res.status}.`, { transaction, httpStatus: res.status });
    }
    if (!answer?.env.payload) throw new AppError('REMOTE_SERVICE', 'Réponse du DMP illisible.', { transaction });
    return answer;
  }

  function failIfRegistryFailure(el: Parameters<typeof parseRegistryResponse>[0], transaction: Transaction): void {
    const result = parseRegistryResponse(el);
    if (result.status === 'Failure') throw registryErrorToAppError(result.errors, transaction);
  }

  async function getEntries(patient: InsRef, ctx: DmpContext, ids: { uniqueIds?: string[] }): Promise<DocumentEntry[]> {
    const { env } = await call('ITI-18', ITI18_ACTION, buildGetDocumentsQuery(ids), patient, ctx);
    const result = parseQueryResponse(env.payload!);
    if (result.status === 'Failure') throw registryErrorToAppError(result.errors, 'ITI-18');
    return result.entries;
  }

  return {
    async testExistence(patientIns, ctx) {
      const { env } = await call('TD0.2', TD02_ACTION, buildTd02Request(patientIns, { senderOid, softwareName }), patientIns, ctx);
      return parseTd02Response(env.payload!);
    },

    async provideDocument(cdaXml, metadata, ctx) {
      const patient = parseCx(metadata.documentEntry.patientId);
      if (!patient) throw new AppError('VALIDATION', 'Métadonnées DMP invalides : identifiant patient (INS) illisible.');
      const ins = { matricule: patient.id, oid: patient.oid };
      // The patientId decides whose DMP receives the document (and the VIHF): it is checked here
      // against the document itself before anything leaves the workstation.
      assertSubmissionConsistent(Buffer.isBuffer(cdaXml) ? cdaXml : Buffer.from(cdaXml, 'utf8'), metadata, ins);
      let pkg = metadata;
      if (metadata.replacement && !metadata.replacement.targetEntryUuid) {
        const [previous] = await getEntries(ins, ctx, { uniqueIds: [metadata.replacement.parentUniqueId] });
        if (!previous) throw new AppError('NOT_FOUND', 'Document à remplacer introuvable dans le DMP.');
        pkg = { ...metadata, replacement: { ...metadata.replacement, targetEntryUuid: previous.entryUuid } };
      }
      const contentId = newContentId('cda');
      const data = Buffer.isBuffer(cdaXml) ? cdaXml : Buffer.from(cdaXml, 'utf8');
      const { env } = await call('ITI-41', ITI41_ACTION, buildProvideAndRegisterBody(pkg, contentId), ins, ctx, [
        { contentId, contentType: 'text/xml', data },
      ]);
      const rr = env.payload!.local === 'RegistryResponse' && env.payload!.ns === NS_RS ? env.payload! : child(env.payload!, 'RegistryResponse', NS_RS);
      if (!rr) throw new AppError('REMOTE_SERVICE', 'Réponse du DMP au dépôt illisible.');
      failIfRegistryFailure(rr, 'ITI-41');
      return {
        uniqueId: pkg.documentEntry.uniqueId,
        entryUuid: pkg.documentEntry.entryUuid,
        submissionSetUniqueId: pkg.submissionSet.uniqueId,
        replacedEntryUuid: pkg.replacement?.targetEntryUuid,
      };
    },

    async findDocuments(patientIns, ctx, filters) {
      const { env } = await call('ITI-18', ITI18_ACTION, buildFindDocumentsQuery(insCx(patientIns), filters), patientIns, ctx);
      const result = parseQueryResponse(env.payload!);
      if (result.status === 'Failure') throw registryErrorToAppError(result.errors, 'ITI-18');
      return result.entries.map(summarize);
    },

    async retrieveDocument(uniqueId, repositoryUniqueId, ctx) {
      if (!ctx.patient) throw new AppError('INVALID_ARGUMENTS', 'Récupération DMP : le patient concerné doit être indiqué (VIHF).');
      const { env, parts } = await call('ITI-43', ITI43_ACTION, buildRetrieveRequest([{ repositoryUniqueId, documentUniqueId: uniqueId }]), ctx.patient, ctx);
      let result;
      try {
        result = parseRetrieveResponse(env.payload!, parts);
      } catch (e) {
        if (isAppError(e) && e.code === 'BAD_INPUT') throw new AppError('REMOTE_SERVICE', `Réponse du DMP illisible : ${e.message}`, { transaction: 'ITI-43' });
        throw e;
      }
      if (result.status === 'Failure') throw registryErrorToAppError(result.errors, 'ITI-43');
      const doc = result.documents.find((d) => d.documentUniqueId === uniqueId);
      if (!doc) throw new AppError('NOT_FOUND', 'Document introuvable dans le DMP.');
      return doc.data;
    },
  };
}
