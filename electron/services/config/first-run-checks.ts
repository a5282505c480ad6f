import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { FIRST_RUN_CHECK_LABELS } from '../../../shared/domain';
import type { PracticeConfig } from './practice-config';

/**
 * First-run checklist of a configured workstation: can it reach the services its configuration
 * names? Reachability only (nobody logs in): PSC discovery document, MSSanté IMAP/SMTP
 * greetings, DMP and INSi endpoints answering HTTP (any status: they want SOAP and a certificate).
 */

export type FirstRunCheckId = 'psc' | 'mailbox' | 'dmp' | 'insi';

export interface FirstRunCheck {
  id: FirstRunCheckId;
  label: string;
  state: 'ok' | 'error' | 'skipped';
  /** French, for the checklist screen. */
  detail: string;
}

export interface FirstRunDeps {
  /** Replaces the built-in HTTP client (which trusts `config.caBundle` in addition to the system CAs). */
  fetch?: typeof fetch;
  connectTcp?: (host: string, port: number) => Socket;
  /** Per check, default 5000 ms. */
  timeoutMs?: number;
}

const LABELS: Record<FirstRunCheckId, string> = FIRST_RUN_CHECK_LABELS;

type HttpGet = (url: string) => Promise<{ status: number; body: string }>;

class CheckError extends Error {}

/** French description of a network failure. */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  if (error instanceof CheckError) return error.message;
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'ETIMEDOUT') return `pas de réponse en ${String(Math.round(timeoutMs / 100) / 10).replace('.', ',')} s`;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'nom de serveur introuvable (DNS)';
    case 'ECONNREFUSED':
      return 'connexion refusée';
    case 'ECONNRESET':
      return 'connexion interrompue par le serveur';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'serveur injoignable (réseau)';
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `certificat du serveur non reconnu (${code}) — vérifier caBundle (chaîne IGC-Santé)`;
    default:
      return `erreur réseau (${code ?? err.cause?.message ?? err.message ?? 'inconnue'})`;
  }
}

function nodeHttpGet(ca: string | null, timeoutMs: number): HttpGet {
  return (url) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = request(
        target,
        { method: 'GET', headers: { accept: 'application/json, */*' }, timeout: timeoutMs, ...(ca && target.protocol === 'https:' ? { ca: [...rootCertificates, ca] } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= 1_000_000) chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
      req.on('error', reject);
      req.end();
    });
}

function fetchHttpGet(fetchImpl: typeof fetch, timeoutMs: number): HttpGet {
  return async (url) => {
    const res = await fetchImpl(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json, */*' } });
    return { status: res.status, body: await res.text() };
  };
}

/** Reads the first line the server sends, then says goodbye politely. */
export function readGreeting(socket: Socket, timeoutMs: number, goodbye: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let done = false;
    const timer = setTimeout(() => finish(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeoutMs);
    const finish = (error: Error | null, line?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (error) {
        socket.destroy();
        reject(error);
        return;
      }
      socket.end(goodbye);
      setTimeout(() => socket.destroy(), 1000).unref();
      resolve(line!);
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) finish(null, buffer.slice(0, end).replace(/\r$/, ''));
      else if (buffer.length > 4096) finish(new CheckError('réponse inattendue du serveur'));
    });
    socket.on('error', (error) => finish(error));
    socket.on('end', () => finish(new CheckError('connexion fermée sans message d’accueil')));
  });
}

const normalizeIssuer = (url: string) => url.replace(/\/+$/, '');

export async function runFirstRunChecks(config: PracticeConfig, deps: FirstRunDeps = {}): Promise<FirstRunCheck[]> {
  const timeoutMs = deps.timeoutMs ?? 5000;
  const connectTcp = deps.connectTcp ?? ((host: string, port: number) => connect({ host, port }));
  let ca: string | null = null;
  let caError: string | null = null;
  if (config.caBundle && !deps.fetch) {
    try {
      ca = await readFile(config.caBundle, 'utf8');
    } catch {
      caError = `fichier de certificats racines illisible (${config.caBundle})`;
    }
  }
  const get: HttpGet = deps.fetch ? fetchHttpGet(deps.fetch, timeoutMs) : nodeHttpGet(ca, timeoutMs);
  const result = (id: FirstRunCheckId, state: FirstRunCheck['state'], detail: string): FirstRunCheck => ({ id, label: LABELS[id], state, detail });
  const failed = (id: FirstRunCheckId, error: unknown, url?: string) =>
    result(id, 'error', caError ?? `${describeNetworkError(error, timeoutMs)}${url ? ` (${url})` : ''}`);

  const psc = async (): Promise<FirstRunCheck> => {
    const url = `${normalizeIssuer(config.psc.issuer)}/.well-known/wallet-openid-configuration`;
    try {
      const res = await get(url);
      if (res.status !== 200) return result('psc', 'error', `le document de découverte répond HTTP ${res.status} (${url})`);
      let issuer: unknown;
      try {
        issuer = (JSON.parse(res.body) as { issuer?: unknown }).issuer;
      } catch {
        return result('psc', 'error', `le document de découverte n’est pas du JSON (${url})`);
      }
      if (typeof issuer !== 'string' || normalizeIssuer(issuer) !== normalizeIssuer(config.psc.issuer)) {
        return result('psc', 'error', `le document de découverte annonce un autre émetteur (${String(issuer)}) — vérifier psc.issuer`);
      }
      return result('psc', 'ok', `document de découverte joignable (${url})`);
    } catch (error) {
      return failed('psc', error, url);
    }
  };

  const greeting = async (host: string, port: number, expected: RegExp, goodbye: string): Promise<string | null> => {
    try {
      const line = await readGreeting(connectTcp(host, port), timeoutMs, goodbye);
      return expected.test(line) ? null : `message d’accueil inattendu : « ${line.slice(0, 80)} »`;
    } catch (error) {
      return describeNetworkError(error, timeoutMs);
    }
  };

  const mailbox = async (): Promise<FirstRunCheck> => {
    const mss = config.mssante;
    if (!mss) return result('mailbox', 'skipped', 'aucune messagerie MSSanté configurée');
    const [imap, smtp] = await Promise.all([
      greeting(mss.imap.host, mss.imap.port, /^\* (OK|PREAUTH)\b/i, 'a1 LOGOUT\r\n'),
      greeting(mss.smtp.host, mss.smtp.port, /^220[ -]/, 'QUIT\r\n'),
    ]);
    const imapText = `IMAP ${mss.imap.host}:${mss.imap.port} ${imap ? `: ${imap}` : 'répond'}`;
    const smtpText = `SMTP ${mss.smtp.host}:${mss.smtp.port} ${smtp ? `: ${smtp}` : 'répond'}`;
    return result('mailbox', imap || smtp ? 'error' : 'ok', `${imapText} ; ${smtpText}`);
  };

  const endpoint = async (id: 'dmp' | 'insi', url: string | undefined, notConfigured: string): Promise<FirstRunCheck> => {
    if (!url) return result(id, 'skipped', notConfigured);
    try {
      const res = await get(url);
      return result(id, 'ok', `service joignable (HTTP ${res.status}, ${url})`);
    } catch (error) {
      return failed(id, error, url);
    }
  };

  return Promise.all([
    psc(),
    mailbox(),
    endpoint('dmp', config.dmp?.endpoint, 'DMP non configuré'),
    endpoint('insi', config.insi?.endpoint, 'téléservice INSi non configuré'),
  ]);
}
