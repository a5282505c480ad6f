import { createPrivateKey, webcrypto } from 'node:crypto';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import * as oidc from 'openid-client';
import { AppError } from '../../../shared/errors';

/** How the practice's installation authenticates to Pro Santé Connect (from the rollout configuration). */
export type PscClientAuthConfig =
  | { method: 'client_secret_basic'; secret: string }
  | { method: 'private_key_jwt'; privateKeyPem: string; kid?: string }
  | { method: 'tls_client_auth'; certPem: string; keyPem: string };

export interface ResolvedClientAuth {
  auth: oidc.ClientAuth;
  metadata: Partial<oidc.ClientMetadata>;
  /** Set for mutual TLS: every request to PSC goes through it. */
  fetch?: oidc.CustomFetch;
}

export async function resolveClientAuth(config: PscClientAuthConfig): Promise<ResolvedClientAuth> {
  switch (config.method) {
    case 'client_secret_basic':
      return { auth: oidc.ClientSecretBasic(config.secret), metadata: {} };
    case 'private_key_jwt': {
      const key = await importSigningKey(config.privateKeyPem);
      return { auth: oidc.PrivateKeyJwt(config.kid ? { key, kid: config.kid } : { key }), metadata: {} };
    }
    case 'tls_client_auth':
      return {
        auth: oidc.TlsClientAuth(),
        metadata: { use_mtls_endpoint_aliases: true },
        fetch: mutualTlsFetch(config.certPem, config.keyPem),
      };
  }
}

async function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  let keyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch {
    throw new AppError('VALIDATION', 'Clé privée Pro Santé Connect illisible (PEM attendu).');
  }
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  const type = keyObject.asymmetricKeyType;
  const curve = keyObject.asymmetricKeyDetails?.namedCurve;
  let algorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  if (type === 'rsa') algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  else if (type === 'ec' && (curve === 'prime256v1' || curve === 'P-256')) algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  else throw new AppError('VALIDATION', 'Type de clé privée non pris en charge pour Pro Santé Connect (RSA ou EC P-256 attendu).', { type, curve });
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

/**
 * Fetch over node:https presenting the practice's IGC-Santé certificate (global fetch cannot
 * present a client certificate without undici, which is not a dependency of this project).
 */
export function mutualTlsFetch(certPem: string, keyPem: string): oidc.CustomFetch {
  const agent = new HttpsAgent({ cert: certPem, key: keyPem, keepAlive: true, maxSockets: 4 });
  return (url, options) => new Promise<Response>((resolve, reject) => {
    const req = httpsRequest(url, { method: options.method, headers: options.headers, agent, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else if (value !== undefined) headers.set(name, value);
        }
        const status = res.statusCode ?? 500;
        const empty = status === 204 || status === 304 || options.method === 'HEAD';
        resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers }));
      });
    });
    req.on('error', reject);
    const { body } = options;
    if (body === undefined || body === null) req.end();
    else if (typeof body === 'string') req.end(body);
    else if (body instanceof URLSearchParams) req.end(body.toString());
    else if (body instanceof Uint8Array) req.end(body);
    else if (body instanceof ArrayBuffer) req.end(Buffer.from(body));
    else {
      req.destroy();
      reject(new TypeError('corps de requête non pris en charge pour mTLS'));
    }
  });
}
