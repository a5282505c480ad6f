import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { AppError } from '../../../../shared/errors';
import type { Logger } from '../../log/logger';
import type { MailServerConfig } from './types';

/**
 * Transport and authentication rules shared by IMAP (imapflow) and SMTP (nodemailer):
 * STARTTLS required (or implicit TLS), TLS ≥ 1.2, certificate checked against the configured CA
 * bundle; plaintext only for a sandbox on a loopback address; SASL XOAUTH2 with the PSC token.
 */

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return /^::ffff:127\./.test(h);
}

export interface TransportPolicy {
  /** Implicit TLS from the first byte. */
  secure: boolean;
  /** STARTTLS: required (true) or never attempted (false, sandbox plaintext). */
  starttls: boolean;
  plaintext: boolean;
  tls: ConnectionOptions;
}

/** Throws AppError('VALIDATION') for a plaintext configuration outside a loopback sandbox. */
export function transportPolicy(server: MailServerConfig, service: 'IMAP' | 'SMTP'): TransportPolicy {
  if (server.sandboxPlaintext) {
    if (!isLoopbackHost(server.host)) {
      throw new AppError(
        'VALIDATION',
        `Connexion ${service} non chiffrée refusée vers ${server.host} : le mode sans chiffrement est réservé au bac à sable local (127.0.0.1).`,
      );
    }
    return { secure: false, starttls: false, plaintext: true, tls: {} };
  }
  const tls: ConnectionOptions = {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  };
  if (server.ca) tls.ca = server.ca;
  if (server.servername) tls.servername = server.servername;
  return { secure: !!server.tls, starttls: !server.tls, plaintext: false, tls };
}

export interface ImapAuth {
  user: string;
  accessToken?: string;
  password?: string;
}

export interface ImapClientOptions {
  logger?: Logger;
  /** Prefer XOAUTH2 (what MSSanté operators document) over OAUTHBEARER when both are offered. */
  preferXoauth2?: boolean;
  clientName?: string;
  clientVersion?: string;
  connectionTimeoutMs?: number;
  socketTimeoutMs?: number;
}

/** imapflow client for one MSSanté mailbox, TLS rules applied. Auto-IDLE is off: the engine drives IDLE. */
export function createImapClient(server: MailServerConfig, auth: ImapAuth, options: ImapClientOptions = {}): ImapFlow {
  const policy = transportPolicy(server, 'IMAP');
  const imapOptions: ImapFlowOptions = {
    host: server.host,
    port: server.port,
    secure: policy.secure,
    doSTARTTLS: policy.secure ? undefined : policy.starttls,
    tls: policy.tls,
    auth: auth.accessToken ? { user: auth.user, accessToken: auth.accessToken } : { user: auth.user, pass: auth.password ?? '' },
    clientInfo: { name: options.clientName ?? 'LGC Segur', version: options.clientVersion ?? '0.1' },
    disableAutoIdle: true,
    disableCompression: false,
    qresync: false,
    logger: options.logger ? imapLogger(options.logger) : false,
    connectionTimeout: options.connectionTimeoutMs ?? 20_000,
    greetingTimeout: options.connectionTimeoutMs ?? 20_000,
    socketTimeout: options.socketTimeoutMs ?? 5 * 60_000,
    maxIdleTime: 5 * 60_000,
  };
  if (server.servername) imapOptions.servername = server.servername;
  const client = new ImapFlow(imapOptions);
  wrapAuthenticate(client, !!auth.accessToken, options.preferXoauth2 !== false);
  return client;
}

const mechanisms = new WeakMap<ImapFlow, string>();

/** The SASL mechanism the client used (for the audit trail). */
export function usedAuthMechanism(client: ImapFlow): string {
  return mechanisms.get(client) ?? 'inconnu';
}

/**
 * imapflow picks OAUTHBEARER whenever it is advertised. MSSanté operators document SASL XOAUTH2
 * (OAUTHBEARER support is unconfirmed), so the capability is hidden from the mechanism choice
 * when XOAUTH2 is offered too. Records the mechanism used.
 */
function wrapAuthenticate(client: ImapFlow, withToken: boolean, preferXoauth2: boolean): void {
  const target = client as unknown as { authenticate: () => Promise<boolean>; capabilities: Map<string, unknown> };
  const original = target.authenticate.bind(client);
  target.authenticate = async () => {
    const caps = target.capabilities;
    if (withToken) {
      if (preferXoauth2 && caps.has('AUTH=XOAUTH2') && caps.has('AUTH=OAUTHBEARER')) caps.delete('AUTH=OAUTHBEARER');
      mechanisms.set(client, caps.has('AUTH=OAUTHBEARER') ? 'OAUTHBEARER' : 'XOAUTH2');
    } else {
      mechanisms.set(client, caps.has('AUTH=PLAIN') ? 'PLAIN' : caps.has('AUTH=LOGIN') ? 'LOGIN' : 'LOGIN (commande)');
    }
    return original();
  };
}

function imapLogger(log: Logger) {
  const fields = (o: unknown): Record<string, unknown> => (o && typeof o === 'object' ? { imap: o } : { imap: String(o) });
  return {
    trace: () => undefined,
    debug: (o: unknown) => log.debug('imap', fields(o)),
    info: (o: unknown) => log.debug('imap', fields(o)),
    // The engine reports failures itself (status + one warning); imapflow's own are detail.
    warn: (o: unknown) => log.debug('imap', fields(o)),
    error: (o: unknown) => log.debug('imap', fields(o)),
  };
}

// ---------------------------------------------------------------------------------------------
// Error classification → mailbox status (French reason)

export interface ClassifiedError {
  state: 'offline' | 'error';
  detail: string;
  /** The operator refused the credentials (token expired/revoked, or wrong address). */
  auth: boolean;
  /** Retrying later may succeed without a configuration change. */
  retry: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS',
  'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ESOCKET', 'ECONNECTION', 'StateLogout',
]);

const CERT_CODES = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_CERT|HOSTNAME_MISMATCH|ERR_SSL_)/;

export function classifyMailError(error: unknown, service: 'IMAP' | 'SMTP' = 'IMAP'): ClassifiedError {
  const e = (error ?? {}) as { code?: string; message?: string; authenticationFailed?: boolean; tlsFailed?: boolean;
    responseCode?: number; serverResponseCode?: string; response?: string };
  const code = String(e.code ?? '');
  const message = String(e.message ?? '');
  const server = service === 'IMAP' ? 'serveur de messagerie (IMAP)' : "serveur d'envoi (SMTP)";
  if (error instanceof AppError) {
    const retry = error.code === 'UNAUTHENTICATED' || error.code === 'NETWORK' || error.code === 'TIMEOUT';
    return { state: retry ? 'offline' : 'error', detail: error.message, auth: error.code === 'UNAUTHENTICATED', retry };
  }
  if (e.authenticationFailed || code === 'EAUTH' || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return {
      state: 'error',
      detail: "Authentification refusée par l'opérateur MSSanté (jeton Pro Santé Connect expiré ou boîte non autorisée pour cet utilisateur).",
      auth: true,
      retry: true,
    };
  }
  if (CERT_CODES.test(code) || /certificate|self[- ]signed/i.test(message)) {
    return {
      state: 'error',
      detail: `Certificat du ${server} non reconnu (${code || 'vérification TLS'}) : connexion refusée. Vérifiez le magasin de certificats IGC-Santé configuré.`,
      auth: false,
      retry: true,
    };
  }
  if (e.tlsFailed || /STARTTLS/i.test(message) || code === 'STARTTLS_INJECTION') {
    return {
      state: 'error',
      detail: `Le ${server} ne propose pas de chiffrement STARTTLS : connexion refusée (TLS 1.2 minimum exigé).`,
      auth: false,
      retry: true,
    };
  }
  if (/wrong version number|unsupported protocol|protocol version/i.test(message)) {
    return { state: 'error', detail: `Négociation TLS impossible avec le ${server} (TLS 1.2 minimum exigé).`, auth: false, retry: true };
  }
  if (NETWORK_CODES.has(code) || /socket|connection|ECONN|timed? ?out|closed/i.test(message)) {
    return { state: 'offline', detail: `Le ${server} est injoignable (${code || 'connexion interrompue'}).`, auth: false, retry: true };
  }
  if (service === 'SMTP' && typeof e.responseCode === 'number') {
    return {
      state: 'error',
      detail: `Le ${server} a refusé le message (${e.responseCode}) : ${String(e.response ?? message).slice(0, 200)}`,
      auth: false,
      retry: e.responseCode < 500,
    };
  }
  return { state: 'error', detail: `Erreur du ${server} : ${message.slice(0, 200) || code || 'inconnue'}.`, auth: false, retry: true };
}
