import * as oidc from 'openid-client';
import { AppError } from '../../../shared/errors';
import { silentLogger, type Logger } from '../log/logger';
import { DEFAULT_MINIMUM_ACR, assertAcr } from './acr';
import { resolveClientAuth, type PscClientAuthConfig } from './client-auth';
import { startLoopbackReceiver } from './loopback';
import { toPscAppError } from './psc-errors';

/**
 * Pro Santé Connect client (OpenID Connect, openid-client v6): browser login (code + PKCE,
 * loopback redirect), CIBA (e-CPS push), refresh, userinfo, logout URL. Holds no token itself.
 */

export type { PscClientAuthConfig } from './client-auth';

export interface PscConfig {
  /** e.g. https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet */
  issuer: string;
  clientId: string;
  clientAuth: PscClientAuthConfig;
  /** Default `openid scope_all`. */
  scope?: string;
  /** Default `eidas1`; also the minimum acr accepted in ID tokens. */
  acrValues?: string;
  /** Allows an `http://127.0.0.1` (or localhost) issuer: sandbox stand-in only. */
  allowInsecureLoopback?: boolean;
  /** Browser login must complete within this delay (default 5 min). */
  loginTimeoutMs?: number;
  /** CIBA polling interval when the server announces none (default 5 s, the CIBA default). */
  cibaDefaultIntervalMs?: number;
  /** Timeout of each HTTP request to PSC, in seconds (default 30). */
  requestTimeoutSeconds?: number;
}

export interface PscClientDeps {
  openExternal: (url: string) => Promise<void>;
  logger?: Logger;
  now?: () => number;
}

export interface PscTokens {
  accessToken: string;
  refreshToken?: string;
  idToken: string;
  tokenType: string;
  scope?: string;
  /** Epoch ms. */
  obtainedAt: number;
  /** Epoch ms at which the access token expires. */
  expiresAt: number;
  /** ID token `sub`. */
  subject: string;
  acr: string;
  authTime?: number;
}

export interface BrowserLoginOptions {
  signal?: AbortSignal;
  /** Sends `prompt=login` so PSC asks for the card again (unlock, change of user). */
  forceLogin?: boolean;
  loginHint?: string;
}

export interface CibaProgress { status: 'pending' | 'slow_down'; elapsedMs: number }

export interface CibaLoginOptions {
  signal?: AbortSignal;
  onProgress?: (p: CibaProgress) => void;
  /** Short text shown on the e-CPS app (CIBA `binding_message`). */
  bindingMessage?: string;
  /** CIBA `requested_expiry`, in seconds. */
  requestedExpirySeconds?: number;
}

export interface PscClient {
  loginWithBrowser(opts?: BrowserLoginOptions): Promise<PscTokens>;
  loginWithCiba(loginHint: string, opts?: CibaLoginOptions): Promise<PscTokens>;
  /** `previous` keeps the ID token / subject when the response carries no new ID token. */
  refresh(refreshToken: string, previous?: PscTokens): Promise<PscTokens>;
  userinfo(accessToken: string, expectedSub: string): Promise<Record<string, unknown>>;
  endSessionUrl(idToken: string): Promise<string | null>;
  /** Best effort; no-op when PSC advertises no revocation endpoint. */
  revoke(token: string): Promise<void>;
}

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
const DISCOVERY_PATH = '/.well-known/wallet-openid-configuration';

function isLoopbackHttp(issuer: URL): boolean {
  return issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
}

function cancelled(): AppError {
  return new AppError('UNAUTHENTICATED', 'Connexion Pro Santé Connect annulée.', { reason: 'cancelled' });
}

export function createPscClient(config: PscConfig, deps: PscClientDeps): PscClient {
  const log = (deps.logger ?? silentLogger).child('psc');
  const now = deps.now ?? Date.now;
  const scope = config.scope ?? 'openid scope_all';
  const acrValues = config.acrValues ?? DEFAULT_MINIMUM_ACR;
  const minimumAcr = acrValues.split(' ')[0] || DEFAULT_MINIMUM_ACR;
  const loginTimeoutMs = config.loginTimeoutMs ?? 5 * 60_000;
  const timeoutSeconds = config.requestTimeoutSeconds ?? 30;

  let issuerUrl: URL;
  try {
    issuerUrl = new URL(config.issuer);
  } catch {
    throw new AppError('VALIDATION', 'Adresse de Pro Santé Connect invalide dans la configuration.', { issuer: config.issuer });
  }
  const insecure = issuerUrl.protocol === 'http:';
  if (insecure && !(config.allowInsecureLoopback && isLoopbackHttp(issuerUrl))) {
    throw new AppError('VALIDATION', 'Pro Santé Connect doit être joint en HTTPS (http n\'est admis que pour le bac à sable local).', { issuer: config.issuer });
  }
  if (issuerUrl.protocol !== 'https:' && !insecure) {
    throw new AppError('VALIDATION', 'Adresse de Pro Santé Connect invalide dans la configuration.', { issuer: config.issuer });
  }

  let configuration: Promise<oidc.Configuration> | undefined;

  async function discover(): Promise<oidc.Configuration> {
    const resolved = await resolveClientAuth(config.clientAuth);
    const url = `${config.issuer.replace(/\/$/, '')}${DISCOVERY_PATH}`;
    let metadata: oidc.ServerMetadata;
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutSeconds * 1000), redirect: 'error' });
      if (!res.ok) throw new AppError('REMOTE_SERVICE', `Pro Santé Connect : document de configuration indisponible (HTTP ${res.status}).`, { status: res.status });
      metadata = (await res.json()) as oidc.ServerMetadata;
    } catch (err) {
      throw err instanceof SyntaxError
        ? new AppError('REMOTE_SERVICE', 'Pro Santé Connect : document de configuration illisible.')
        : toPscAppError(err, 'discovery');
    }
    // Same check as standard discovery: the document must describe the configured issuer.
    if (metadata.issuer !== config.issuer) {
      throw new AppError('REMOTE_SERVICE', 'Pro Santé Connect : l\'émetteur annoncé ne correspond pas à la configuration.', {
        expected: config.issuer,
        received: metadata.issuer,
      });
    }
    const cfg = new oidc.Configuration(metadata, config.clientId, resolved.metadata, resolved.auth);
    cfg.timeout = timeoutSeconds;
    if (resolved.fetch) cfg[oidc.customFetch] = resolved.fetch;
    // Plain http only reaches this point for a loopback sandbox issuer (checked in createPscClient).
    if (insecure) oidc.allowInsecureRequests(cfg);
    return cfg;
  }

  function getConfiguration(): Promise<oidc.Configuration> {
    configuration ??= discover().catch((err: unknown) => {
      configuration = undefined;
      throw err;
    });
    return configuration;
  }

  function toTokens(res: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, previous?: PscTokens): PscTokens {
    const claims = res.claims();
    if (!claims && !previous) {
      throw new AppError('UNAUTHENTICATED', 'Pro Santé Connect n\'a pas renvoyé de jeton d\'identité.');
    }
    const acr = typeof claims?.acr === 'string' ? claims.acr : claims ? undefined : previous?.acr;
    assertAcr(acr, minimumAcr);
    const subject = claims?.sub ?? previous!.subject;
    if (previous && subject !== previous.subject) {
      throw new AppError('UNAUTHENTICATED', 'Pro Santé Connect a renvoyé une identité différente lors du renouvellement.');
    }
    const obtainedAt = now();
    const refreshToken = res.refresh_token ?? previous?.refreshToken;
    const authTime = typeof claims?.auth_time === 'number' ? claims.auth_time : previous?.authTime;
    return {
      accessToken: res.access_token,
      ...(refreshToken ? { refreshToken } : {}),
      idToken: res.id_token ?? previous!.idToken,
      tokenType: res.token_type,
      ...(res.scope ? { scope: res.scope } : {}),
      obtainedAt,
      expiresAt: obtainedAt + (typeof res.expires_in === 'number' ? res.expires_in : 60) * 1000,
      subject,
      acr: acr!,
      ...(authTime !== undefined ? { authTime } : {}),
    };
  }

  async function loginWithBrowser(opts: BrowserLoginOptions = {}): Promise<PscTokens> {
    if (opts.signal?.aborted) throw cancelled();
    const cfg = await getConfiguration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const receiver = await startLoopbackReceiver();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const authorizationUrl = oidc.buildAuthorizationUrl(cfg, {
        redirect_uri: receiver.redirectUri,
        response_type: 'code',
        scope,
        acr_values: acrValues,
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        ...(opts.forceLogin ? { prompt: 'login' } : {}),
        ...(opts.loginHint ? { login_hint: opts.loginHint } : {}),
      });
      log.info('Connexion Pro Santé Connect par navigateur', { redirectUri: receiver.redirectUri });
      const stop = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new AppError('TIMEOUT', 'La connexion Pro Santé Connect n\'a pas été terminée à temps. Veuillez recommencer.')), loginTimeoutMs);
        timer.unref();
        onAbort = () => reject(cancelled());
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([deps.openExternal(authorizationUrl.href), stop]);
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AppError('INTERNAL', 'Impossible d\'ouvrir le navigateur pour la connexion Pro Santé Connect.');
      }
      const callback = await Promise.race([receiver.callback, stop]);
      try {
        const res = await oidc.authorizationCodeGrant(cfg, callback.url, {
          pkceCodeVerifier: codeVerifier,
          expectedState: state,
          expectedNonce: nonce,
          idTokenExpected: true,
        });
        const tokens = toTokens(res);
        callback.respond({ ok: true });
        log.info('Connexion Pro Santé Connect réussie', { method: 'navigateur', sub: tokens.subject, acr: tokens.acr });
        return tokens;
      } catch (err) {
        const appError = toPscAppError(err, 'authorization_code');
        callback.respond({ ok: false, message: appError.message });
        throw appError;
      }
    } catch (err) {
      const appError = toPscAppError(err, 'authorization_code');
      log.warn('Échec de la connexion Pro Santé Connect', { method: 'navigateur', code: appError.code, details: appError.details });
      throw appError;
    } finally {
      clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      await receiver.close();
    }
  }

  async function loginWithCiba(loginHint: string, opts: CibaLoginOptions = {}): Promise<PscTokens> {
    const started = now();
    try {
      if (opts.signal?.aborted) throw cancelled();
      const cfg = await getConfiguration();
      if (!cfg.serverMetadata().backchannel_authentication_endpoint) {
        throw new AppError('REMOTE_SERVICE', 'Pro Santé Connect ne propose pas la connexion par notification e-CPS.');
      }
      const init = await oidc.initiateBackchannelAuthentication(cfg, {
        scope,
        login_hint: loginHint,
        acr_values: acrValues,
        ...(opts.bindingMessage ? { binding_message: opts.bindingMessage } : {}),
        ...(opts.requestedExpirySeconds ? { requested_expiry: String(opts.requestedExpirySeconds) } : {}),
      });
      log.info('Demande de connexion e-CPS envoyée', { loginHint, expiresIn: init.expires_in });
      const deadline = started + init.expires_in * 1000;
      let intervalMs = typeof init.interval === 'number' ? init.interval * 1000 : (config.cibaDefaultIntervalMs ?? 5000);
      for (;;) {
        await sleep(Math.min(intervalMs, Math.max(0, deadline - now())), opts.signal);
        try {
          const res = await oidc.genericGrantRequest(cfg, CIBA_GRANT, { auth_req_id: init.auth_req_id });
          const tokens = toTokens(res);
          log.info('Connexion Pro Santé Connect réussie', { method: 'e-CPS', sub: tokens.subject, acr: tokens.acr });
          return tokens;
        } catch (err) {
          if (!(err instanceof oidc.ResponseBodyError)) throw err;
          if (err.error === 'authorization_pending' || err.error === 'slow_down') {
            if (err.error === 'slow_down') intervalMs += 5000;
            if (now() >= deadline) throw cibaExpired();
            opts.onProgress?.({ status: err.error === 'slow_down' ? 'slow_down' : 'pending', elapsedMs: now() - started });
            continue;
          }
          if (err.error === 'expired_token') throw cibaExpired();
          if (err.error === 'access_denied') {
            throw new AppError('UNAUTHENTICATED', 'Connexion refusée sur l\'application e-CPS ou la carte CPS.', { reason: 'denied' });
          }
          throw err;
        }
      }
    } catch (err) {
      const appError = toPscAppError(err, 'ciba');
      log.warn('Échec de la connexion Pro Santé Connect', { method: 'e-CPS', code: appError.code, details: appError.details });
      throw appError;
    }
  }

  async function refresh(refreshToken: string, previous?: PscTokens): Promise<PscTokens> {
    try {
      const cfg = await getConfiguration();
      const res = await oidc.refreshTokenGrant(cfg, refreshToken);
      // Without rotation the server sends no new refresh token and the current one stays valid.
      return { ...toTokens(res, previous), refreshToken: res.refresh_token ?? refreshToken };
    } catch (err) {
      const appError = toPscAppError(err, 'refresh');
      log.warn('Échec du renouvellement Pro Santé Connect', { code: appError.code, details: appError.details });
      throw appError;
    }
  }

  async function userinfo(accessToken: string, expectedSub: string): Promise<Record<string, unknown>> {
    try {
      const cfg = await getConfiguration();
      return await oidc.fetchUserInfo(cfg, accessToken, expectedSub) as Record<string, unknown>;
    } catch (err) {
      throw toPscAppError(err, 'userinfo');
    }
  }

  async function endSessionUrl(idToken: string): Promise<string | null> {
    const cfg = await getConfiguration();
    if (!cfg.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, client_id: config.clientId }).href;
  }

  async function revoke(token: string): Promise<void> {
    try {
      const cfg = await getConfiguration();
      if (!cfg.serverMetadata().revocation_endpoint) return;
      await oidc.tokenRevocation(cfg, token);
    } catch (err) {
      log.warn('Révocation Pro Santé Connect impossible', { code: toPscAppError(err, 'revocation').code });
    }
  }

  return { loginWithBrowser, loginWithCiba, refresh, userinfo, endSessionUrl, revoke };
}

function cibaExpired(): AppError {
  return new AppError('TIMEOUT', 'La demande de connexion sur l\'application e-CPS a expiré sans validation. Veuillez recommencer.', { reason: 'expired' });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
