import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { startPscStandIn, type PscStandIn } from '../../electron/sandbox/psc-provider';
import { createPscClient, type CibaProgress, type PscConfig } from '../../electron/services/auth/psc-client';
import { toProfessional } from '../../electron/services/auth/professional';

const CIBA = 'urn:openid:params:grant-type:ciba';
const DR_MARTIN = '810003456786';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

let psc: PscStandIn;

beforeAll(async () => {
  psc = await startPscStandIn({
    cibaIntervalSeconds: 1,
    clients: [{
      client_id: 'lgc-cabinet-pkjwt',
      application_type: 'native',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks: { keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'cabinet-1', use: 'sig', alg: 'RS256' }] },
      grant_types: [CIBA, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      backchannel_token_delivery_mode: 'poll',
    }],
  });
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
    ...overrides,
  };
}

const noBrowser = { openExternal: async () => { throw new Error('no browser in CIBA tests'); } };

async function pendingFor(loginHint: string): Promise<string> {
  let id: string | undefined;
  await expect.poll(() => (id = psc.pendingCibaRequests().find((r) => r.loginHint === loginHint)?.authReqId), { timeout: 5000 }).toBeTruthy();
  return id!;
}

async function rejectionOf(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('Pro Santé Connect: CIBA (push to e-CPS)', () => {
  it('logs in once the professional approves on the e-CPS app, reporting progress meanwhile', async () => {
    const progress: CibaProgress[] = [];
    const client = createPscClient(config(), noBrowser);
    const login = client.loginWithCiba(DR_MARTIN, { onProgress: (p) => progress.push(p) });
    const id = await pendingFor(DR_MARTIN);
    await expect.poll(() => progress.length, { timeout: 5000 }).toBeGreaterThan(0);
    psc.approveCiba(id);
    const tokens = await login;
    expect(tokens.acr).toBe('eidas1');
    expect(tokens.refreshToken).toBeTruthy();
    expect(progress[0]).toMatchObject({ status: 'pending' });
    const pro = toProfessional(await client.userinfo(tokens.accessToken, tokens.subject));
    expect(pro).toMatchObject({ nationalId: DR_MARTIN, role: 'doctor' });
  });

  it('reports a refusal on the e-CPS app', async () => {
    const client = createPscClient(config(), noBrowser);
    const login = rejectionOf(client.loginWithCiba(DR_MARTIN));
    psc.denyCiba(await pendingFor(DR_MARTIN));
    const err = await login;
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/refusée/);
    expect(err.details).toMatchObject({ reason: 'denied' });
  });

  it('times out when nobody answers before the requested expiry', async () => {
    const client = createPscClient(config(), noBrowser);
    const login = rejectionOf(client.loginWithCiba(DR_MARTIN, { requestedExpirySeconds: 2 }));
    const id = await pendingFor(DR_MARTIN);
    const err = await login;
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/expiré/);
    psc.denyCiba(id);
  });

  it('can be cancelled from the application', async () => {
    const controller = new AbortController();
    const client = createPscClient(config(), noBrowser);
    const login = rejectionOf(client.loginWithCiba(DR_MARTIN, { signal: controller.signal }));
    const id = await pendingFor(DR_MARTIN);
    controller.abort();
    const err = await login;
    expect(err.details).toMatchObject({ reason: 'cancelled' });
    psc.denyCiba(id);
  });

  it('reports an unknown national id', async () => {
    const client = createPscClient(config(), noBrowser);
    const err = await rejectionOf(client.loginWithCiba('899999999999'));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/inconnu/);
  });

  it('refuses a CIBA login whose acr is below eidas1', async () => {
    psc.setAcr('1');
    try {
      const client = createPscClient(config(), noBrowser);
      const login = rejectionOf(client.loginWithCiba(DR_MARTIN));
      psc.approveCiba(await pendingFor(DR_MARTIN));
      const err = await login;
      expect(err.code).toBe('UNAUTHENTICATED');
      expect(err.message).toMatch(/insuffisant/);
    } finally {
      psc.setAcr('eidas1');
    }
  });

  it('authenticates the practice with private_key_jwt', async () => {
    const privateKeyPem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const client = createPscClient(config({
      clientId: 'lgc-cabinet-pkjwt',
      clientAuth: { method: 'private_key_jwt', privateKeyPem, kid: 'cabinet-1' },
    }), noBrowser);
    const login = client.loginWithCiba(DR_MARTIN);
    psc.approveCiba(await pendingFor(DR_MARTIN));
    const tokens = await login;
    const refreshed = await client.refresh(tokens.refreshToken!, tokens);
    expect(refreshed.subject).toBe(tokens.subject);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
  });

  it('reports wrong client credentials as a configuration problem', async () => {
    const client = createPscClient(config({ clientAuth: { method: 'client_secret_basic', secret: 'wrong' } }), noBrowser);
    const err = await rejectionOf(client.loginWithCiba(DR_MARTIN));
    expect(err.code).toBe('REMOTE_SERVICE');
    expect(err.message).toMatch(/configuration du cabinet/);
  });
});
