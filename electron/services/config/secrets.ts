import { readFile as fsReadFile, writeFile as fsWriteFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import type { PscClientAuthConfig } from '../auth/client-auth';
import { isSecretRef, type PracticeConfig } from './practice-config';

/**
 * Secret references of the rollout configuration: `env:NAME` (environment variable of the
 * process), `file:/absolute/path` (a file readable by the user, e.g. a PEM protected by ACLs),
 * `safeStorage:name` (a value encrypted for the Windows/macOS user by Electron's safeStorage;
 * the shell injects the decryption). Values are resolved when used and never logged.
 */

export type SecretScheme = 'env' | 'file' | 'safeStorage';

export interface ParsedSecretRef {
  scheme: SecretScheme;
  target: string;
}

export function parseSecretRef(ref: string): ParsedSecretRef | null {
  if (!isSecretRef(ref)) return null;
  const colon = ref.indexOf(':');
  return { scheme: ref.slice(0, colon) as SecretScheme, target: ref.slice(colon + 1) };
}

export interface SecretResolver {
  /** The value behind `ref`; `key` (dotted path) names it in the French error. */
  resolve(ref: string, key?: string): Promise<string>;
}

export interface SecretResolverDeps {
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => Promise<string>;
  /** Decrypted value of a safeStorage entry, null when there is none (the shell provides it). */
  safeStorage?: (name: string) => Promise<string | null>;
}

function missing(key: string | undefined, what: string): AppError {
  return new AppError('VALIDATION', `Secret introuvable${key ? ` (${key})` : ''} : ${what}.`, key ? { key } : undefined);
}

export function createSecretResolver(deps: SecretResolverDeps = {}): SecretResolver {
  const env = deps.env ?? process.env;
  const readFile = deps.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  return {
    async resolve(ref, key) {
      const parsed = parseSecretRef(ref);
      if (!parsed) throw new AppError('VALIDATION', `Référence de secret invalide${key ? ` (${key})` : ''} : env:NOM, file:/chemin/absolu ou safeStorage:nom attendu.`);
      let value: string | null | undefined;
      switch (parsed.scheme) {
        case 'env':
          value = env[parsed.target];
          if (!value) throw missing(key, `variable d'environnement ${parsed.target} absente ou vide`);
          break;
        case 'file':
          try {
            value = await readFile(parsed.target);
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            throw missing(key, `fichier ${parsed.target} ${code === 'ENOENT' ? 'absent' : code === 'EACCES' || code === 'EPERM' ? 'non lisible (droits)' : 'illisible'}`);
          }
          break;
        case 'safeStorage':
          if (!deps.safeStorage) throw missing(key, `stockage chiffré indisponible ici pour « ${parsed.target} »`);
          value = await deps.safeStorage(parsed.target);
          if (value === null) throw missing(key, `aucune valeur « ${parsed.target} » dans le stockage chiffré de cet utilisateur`);
          break;
      }
      const trimmed = value.replace(/\s+$/, '');
      if (!trimmed) throw missing(key, `valeur vide derrière ${parsed.scheme}:${parsed.target}`);
      return trimmed;
    },
  };
}

/**
 * safeStorage entries as files `<dir>/<name>.secret` holding the encrypted bytes; `encrypt` /
 * `decrypt` are Electron's `safeStorage.encryptString` / `decryptString`, injected by the shell.
 */
export function createSafeStorageSecrets(options: {
  dir: string;
  encrypt: (plain: string) => Buffer;
  decrypt: (encrypted: Buffer) => string;
}) {
  const fileOf = (name: string) => {
    if (!isSecretRef(`safeStorage:${name}`)) throw new AppError('VALIDATION', `Nom de secret invalide : « ${name} ».`);
    return join(options.dir, `${name}.secret`);
  };
  return {
    async read(name: string): Promise<string | null> {
      try {
        return options.decrypt(await fsReadFile(fileOf(name)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(name: string, value: string): Promise<void> {
      await mkdir(options.dir, { recursive: true });
      await fsWriteFile(fileOf(name), options.encrypt(value), { mode: 0o600 });
    },
  };
}

/** The PSC client authentication the PSC client expects, with the referenced values resolved. */
export async function resolvePscClientAuth(psc: PracticeConfig['psc'], resolver: SecretResolver): Promise<PscClientAuthConfig> {
  const auth = psc.clientAuth;
  if (!auth) {
    if (psc.clientSecret !== undefined) return { method: 'client_secret_basic', secret: psc.clientSecret };
    throw new AppError('VALIDATION', 'Configuration incomplète : psc.clientAuth manquant.');
  }
  switch (auth.method) {
    case 'client_secret_basic':
      return { method: 'client_secret_basic', secret: await resolver.resolve(auth.secretRef, 'psc.clientAuth.secretRef') };
    case 'private_key_jwt': {
      const privateKeyPem = await resolver.resolve(auth.privateKeyRef, 'psc.clientAuth.privateKeyRef');
      return auth.kid ? { method: 'private_key_jwt', privateKeyPem, kid: auth.kid } : { method: 'private_key_jwt', privateKeyPem };
    }
    case 'tls_client_auth':
      return {
        method: 'tls_client_auth',
        certPem: await resolver.resolve(auth.certificateRef, 'psc.clientAuth.certificateRef'),
        keyPem: await resolver.resolve(auth.privateKeyRef, 'psc.clientAuth.privateKeyRef'),
      };
  }
}

/** The DMP structure certificate (TLS client authentication), or null when none is configured. */
export async function resolveDmpCertificate(
  config: PracticeConfig,
  resolver: SecretResolver,
): Promise<{ certPem: string; keyPem: string } | null> {
  const pair = config.dmp?.structureCertificate;
  if (!pair) return null;
  return {
    certPem: await resolver.resolve(pair.certificateRef, 'dmp.structureCertificate.certificateRef'),
    keyPem: await resolver.resolve(pair.privateKeyRef, 'dmp.structureCertificate.privateKeyRef'),
  };
}
