import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PracticeConfig } from '../../electron/services/config/practice-config';
import {
  createSafeStorageSecrets,
  createSecretResolver,
  parseSecretRef,
  resolveDmpCertificate,
  resolvePscClientAuth,
} from '../../electron/services/config/secrets';

const dir = mkdtempSync(join(tmpdir(), 'lgc-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Stand-in for Electron's safeStorage: reversible, and not the plain text.
const encrypt = (plain: string) => Buffer.from(Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a));
const decrypt = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ 0x5a)).toString('utf8');

const basePsc: PracticeConfig['psc'] = { issuer: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet', clientId: 'c', allowInsecureLoopback: false };

describe('secret references', () => {
  it('parses the three schemes and nothing else', () => {
    expect(parseSecretRef('env:LGC_PSC_SECRET')).toEqual({ scheme: 'env', target: 'LGC_PSC_SECRET' });
    expect(parseSecretRef('file:/etc/lgc-segur/psc.secret')).toEqual({ scheme: 'file', target: '/etc/lgc-segur/psc.secret' });
    expect(parseSecretRef('safeStorage:psc')).toEqual({ scheme: 'safeStorage', target: 'psc' });
    expect(parseSecretRef('s3cr3t')).toBeNull();
  });

  it('resolves env, file (trailing newline dropped) and safeStorage references', async () => {
    const file = join(dir, 'psc.secret');
    writeFileSync(file, 'depuis-un-fichier\r\n');
    const store = createSafeStorageSecrets({ dir: join(dir, 'coffre'), encrypt, decrypt });
    await store.write('psc', 'depuis-le-coffre');
    expect(readFileSync(join(dir, 'coffre', 'psc.secret')).toString('utf8')).not.toContain('depuis-le-coffre');
    const resolver = createSecretResolver({ env: { LGC_PSC_SECRET: 'depuis-env' }, safeStorage: (name) => store.read(name) });
    expect(await resolver.resolve('env:LGC_PSC_SECRET')).toBe('depuis-env');
    expect(await resolver.resolve(`file:${file}`)).toBe('depuis-un-fichier');
    expect(await resolver.resolve('safeStorage:psc')).toBe('depuis-le-coffre');
    expect(await store.read('absent')).toBeNull();
  });

  it('fails in French, naming the key but never a value', async () => {
    const resolver = createSecretResolver({ env: { EMPTY: '' } });
    await expect(resolver.resolve('env:LGC_ABSENT', 'psc.clientAuth.secretRef')).rejects.toMatchObject({
      code: 'VALIDATION',
      message: "Secret introuvable (psc.clientAuth.secretRef) : variable d'environnement LGC_ABSENT absente ou vide.",
    });
    await expect(resolver.resolve('env:EMPTY')).rejects.toThrow(/absente ou vide/);
    await expect(resolver.resolve(`file:${join(dir, 'nope')}`)).rejects.toThrow(/fichier .*nope absent/);
    await expect(resolver.resolve('safeStorage:psc')).rejects.toThrow(/stockage chiffré indisponible/);
    await expect(createSecretResolver({ safeStorage: async () => null }).resolve('safeStorage:psc')).rejects.toThrow(/aucune valeur « psc »/);
    await expect(resolver.resolve('s3cr3t-en-clair')).rejects.toThrow(/Référence de secret invalide/);
    await expect(createSafeStorageSecrets({ dir, encrypt, decrypt }).write('../evade', 'x')).rejects.toThrow(/Nom de secret invalide/);
  });

  it('turns the configured PSC client authentication into what the PSC client expects', async () => {
    const key = join(dir, 'org.key.pem');
    const cert = join(dir, 'org.crt.pem');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n');
    const resolver = createSecretResolver({ env: { LGC_PSC_SECRET: 'abc' } });

    expect(await resolvePscClientAuth({ ...basePsc, clientAuth: { method: 'client_secret_basic', secretRef: 'env:LGC_PSC_SECRET' } }, resolver)).toEqual({
      method: 'client_secret_basic',
      secret: 'abc',
    });
    expect(await resolvePscClientAuth({ ...basePsc, clientAuth: { method: 'private_key_jwt', privateKeyRef: `file:${key}`, kid: 'k1' } }, resolver)).toEqual({
      method: 'private_key_jwt',
      privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----',
      kid: 'k1',
    });
    const tls = await resolvePscClientAuth({ ...basePsc, clientAuth: { method: 'tls_client_auth', certificateRef: `file:${cert}`, privateKeyRef: `file:${key}` } }, resolver);
    expect(tls).toMatchObject({ method: 'tls_client_auth', certPem: expect.stringContaining('BEGIN CERTIFICATE'), keyPem: expect.stringContaining('BEGIN PRIVATE KEY') });
    // The training sandbox's in-memory secret.
    expect(await resolvePscClientAuth({ ...basePsc, clientSecret: 'sandbox' }, resolver)).toEqual({ method: 'client_secret_basic', secret: 'sandbox' });
    await expect(resolvePscClientAuth(basePsc, resolver)).rejects.toThrow(/psc.clientAuth manquant/);

    const config = { dmp: { endpoint: 'https://dmp.exemple.fr/', structureCertificate: { certificateRef: `file:${cert}`, privateKeyRef: 'env:LGC_ABSENT' } } } as PracticeConfig;
    await expect(resolveDmpCertificate(config, resolver)).rejects.toThrow('Secret introuvable (dmp.structureCertificate.privateKeyRef)');
    expect(await resolveDmpCertificate({ ...config, dmp: undefined }, resolver)).toBeNull();
  });
});
