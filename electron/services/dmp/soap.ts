import { AppError, type ErrorCode } from '../../../shared/errors';
import { urnUuid } from './hl7';
import { attr, child, children, descendants, elements, escapeText, parseXml, textOf, xmlEl, type XElement } from './xml';

/** SOAP 1.2 + WS-Addressing envelopes and the mapping of DMP answers to French AppErrors. */
export const NS_SOAP = 'http://www.w3.org/2003/05/soap-envelope';
export const NS_WSA = 'http://www.w3.org/2005/08/addressing';
export const NS_WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const NS_RS = 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0';
export const NS_XDSB = 'urn:ihe:iti:xds-b:2007';
export const NS_QUERY = 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0';

export const RESPONSE_STATUS = {
  Success: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
  Failure: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
  PartialSuccess: 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess',
} as const;
export type ResponseStatus = keyof typeof RESPONSE_STATUS;
export const SEVERITY_ERROR = 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error';
export const SEVERITY_WARNING = 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning';

export interface EnvelopeInput {
  action: string;
  to?: string;
  messageId?: string;
  relatesTo?: string;
  /** Signed VIHF assertion, placed in wsse:Security. */
  security?: string;
  body: string;
}

export function buildEnvelope(input: EnvelopeInput): string {
  const header = [
    xmlEl('wsa:Action', { 'soap:mustUnderstand': 'true' }, escapeText(input.action)),
    xmlEl('wsa:MessageID', {}, escapeText(input.messageId ?? urnUuid())),
    input.relatesTo ? xmlEl('wsa:RelatesTo', {}, escapeText(input.relatesTo)) : '',
    input.to ? xmlEl('wsa:ReplyTo', {}, xmlEl('wsa:Address', {}, 'http://www.w3.org/2005/08/addressing/anonymous')) : '',
    input.to ? xmlEl('wsa:To', { 'soap:mustUnderstand': 'true' }, escapeText(input.to)) : '',
    input.security ? xmlEl('wsse:Security', { 'xmlns:wsse': NS_WSSE, 'soap:mustUnderstand': 'true' }, input.security) : '',
  ].join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    xmlEl('soap:Envelope', { 'xmlns:soap': NS_SOAP, 'xmlns:wsa': NS_WSA }, xmlEl('soap:Header', {}, header), xmlEl('soap:Body', {}, input.body))
  );
}

export interface SoapFault {
  code: string;
  subcode?: string;
  reason: string;
}

export interface ParsedEnvelope {
  envelope: XElement;
  header?: XElement;
  body: XElement;
  /** First element of the Body. */
  payload?: XElement;
  action?: string;
  messageId?: string;
  relatesTo?: string;
  fault?: SoapFault;
}

export function parseEnvelope(xml: string | Buffer): ParsedEnvelope {
  const envelope = parseXml(xml);
  if (envelope.local !== 'Envelope' || envelope.ns !== NS_SOAP) {
    throw new AppError('BAD_INPUT', 'Message SOAP 1.2 attendu.');
  }
  const header = child(envelope, 'Header', NS_SOAP);
  const body = child(envelope, 'Body', NS_SOAP);
  if (!body) throw new AppError('BAD_INPUT', 'Message SOAP sans corps.');
  const payload = elements(body)[0];
  let fault: SoapFault | undefined;
  if (payload && payload.local === 'Fault' && payload.ns === NS_SOAP) {
    const code = child(payload, 'Code', NS_SOAP);
    fault = {
      code: textOf(child(code, 'Value', NS_SOAP)).trim(),
      subcode: textOf(child(child(code, 'Subcode', NS_SOAP), 'Value', NS_SOAP)).trim() || undefined,
      reason: textOf(descendants(payload, 'Text', NS_SOAP)[0]).trim(),
    };
  }
  const h = (local: string) => (header ? textOf(child(header, local, NS_WSA)).trim() || undefined : undefined);
  return { envelope, header, body, payload, action: h('Action'), messageId: h('MessageID'), relatesTo: h('RelatesTo'), fault };
}

/** The wsse:Security/saml:Assertion of a request, if any. */
export function securityAssertion(env: ParsedEnvelope): XElement | undefined {
  const sec = env.header ? child(env.header, 'Security', NS_WSSE) : undefined;
  return sec ? elements(sec).find((e) => e.local === 'Assertion') : undefined;
}

export function buildFault(code: 'soap:Sender' | 'soap:Receiver', reason: string, subcode?: string): string {
  return xmlEl(
    'soap:Fault',
    { 'xmlns:wsse': NS_WSSE },
    xmlEl('soap:Code', {}, xmlEl('soap:Value', {}, code), subcode ? xmlEl('soap:Subcode', {}, xmlEl('soap:Value', {}, escapeText(subcode))) : ''),
    xmlEl('soap:Reason', {}, xmlEl('soap:Text', { 'xml:lang': 'fr' }, escapeText(reason))),
  );
}

export interface RegistryError {
  errorCode: string;
  codeContext: string;
  severity: 'Error' | 'Warning';
  location?: string;
}

export interface RegistryResult {
  status: ResponseStatus;
  errors: RegistryError[];
}

/** Reads a rs:RegistryResponse (or any element with a status attribute and a RegistryErrorList). */
export function parseRegistryResponse(el: XElement): RegistryResult {
  const statusUrn = attr(el, 'status') ?? '';
  const status = (Object.entries(RESPONSE_STATUS).find(([, v]) => v === statusUrn)?.[0] ?? 'Failure') as ResponseStatus;
  const errors = descendants(el, 'RegistryError', NS_RS).map((e) => ({
    errorCode: attr(e, 'errorCode') ?? '',
    codeContext: attr(e, 'codeContext') ?? textOf(e).trim(),
    severity: (attr(e, 'severity') ?? SEVERITY_ERROR).endsWith('Warning') ? ('Warning' as const) : ('Error' as const),
    location: attr(e, 'location'),
  }));
  return { status, errors };
}

export function registryErrorListXml(errors: RegistryError[]): string {
  if (!errors.length) return '';
  const highest = errors.some((e) => e.severity === 'Error') ? SEVERITY_ERROR : SEVERITY_WARNING;
  return xmlEl(
    'rs:RegistryErrorList',
    { highestSeverity: highest },
    ...errors.map((e) =>
      xmlEl('rs:RegistryError', {
        errorCode: e.errorCode,
        codeContext: e.codeContext,
        severity: e.severity === 'Error' ? SEVERITY_ERROR : SEVERITY_WARNING,
        location: e.location,
      }),
    ),
  );
}

export function buildRegistryResponse(status: ResponseStatus, errors: RegistryError[] = []): string {
  return xmlEl('rs:RegistryResponse', { 'xmlns:rs': NS_RS, status: RESPONSE_STATUS[status] }, registryErrorListXml(errors));
}

/** Error code of the sandbox (and, as far as we know, of the DMP) when the access status forbids the call. */
export const DMP_ACCESS_DENIED = 'DMP_ACCES_REFUSE';

const REGISTRY_ERRORS: Record<string, [ErrorCode, string]> = {
  XDSPatientIdDoesNotMatch: ['REMOTE_SERVICE', 'Le DMP a refusé le document : l’identifiant du patient (INS) des métadonnées ne correspond pas à celui du document.'],
  XDSNonIdenticalHash: ['REMOTE_SERVICE', 'Le DMP a refusé le document : l’empreinte (hash) déclarée ne correspond pas au document transmis.'],
  XDSNonIdenticalSize: ['REMOTE_SERVICE', 'Le DMP a refusé le document : la taille déclarée ne correspond pas au document transmis.'],
  XDSRepositoryMetadataError: ['REMOTE_SERVICE', 'Le DMP a refusé les métadonnées du document.'],
  XDSRegistryMetadataError: ['REMOTE_SERVICE', 'Le DMP a refusé les métadonnées du document.'],
  XDSMissingDocument: ['REMOTE_SERVICE', 'Le DMP n’a pas reçu le document annoncé dans les métadonnées.'],
  XDSMissingDocumentMetadata: ['REMOTE_SERVICE', 'Le DMP a reçu un document sans métadonnées.'],
  XDSUnknownPatientId: ['NOT_FOUND', 'Ce patient n’a pas de DMP (INS inconnu du DMP).'],
  XDSUnknownStoredQuery: ['REMOTE_SERVICE', 'Recherche refusée par le DMP (requête inconnue).'],
  XDSStoredQueryParamNumber: ['REMOTE_SERVICE', 'Recherche refusée par le DMP (paramètres invalides).'],
  XDSStoredQueryMissingParam: ['REMOTE_SERVICE', 'Recherche refusée par le DMP (paramètre manquant).'],
  XDSRegistryBusy: ['REMOTE_SERVICE', 'Le DMP est momentanément surchargé, réessayez plus tard.'],
  XDSRepositoryBusy: ['REMOTE_SERVICE', 'Le DMP est momentanément surchargé, réessayez plus tard.'],
  XDSRegistryNotAvailable: ['REMOTE_SERVICE', 'Le DMP est momentanément indisponible.'],
  XDSRegistryError: ['REMOTE_SERVICE', 'Le DMP a signalé une erreur.'],
  XDSRepositoryError: ['REMOTE_SERVICE', 'Le DMP a signalé une erreur.'],
  [DMP_ACCESS_DENIED]: ['PERMISSION_DENIED', 'Accès au DMP de ce patient refusé.'],
};

export type Transaction = 'TD0.2' | 'ITI-41' | 'ITI-18' | 'ITI-43';

/** The first error of a Failure response as a French AppError (details keep every remote error). */
export function registryErrorToAppError(errors: RegistryError[], transaction: Transaction): AppError {
  const first = errors.find((e) => e.severity === 'Error') ?? errors[0];
  if (!first) return new AppError('REMOTE_SERVICE', 'Le DMP a refusé la demande sans préciser d’erreur.', { transaction });
  let [code, message] = REGISTRY_ERRORS[first.errorCode] ?? (['REMOTE_SERVICE', `Le DMP a refusé la demande (${first.errorCode}).`] as [ErrorCode, string]);
  if (first.errorCode === 'XDSDocumentUniqueIdError') {
    [code, message] = transaction === 'ITI-43'
      ? ['NOT_FOUND', 'Document introuvable dans le DMP.']
      : ['CONFLICT', 'Ce document (même identifiant) est déjà présent dans le DMP.'];
  }
  const detail = first.codeContext ? ` Détail : ${first.codeContext}` : '';
  return new AppError(code, message + detail, { transaction, errors });
}

export function soapFaultToAppError(fault: SoapFault, transaction: Transaction): AppError {
  const sub = fault.subcode ?? '';
  if (/^(wsse:)?(InvalidSecurity|InvalidSecurityToken|FailedAuthentication|FailedCheck|SecurityTokenUnavailable|MessageExpired)$/.test(sub)) {
    return new AppError('UNAUTHENTICATED', `Le DMP a refusé l’authentification (jeton VIHF) : ${fault.reason || sub}`, { transaction, fault });
  }
  return new AppError('REMOTE_SERVICE', `Le DMP a renvoyé une erreur : ${fault.reason || fault.code}`, { transaction, fault });
}
