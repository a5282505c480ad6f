import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
// @ts-ignore oidc-provider ships no type declarations; the small surface used here is typed below.
import OidcProviderModule, { errors as oidcErrors } from 'oidc-provider';
import { silentLogger, type Logger } from '../services/log/logger';
import {
  TEST_PROFESSIONALS,
  findTestProfessional,
  mssanteLocalPart,
  pscClaimsFor,
  type TestProfessional,
} from './psc-professionals';

/**
 * Local stand-in for Pro Santé Connect (Keycloak realm `esante-wallet`), built on oidc-provider.
 * Same paths, scopes, claims and acr as the real service so the desktop client runs unchanged.
 * Sandbox only: in-memory storage, fictitious professionals, no real authentication.
 */

export const PSC_REALM_PATH = '/auth/realms/esante-wallet';
const OIDC_PATH = '/protocol/openid-connect';
const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

export interface PscStandInOptions {
  /** 0 (default) = random free port. */
  port?: number;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** `interval` announced in CIBA responses (default 5 s, like the CIBA default). */
  cibaIntervalSeconds?: number;
  logger?: Logger;
  /** Extra clients, in oidc-provider client metadata format (e.g. a private_key_jwt client). */
  clients?: Record<string, unknown>[];
  clientId?: string;
  clientSecret?: string;
}

export interface PscStandIn {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Credentials for mail servers validating PSC access tokens by introspection. */
  introspection: { url: string; clientId: string; clientSecret: string };
  professionals: readonly TestProfessional[];
  approveCiba(authReqId?: string): void;
  denyCiba(authReqId?: string): void;
  pendingCibaRequests(): { authReqId: string; loginHint: string }[];
  /** acr put in the next authentications (default `eidas1`). */
  setAcr(acr: string): void;
  /** Revokes every grant and token: the next refresh fails with invalid_grant. */
  revokeAllGrants(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Minimal typing of the oidc-provider surface used here.

interface GrantLike {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface InteractionLike {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, string | undefined>;
  session?: { accountId?: string };
  grantId?: string;
}
interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(mw: (ctx: KoaCtx, next: () => Promise<void>) => Promise<void>): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionLike>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: unknown, opts?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  backchannelResult(request: string, result: unknown, opts?: { acr?: string; amr?: string[]; authTime?: number }): Promise<void>;
  Grant: { new (init: { accountId: string; clientId: string }): GrantLike; find(id: string): Promise<GrantLike | undefined> };
  Client: { find(id: string): Promise<{ clientName?: string; clientId: string } | undefined> };
}
interface KoaCtx {
  status: number;
  body: unknown;
  oidc?: { route?: string };
}
type ProviderCtor = new (issuer: string, config: Record<string, unknown>) => ProviderLike;
const Provider = OidcProviderModule as unknown as ProviderCtor;
const errors = oidcErrors as { AccessDenied: new (description?: string) => Error };

// ---------------------------------------------------------------------------------------------
// Per-instance in-memory adapter (the library's default one is shared by every instance).

const GRACE_SECONDS = 60;

interface Entry { payload: Record<string, unknown>; expiresAt: number }

function createStore() {
  const entries = new Map<string, Entry>();
  const live = (key: string) => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return e.payload;
  };
  const adapter = (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + (expiresIn + GRACE_SECONDS) * 1000 : Infinity;
        entries.set(key(id), { payload, expiresAt });
      },
      async find(id: string) { return live(key(id)); },
      async findByUid(uid: string) {
        for (const [k, e] of entries) if (k.startsWith(`${model}:`) && e.payload.uid === uid) return live(k);
        return undefined;
      },
      async findByUserCode(userCode: string) {
        for (const [k, e] of entries) if (k.startsWith(`${model}:`) && e.payload.userCode === userCode) return live(k);
        return undefined;
      },
      async consume(id: string) {
        const p = live(key(id));
        if (p) p.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) { entries.delete(key(id)); },
      async revokeByGrantId(grantId: string) {
        for (const [k, e] of entries) if (e.payload.grantId === grantId) entries.delete(k);
      },
    };
  };
  const revokeAll = () => {
    for (const k of [...entries.keys()]) {
      if (/^(Grant|AccessToken|RefreshToken|AuthorizationCode|BackchannelAuthenticationRequest):/.test(k)) entries.delete(k);
    }
  };
  return { adapter, revokeAll };
}

// ---------------------------------------------------------------------------------------------
// HTML (French, no external assets).

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f3f5f9;color:#1e1e1e;margin:0}
main{max-width:560px;margin:40px auto;background:#fff;padding:24px 32px;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.4em;color:#000091}.sandbox{background:#fff4d6;padding:8px 12px;border-radius:4px;font-size:.9em}
form.card{margin:12px 0}form.card button{width:100%;text-align:left;padding:12px;border:1px solid #c5c5e6;border-radius:6px;background:#f8f8ff;cursor:pointer;font-size:1em}
form.card button:hover{background:#e8e8ff}small{color:#555}.cancel button{background:none;border:none;color:#000091;text-decoration:underline;cursor:pointer}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${esc(title)}</title>`
    + `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>`
    + `<body><main>${body}</main></body></html>`;
}

function loginPage(uid: string, clientName: string): string {
  const base = `${PSC_REALM_PATH}/interaction/${encodeURIComponent(uid)}`;
  const cards = TEST_PROFESSIONALS.map((p) => `<form class="card" method="post" action="${esc(base)}/login">`
    + `<input type="hidden" name="card" value="${esc(p.id)}">`
    + `<button type="submit"><strong>${esc(p.givenName)} ${esc(p.familyName)}</strong> — ${esc(p.professionLabel)}<br>`
    + `<small>${esc(p.card)} · identifiant national ${esc(p.nationalId)}</small></button></form>`).join('');
  return page('Pro Santé Connect — connexion', `<h1>Pro Santé Connect</h1>`
    + `<p class="sandbox">Environnement de test (bac à sable) : aucune authentification réelle. `
    + `Choisissez une carte de test pour vous connecter à <strong>${esc(clientName)}</strong>.</p>${cards}`
    + `<form class="cancel" method="post" action="${esc(base)}/abort"><button type="submit">Annuler la connexion</button></form>`);
}

// ---------------------------------------------------------------------------------------------

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

interface PendingCiba { authReqId: string; loginHint: string; accountId: string; clientId: string; scope: string }

export async function startPscStandIn(options: PscStandInOptions = {}): Promise<PscStandIn> {
  const log = (options.logger ?? silentLogger).child('psc-sandbox');
  const accessTtl = options.accessTokenTtlSeconds ?? 300;
  const refreshTtl = options.refreshTokenTtlSeconds ?? 10 * 3600;
  const cibaInterval = options.cibaIntervalSeconds ?? 5;
  const clientId = options.clientId ?? 'lgc-segur-sandbox';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const introspectionClientId = 'mssante-operator-sandbox';
  const introspectionSecret = randomBytes(24).toString('base64url');
  let currentAcr = 'eidas1';
  const pendingCiba = new Map<string, PendingCiba>();
  const inFlight = new Set<Promise<unknown>>();
  const store = createStore();

  let provider: ProviderLike | undefined;
  let oidcHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('Erreur du bac à sable PSC', { err });
      if (!res.headersSent) sendHtml(res, 500, page('Erreur', '<h1>Erreur interne du bac à sable</h1>'));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const issuer = `${origin}${PSC_REALM_PATH}`;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  const account = (p: TestProfessional) => ({
    accountId: p.sub,
    async claims() { return pscClaimsFor(p); },
  });

  const html = (title: string, body: string) => page(title, body);

  provider = new Provider(issuer, {
    adapter: store.adapter,
    jwks: { keys: [{ ...signingKey, kid: `psc-sandbox-${port}`, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        client_name: 'LGC Ségur',
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token', CIBA_GRANT],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_token_delivery_mode: 'poll',
      },
      {
        client_id: introspectionClientId,
        client_secret: introspectionSecret,
        client_name: 'Opérateur MSSanté (bac à sable)',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      ...(options.clients ?? []),
    ],
    scopes: ['openid', 'offline_access', 'scope_all'],
    claims: {
      openid: ['sub'],
      scope_all: ['SubjectNameID', 'given_name', 'family_name', 'preferred_username', 'otherIds', 'SubjectRefPro', 'email'],
      acr: null,
      auth_time: null,
      sid: null,
    },
    // PSC puts the professional claims in the ID token too.
    conformIdTokenClaims: false,
    acrValues: ['eidas1'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    routes: {
      authorization: `${OIDC_PATH}/auth`,
      token: `${OIDC_PATH}/token`,
      userinfo: `${OIDC_PATH}/userinfo`,
      end_session: `${OIDC_PATH}/logout`,
      jwks: `${OIDC_PATH}/certs`,
      introspection: `${OIDC_PATH}/token/introspect`,
      revocation: `${OIDC_PATH}/revoke`,
      backchannel_authentication: `${OIDC_PATH}/ext/ciba/auth`,
      pushed_authorization_request: `${OIDC_PATH}/ext/par/request`,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${PSC_REALM_PATH}/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => {
      const p = findTestProfessional({ sub });
      return p ? account(p) : undefined;
    },
    // The desktop client gets a refresh token without offline_access / consent screen, like PSC.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    extraTokenClaims: async (_ctx: unknown, token: { kind: string; accountId?: string }) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const p = findTestProfessional({ sub: token.accountId });
      return p ? { username: mssanteLocalPart(p) } : undefined;
    },
    ttl: {
      AccessToken: () => accessTtl,
      IdToken: () => accessTtl,
      AuthorizationCode: () => 60,
      RefreshToken: () => refreshTtl,
      Session: () => refreshTtl,
      Grant: () => refreshTtl,
      Interaction: () => 600,
      BackchannelAuthenticationRequest: (ctx?: { oidc?: { params?: { requested_expiry?: string } } }) => {
        const requested = Number(ctx?.oidc?.params?.requested_expiry);
        return Number.isFinite(requested) && requested > 0 ? Math.min(600, requested) : 120;
      },
    },
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
          client.clientId === introspectionClientId || client.clientId === token.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => client.clientId === token.clientId,
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: { body: string }, form: string) => {
          ctx.body = html('Déconnexion', `<h1>Pro Santé Connect</h1><p>Voulez-vous vous déconnecter de Pro Santé Connect ?</p>${form}`
            + `<p><button type="submit" form="op.logoutForm" value="yes" name="logout" autofocus>Oui, me déconnecter</button> `
            + `<button type="submit" form="op.logoutForm">Non, rester connecté</button></p>`);
        },
        postLogoutSuccessSource: async (ctx: { body: string }) => {
          ctx.body = html('Déconnecté', '<h1>Pro Santé Connect</h1><p>Vous êtes déconnecté. Vous pouvez fermer cette page.</p>');
        },
      },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        processLoginHint: async (_ctx: unknown, loginHint: string) => findTestProfessional({ nationalId: loginHint })?.sub,
        processLoginHintToken: async () => undefined,
        validateBindingMessage: async () => {},
        validateRequestContext: async () => {},
        verifyUserCode: async () => {},
        triggerAuthenticationDevice: async (
          ctx: { oidc: { params: { login_hint?: string } } },
          request: { jti: string; accountId: string; clientId: string; scope: string },
        ) => {
          pendingCiba.set(request.jti, {
            authReqId: request.jti,
            loginHint: ctx.oidc.params.login_hint ?? '',
            accountId: request.accountId,
            clientId: request.clientId,
            scope: request.scope,
          });
          log.info('Demande CIBA en attente de validation', { loginHint: ctx.oidc.params.login_hint });
        },
      },
    },
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = html('Erreur', `<h1>Pro Santé Connect</h1><p>La demande n'a pas pu aboutir.</p>`
        + Object.entries(out).map(([k, v]) => `<p><strong>${esc(k)}</strong> : ${esc(v)}</p>`).join(''));
    },
  });

  // CIBA responses carry no polling interval by default; announce one.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'backchannel_authentication' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      (ctx.body as Record<string, unknown>).interval = cibaInterval;
    }
  });
  provider.on('server_error', (_ctx, err) => log.error('Erreur oidc-provider', { err }));
  oidcHandler = provider.callback();

  async function finishInteraction(req: IncomingMessage, res: ServerResponse, p: TestProfessional | null): Promise<void> {
    const op = provider!;
    const details = await op.interactionDetails(req, res);
    if (!p) {
      await op.interactionFinished(req, res, { error: 'access_denied', error_description: "Connexion annulée par l'utilisateur" }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new op.Grant({ accountId: p.sub, clientId: details.params.client_id ?? '' });
    grant.addOIDCScope(details.params.scope ?? 'openid');
    const grantId = await grant.save();
    log.info('Connexion par carte de test', { professional: p.id, acr: currentAcr });
    await op.interactionFinished(req, res, {
      login: { accountId: p.sub, acr: currentAcr, amr: ['mfa'], remember: false },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  async function autoConsent(req: IncomingMessage, res: ServerResponse, details: InteractionLike): Promise<void> {
    const op = provider!;
    const accountId = details.session?.accountId ?? '';
    const existing = details.grantId ? await op.Grant.find(details.grantId) : undefined;
    const grant = existing ?? new op.Grant({ accountId, clientId: details.params.client_id ?? '' });
    grant.addOIDCScope(details.params.scope ?? 'openid');
    const missingClaims = details.prompt.details.missingOIDCClaims;
    if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims as string[]);
    const grantId = await grant.save();
    await op.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (!url.pathname.startsWith(PSC_REALM_PATH)) {
      sendHtml(res, 404, page('Introuvable', '<h1>Page introuvable</h1>'));
      return;
    }
    const rest = url.pathname.slice(PSC_REALM_PATH.length) || '/';
    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/.exec(rest);
    if (interaction) {
      const action = interaction[2];
      if (!action && req.method === 'GET') {
        const details = await provider!.interactionDetails(req, res).catch(() => undefined);
        if (!details) {
          sendHtml(res, 400, page('Session expirée', '<h1>Session de connexion introuvable ou expirée</h1><p>Relancez la connexion depuis le logiciel.</p>'));
          return;
        }
        if (details.prompt.name === 'consent') {
          await autoConsent(req, res, details);
          return;
        }
        const client = await provider!.Client.find(details.params.client_id ?? '');
        sendHtml(res, 200, loginPage(details.uid, client?.clientName ?? client?.clientId ?? 'le logiciel'));
        return;
      }
      if (action && req.method === 'POST') {
        const form = await readForm(req);
        if (action === 'abort') {
          await finishInteraction(req, res, null);
          return;
        }
        const p = findTestProfessional({ id: form.get('card') ?? '' });
        if (!p) {
          sendHtml(res, 400, page('Carte inconnue', '<h1>Carte de test inconnue</h1>'));
          return;
        }
        await finishInteraction(req, res, p);
        return;
      }
      res.statusCode = 405;
      res.end();
      return;
    }
    // PSC's non-standard discovery document name; the standard one is served by oidc-provider.
    const path = rest === '/.well-known/wallet-openid-configuration' ? '/.well-known/openid-configuration' : rest;
    const routed = req as IncomingMessage & { originalUrl?: string };
    routed.originalUrl = `${PSC_REALM_PATH}${path}${url.search}`;
    routed.url = `${path}${url.search}`;
    oidcHandler!(routed, res);
  }

  function track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => log.error('Échec de la réponse CIBA', { err })).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  function takePending(authReqId?: string): PendingCiba {
    const id = authReqId ?? pendingCiba.keys().next().value;
    const pending = id === undefined ? undefined : pendingCiba.get(id);
    if (!pending) throw new Error(authReqId ? `Demande CIBA inconnue : ${authReqId}` : 'Aucune demande CIBA en attente');
    pendingCiba.delete(pending.authReqId);
    return pending;
  }

  return {
    issuer,
    clientId,
    clientSecret,
    introspection: { url: `${issuer}${OIDC_PATH}/token/introspect`, clientId: introspectionClientId, clientSecret: introspectionSecret },
    professionals: TEST_PROFESSIONALS,
    approveCiba(authReqId) {
      const pending = takePending(authReqId);
      const acr = currentAcr;
      track((async () => {
        const grant = new provider!.Grant({ accountId: pending.accountId, clientId: pending.clientId });
        grant.addOIDCScope(pending.scope);
        await grant.save();
        await provider!.backchannelResult(pending.authReqId, grant, { acr, amr: ['mfa'], authTime: Math.floor(Date.now() / 1000) });
      })());
    },
    denyCiba(authReqId) {
      const pending = takePending(authReqId);
      track(provider!.backchannelResult(pending.authReqId, new errors.AccessDenied('Demande refusée sur l\'application e-CPS')));
    },
    pendingCibaRequests() {
      return [...pendingCiba.values()].map(({ authReqId, loginHint }) => ({ authReqId, loginHint }));
    },
    setAcr(acr) { currentAcr = acr; },
    async revokeAllGrants() {
      await Promise.all(inFlight);
      store.revokeAll();
    },
    async close() {
      await Promise.all(inFlight);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface ScriptedLoginResult {
  /** Last URL fetched (the loopback redirect when the login went through). */
  finalUrl: string;
  status: number;
  body: string;
}

/**
 * Plays the tester in a browser: follows the authorization URL, picks the test card `cardId`
 * on the stand-in's login page and follows the redirects down to the client's redirect URI.
 * Cookies are kept for the provider's origin only.
 */
export async function scriptedBrowserLogin(authorizationUrl: string, cardId: string | null): Promise<ScriptedLoginResult> {
  const opOrigin = new URL(authorizationUrl).origin;
  const jar = new Map<string, string>();
  let url = authorizationUrl;
  let method = 'GET';
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const sameOrigin = new URL(url).origin === opOrigin;
    const headers: Record<string, string> = {};
    if (sameOrigin && jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { method, body, headers, redirect: 'manual' });
    if (sameOrigin) {
      for (const c of res.headers.getSetCookie()) {
        const [pair = ''] = c.split(';');
        const eq = pair.indexOf('=');
        if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url).href;
      method = 'GET';
      body = undefined;
      continue;
    }
    const text = await res.text();
    const forms = sameOrigin ? [...text.matchAll(/<form class="card" method="post" action="([^"]+)"><input type="hidden" name="card" value="([^"]+)">/g)] : [];
    if (forms.length) {
      const decode = (s: string) => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
      if (cardId === null) {
        const abort = /<form class="cancel" method="post" action="([^"]+)">/.exec(text);
        if (!abort?.[1]) throw new Error('formulaire d\'annulation absent');
        url = new URL(decode(abort[1]), url).href;
        body = new URLSearchParams();
      } else {
        const form = forms.find((m) => decode(m[2] ?? '') === cardId);
        if (!form?.[1]) throw new Error(`carte de test absente de la page : ${cardId}`);
        url = new URL(decode(form[1]), url).href;
        body = new URLSearchParams({ card: cardId });
      }
      method = 'POST';
      continue;
    }
    return { finalUrl: url, status: res.status, body: text };
  }
  throw new Error('trop de redirections');
}
