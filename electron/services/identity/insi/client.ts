import { randomUUID } from 'node:crypto';
import { AppError } from '../../../../shared/errors';
import { silentLogger, type Logger } from '../../log/logger';
import { checkIns, computeInsKey } from '../ins';
import { BIRTH_DATE, BIRTHPLACE_CODE, soapAction, soapContentType, type InsiOperation } from './protocol';
import { buildTraitsRequest, buildVitaleRequest, type RequestHeader } from './requests';
import { interpretInsiResponse, readSoapFault } from './responses';
import { UnsafeOrMalformedXmlError, parseSafeXml } from './safe-xml';
import type { InsiCallContext, InsiClient, InsiResult, TraitsSearchInput, VitaleSearchInput } from './types';

export interface InsiClientOptions {
  endpoint: string;
  timeoutMs?: number;
  logger?: Logger;
  /** Software identifier sent in ContexteLPS (IDAM / Nom). */
  softwareId?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function invalid(message: string): AppError {
  return new AppError('VALIDATION', message);
}

function validateBirthDate(value: string): void {
  if (!BIRTH_DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw invalid('La date de naissance doit être au format AAAA-MM-JJ.');
  }
}

function validateContext(ctx: InsiCallContext): void {
  if (!ctx?.professionalId?.trim()) throw invalid("L'identifiant du professionnel est requis pour interroger l'INSi.");
}

/** Holder NIR as the 13 characters INSi expects; a 15-character input must carry a valid key. */
function holderNir13(nir: string): string {
  const compact = (nir ?? '').replace(/\s+/g, '').toUpperCase();
  if (compact.length === 15) {
    const check = checkIns(compact);
    if (!check.ok) throw invalid(`NIR de la carte Vitale invalide : ${check.reason}`);
    return compact.slice(0, 13);
  }
  computeInsKey(compact); // throws VALIDATION when malformed
  return compact;
}

export function createInsiClient(options: InsiClientOptions): InsiClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = (options.logger ?? silentLogger).child('insi');
  const softwareId = options.softwareId ?? 'LGC-SEGUR';
  const softwareInstance = randomUUID();

  function header(ctx: InsiCallContext): RequestHeader {
    return {
      messageId: ctx.requestId ?? randomUUID(),
      professionalId: ctx.professionalId.trim(),
      softwareId,
      softwareInstance,
      now: new Date(),
    };
  }

  async function call(op: InsiOperation, h: RequestHeader, xml: string): Promise<InsiResult> {
    const started = Date.now();
    let status: number;
    let text: string;
    try {
      const res = await fetch(options.endpoint, {
        method: 'POST',
        headers: { 'content-type': soapContentType(soapAction(op)), accept: 'application/soap+xml' },
        body: xml,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        log.warn('INSi timeout', { op, requestId: h.messageId, timeoutMs });
        throw new AppError('TIMEOUT', `Le téléservice INSi n'a pas répondu dans le délai imparti (${Math.round(timeoutMs / 1000)} s).`);
      }
      const cause = ((error as { cause?: { code?: string } })?.cause?.code) ?? name;
      log.warn('INSi unreachable', { op, requestId: h.messageId, cause });
      throw new AppError('NETWORK', `Impossible de joindre le téléservice INSi (${cause ?? 'erreur réseau'}).`, { cause });
    }

    let tree: Record<string, unknown> | null = null;
    try {
      tree = parseSafeXml(text);
    } catch (error) {
      if (!(error instanceof UnsafeOrMalformedXmlError)) throw error;
    }
    const fault = tree ? readSoapFault(tree) : null;
    if (fault) {
      log.warn('INSi SOAP fault', { op, requestId: h.messageId, status, faultCode: fault.code, subcode: fault.subcode });
      throw new AppError('REMOTE_SERVICE', `Le téléservice INSi a refusé la demande : ${fault.reason}`, {
        faultCode: fault.code,
        subcode: fault.subcode,
      });
    }
    if (status < 200 || status >= 300) {
      log.warn('INSi HTTP error', { op, requestId: h.messageId, status });
      throw new AppError('NETWORK', `Le téléservice INSi a répondu par une erreur HTTP ${status}.`, { status });
    }
    if (!tree) throw new AppError('REMOTE_SERVICE', 'Réponse du téléservice INSi illisible (XML mal formé ou refusé).');
    const result = interpretInsiResponse(tree, op);
    log.info('INSi response', { op, requestId: h.messageId, code: result.code, ms: Date.now() - started });
    return result;
  }

  return {
    async searchWithTraits(input: TraitsSearchInput, ctx: InsiCallContext): Promise<InsiResult> {
      validateContext(ctx);
      const birthName = input.birthName?.trim() ?? '';
      const givenNames = (input.givenNames ?? []).map((g) => g.trim()).filter(Boolean);
      if (!birthName) throw invalid('Le nom de naissance est requis.');
      if (givenNames.length === 0) throw invalid('Au moins le premier prénom de naissance est requis.');
      validateBirthDate(input.birthDate);
      if (input.sex !== 'F' && input.sex !== 'M') throw invalid('Le sexe doit être F ou M.');
      const birthplaceCode = input.birthplaceCode?.trim().toUpperCase() || undefined;
      if (birthplaceCode && !BIRTHPLACE_CODE.test(birthplaceCode)) {
        throw invalid('Le code du lieu de naissance doit comporter 5 caractères (code INSEE).');
      }
      const h = header(ctx);
      const xml = buildTraitsRequest(h, { birthName, givenNames, birthDate: input.birthDate, sex: input.sex, birthplaceCode });
      return call('traits', h, xml);
    },

    async searchWithVitale(input: VitaleSearchInput, ctx: InsiCallContext): Promise<InsiResult> {
      validateContext(ctx);
      const nir13 = holderNir13(input.nir);
      validateBirthDate(input.birthDate);
      const rank = input.rank ?? 1;
      if (!Number.isInteger(rank) || rank < 1 || rank > 9) throw invalid('Le rang de naissance doit être un entier entre 1 et 9.');
      const h = header(ctx);
      return call('vitale', h, buildVitaleRequest(h, { nir13, birthDate: input.birthDate, rank }));
    },
  };
}
