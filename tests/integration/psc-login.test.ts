import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { scriptedBrowserLogin, startPscStandIn, type PscStandIn, type ScriptedLoginResult } from '../../electron/sandbox/psc-provider';
import { createPscClient, type PscClient, type PscConfig } from '../../electron/services/auth/psc-client';
import { toProfessional } from '../../electron/services/auth/professional';
import { can } from '../../electron/services/auth/permissions';

let psc: PscStandIn;

beforeAll(async () => {
  psc = await startPscStandIn();
});

afterAll(async () => {
  await psc?.close();
});

function config(overrides: Partial<PscConfig> = {}): PscConfig {
  return {
    issuer: psc.issuer,
    clientId: psc.clientId,
    clientAuth: { method: 'client_secret_basic', secret: psc.clientSecret },
    allowInsecureLoopback: true,
    loginTimeoutMs: 10_000,
    ...overrides,
  };
}

/** A browser that picks `card` on the login page; `tamper` edits the authorization URL first. */
function browser(card: string | null, tamper?: (url: URL) => void) {
  const seen: { authorizationUrl?: URL; result?: ScriptedLoginResult } = {};
  const openExternal = async (href: string) => {
    const url = new URL(href);
    seen.authorizationUrl = new URL(href);
    tamper?.(url);
    // Like a real browser: opening returns at once, the user acts afterwards.
    void scriptedBrowserLogin(url.href, card).then((r) => { seen.result = r; }, () => {});
  };
  return { openExternal, seen };
}

async function rejectionOf(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('Pro Santé Connect stand-in: discovery', () => {
  it('serves the PSC discovery document and the standard one, with PSC paths', async () => {
    const wallet = await (await fetch(`${psc.issuer}/.well-known/wallet-openid-configuration`)).json() as Record<string, unknown>;
    const standard = await (await fetch(`${psc.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(wallet).toEqual(standard);
    expect(wallet.issuer).toBe(psc.issuer);
    expect(psc.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/realms\/esante-wallet$/);
    for (const [key, suffix] of [
      ['authorization_endpoint', 'auth'], ['token_endpoint', 'token'], ['userinfo_endpoint', 'userinfo'],
      ['end_session_endpoint', 'logout'], ['jwks_uri', 'certs'], ['introspection_endpoint', 'token/introspect'],
      ['backchannel_authentication_endpoint', 'ext/ciba/auth'],
    ] as const) {
      expect(wallet[key]).toBe(`${psc.issuer}/protocol/openid-connect/${suffix}`);
    }
    expect(wallet.acr_values_supported).toEqual(['eidas1']);
    expect(wallet.scopes_supported).toContain('scope_all');
    expect(wallet.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('refuses a plain-http issuer that is not loopback', () => {
    expect(() => createPscClient({ ...config(), issuer: 'http://psc.example.fr/auth/realms/esante-wallet' }, { openExternal: async () => {} }))
      .toThrow(AppError);
    expect(() => createPscClient({ ...config(), allowInsecureLoopback: false }, { openExternal: async () => {} })).toThrow(/HTTPS/);
  });
});

describe('Pro Santé Connect: browser login (code + PKCE, loopback redirect)', () => {
  it('logs a doctor in end to end, with PSC claims in userinfo and ID token', async () => {
    const b = browser('claire.martin');
    const client: PscClient = createPscClient(config(), { openExternal: b.openExternal });
    const tokens = await client.loginWithBrowser();

    const auth = b.seen.authorizationUrl!;
    expect(auth.searchParams.get('scope')).toBe('openid scope_all');
    expect(auth.searchParams.get('acr_values')).toBe('eidas1');
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('state')).toBeTruthy();
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    expect(auth.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    expect(tokens.acr).toBe('eidas1');
    expect(tokens.refreshToken).toBeTruthy();
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());
    const idClaims = JSON.parse(Buffer.from(tokens.idToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(idClaims.SubjectNameID).toBe('810003456786');
    expect(idClaims.SubjectRefPro).toBeTruthy();

    const info = await client.userinfo(tokens.accessToken, tokens.subject);
    expect(info).toMatchObject({ SubjectNameID: '810003456786', given_name: 'Claire', family_name: 'MARTIN', preferred_username: '810003456786' });
    const pro = toProfessional(info);
    expect(pro).toMatchObject({ role: 'doctor', rpps: '10003456786', professionCode: '10', savoirFaire: 'SM26', mssanteAddress: 'claire.martin@cabinet-demo.mssante.fr' });
    expect(pro.activities[0]).toMatchObject({ sectorCode: 'SA07' });
    expect(can(pro, 'dmp.send')).toBe(true);

    await expect.poll(() => b.seen.result?.body).toContain('revenir à l&#39;application');
    expect(b.seen.result?.status).toBe(200);
  });

  it('logs the secretary in under her own identity and maps her to the secretary role', async () => {
    const b = browser('sophie.durand');
    const client = createPscClient(config(), { openExternal: b.openExternal });
    const tokens = await client.loginWithBrowser();
    const pro = toProfessional(await client.userinfo(tokens.accessToken, tokens.subject));
    expect(pro.role).toBe('secretary');
    expect(pro.rpps).toBeUndefined();
    expect(pro.nationalId).toBe('599999999900017/SEC0001');
    expect(can(pro, 'mailbox.triage')).toBe(true);
    expect(can(pro, 'dmp.send')).toBe(false);
  });

  it('introspection gives mail servers the MSSanté local part as username', async () => {
    const b = browser('karim.benali');
    const tokens = await createPscClient(config(), { openExternal: b.openExternal }).loginWithBrowser();
    const res = await fetch(psc.introspection.url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${psc.introspection.clientId}:${psc.introspection.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: tokens.accessToken }),
    });
    const body = await res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ active: true, username: 'karim.benali', client_id: psc.clientId });
  });

  it('refuses a callback whose state does not match', async () => {
    const b = browser('claire.martin', (url) => url.searchParams.set('state', 'forged-state'));
    const client = createPscClient(config(), { openExternal: b.openExternal });
    const err = await rejectionOf(client.loginWithBrowser());
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(err.details)).toMatch(/state/);
    await expect.poll(() => b.seen.result?.status).toBe(400);
    expect(b.seen.result?.body).toContain('Connexion non aboutie');
  });

  it('refuses an ID token whose nonce does not match', async () => {
    const b = browser('claire.martin', (url) => url.searchParams.set('nonce', 'forged-nonce'));
    const client = createPscClient(config(), { openExternal: b.openExternal });
    const err = await rejectionOf(client.loginWithBrowser());
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(err.details)).toMatch(/nonce/);
  });

  it('refuses an ID token whose acr is below eidas1', async () => {
    psc.setAcr('1');
    try {
      const b = browser('claire.martin');
      const client = createPscClient(config(), { openExternal: b.openExternal });
      const err = await rejectionOf(client.loginWithBrowser());
      expect(err.code).toBe('UNAUTHENTICATED');
      expect(err.message).toMatch(/Niveau d'authentification insuffisant/);
      expect(err.details).toMatchObject({ acr: '1', minimum: 'eidas1' });
    } finally {
      psc.setAcr('eidas1');
    }
  });

  it('maps a login cancelled on the PSC page to a French error', async () => {
    const b = browser(null);
    const client = createPscClient(config(), { openExternal: b.openExternal });
    const err = await rejectionOf(client.loginWithBrowser());
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/refusée ou annulée/);
  });

  it('times out when the browser never comes back', async () => {
    const client = createPscClient(config({ loginTimeoutMs: 300 }), { openExternal: async () => {} });
    const err = await rejectionOf(client.loginWithBrowser());
    expect(err.code).toBe('TIMEOUT');
  });

  it('can be cancelled from the application', async () => {
    const controller = new AbortController();
    const client = createPscClient(config(), { openExternal: async () => { setTimeout(() => controller.abort(), 50); } });
    const err = await rejectionOf(client.loginWithBrowser({ signal: controller.signal }));
    expect(err.details).toMatchObject({ reason: 'cancelled' });
  });

  it('builds the end-session URL under the PSC logout path', async () => {
    const b = browser('claire.martin');
    const client = createPscClient(config(), { openExternal: b.openExternal });
    const tokens = await client.loginWithBrowser();
    const url = new URL((await client.endSessionUrl(tokens.idToken))!);
    expect(`${url.origin}${url.pathname}`).toBe(`${psc.issuer}/protocol/openid-connect/logout`);
    expect(url.searchParams.get('client_id')).toBe(psc.clientId);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/protocol/openid-connect/logout/confirm');
  });
});
