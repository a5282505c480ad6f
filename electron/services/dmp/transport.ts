import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AppError } from '../../../shared/errors';

/**
 * HTTP POST for SOAP calls over node:http(s): time limit, optional TLS client certificate
 * (the DMP authenticates the structure by mutual TLS), network/TLS failures as French AppErrors.
 */
export interface TlsClientOptions {
  certPem: string;
  keyPem: string;
  /** Extra trust anchors (IGC-Santé chain); system CAs otherwise. */
  caPem?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const TLS_ERROR = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_OSSL|HOSTNAME_MISMATCH)/;
const NETWORK_ERROR = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE']);

export function networkErrorToAppError(err: unknown): AppError {
  const code = (err as { code?: string }).code ?? '';
  if (TLS_ERROR.test(code)) {
    return new AppError('NETWORK', 'Connexion sécurisée au DMP impossible : certificat refusé ou invalide.', { code });
  }
  if (NETWORK_ERROR.has(code)) return new AppError('NETWORK', 'DMP injoignable : vérifiez la connexion réseau.', { code });
  return new AppError('NETWORK', 'Échec de la communication avec le DMP.', { code: code || undefined });
}

export async function postHttp(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  opts: { timeoutMs: number; tls?: TlsClientOptions },
): Promise<HttpResponse> {
  const target = new URL(url);
  const isHttps = target.protocol === 'https:';
  if (!isHttps && target.protocol !== 'http:') throw new AppError('INVALID_ARGUMENTS', 'Adresse du DMP invalide.');
  return new Promise<HttpResponse>((resolve, reject) => {
    const options = {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(body.length) },
      ...(isHttps && opts.tls ? { cert: opts.tls.certPem, key: opts.tls.keyPem, ...(opts.tls.caPem ? { ca: opts.tls.caPem } : {}) } : {}),
    };
    const req = (isHttps ? httpsRequest : httpRequest)(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(networkErrorToAppError(e)));
    });
    req.setTimeout(opts.timeoutMs, () => {
      req.destroy(new AppError('TIMEOUT', 'Le DMP ne répond pas (délai dépassé). Réessayez plus tard.'));
    });
    req.on('error', (e) => reject(e instanceof AppError ? e : networkErrorToAppError(e)));
    req.end(body);
  });
}
