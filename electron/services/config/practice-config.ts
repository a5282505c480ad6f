import { posix, win32 } from 'node:path';
import { z } from 'zod';

/**
 * What makes the software talk to real national services instead of the training sandbox.
 *
 * One schema for the runtime object and for the rollout files (machine file, Windows policies,
 * user settings — see `sources.ts`): every object is strict, so an unknown key is reported with
 * its dotted path. Files never carry secrets, only references (`secrets.ts`):
 * `env:NAME`, `file:/absolute/path` or `safeStorage:name`.
 *
 * Compatibility: the training sandbox (`electron/sandbox/run.ts`) builds this object in memory
 * with a plain `psc.clientSecret` for its local stand-in; that field is refused anywhere else.
 * Fields added for issue #8 are optional in the type; `CONFIG_DEFAULTS` says what applies when
 * they are absent (`loadConfiguration` fills them in).
 */

export const SECRET_REF_MESSAGE =
  'référence attendue (env:NOM, file:/chemin/absolu ou safeStorage:nom) — un secret en clair est refusé';

const FINESS = /^(\d{2}|2A|2B)\d{7}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_STORAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** True when `value` is a well-formed secret reference. */
export function isSecretRef(value: string): boolean {
  const colon = value.indexOf(':');
  if (colon < 0) return false;
  const scheme = value.slice(0, colon);
  const target = value.slice(colon + 1);
  if (scheme === 'env') return ENV_NAME.test(target);
  if (scheme === 'file') return target.length > 1 && (posix.isAbsolute(target) || win32.isAbsolute(target));
  if (scheme === 'safeStorage') return SAFE_STORAGE_NAME.test(target);
  return false;
}

/** A reference to a secret (or a certificate) resolved at use time, never the value itself. */
export const secretRefSchema = z.string().refine(isSecretRef, { message: SECRET_REF_MESSAGE });

const absolutePath = z
  .string()
  .refine((p) => posix.isAbsolute(p) || win32.isAbsolute(p), { message: 'chemin absolu attendu' });

const hostname = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/, { message: "nom d'hôte attendu (ex. imap.operateur.mssante.fr)" });

const port = z.number().int({ message: 'numéro de port entier attendu' }).min(1).max(65535);

const httpUrl = z.url({ protocol: /^https?$/, message: 'adresse http(s) attendue' });

/** National id of a person: `8` + RPPS for professionals, structure-based ids for staff (`…/SEC0001`). */
export const nationalIdSchema = z
  .string()
  .regex(/^[0-9][0-9A-Za-z/]{4,39}$/, { message: 'identifiant national attendu (ex. 810001234567)' });

/** Luhn check used by SIRET (with La Poste's exception, SIREN 356000000: digit sum multiple of 5). */
export function isValidSiret(siret: string): boolean {
  if (!/^\d{14}$/.test(siret)) return false;
  const digits = [...siret].map(Number);
  if (siret.startsWith('356000000')) return digits.reduce((a, b) => a + b, 0) % 5 === 0;
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = digits[13 - i]!;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const certificatePairSchema = z.strictObject({
  certificateRef: secretRefSchema,
  privateKeyRef: secretRefSchema,
});

export const pscClientAuthSchema = z.discriminatedUnion(
  'method',
  [
    z.strictObject({ method: z.literal('client_secret_basic'), secretRef: secretRefSchema }),
    z.strictObject({ method: z.literal('private_key_jwt'), privateKeyRef: secretRefSchema, kid: z.string().min(1).optional() }),
    z.strictObject({ method: z.literal('tls_client_auth'), certificateRef: secretRefSchema, privateKeyRef: secretRefSchema }),
  ],
  { error: 'méthode attendue : client_secret_basic, private_key_jwt ou tls_client_auth' },
);

export const mailboxSchema = z.strictObject({
  address: z.email({ message: 'adresse de messagerie attendue' }),
  kind: z.enum(['personal', 'organisational'], { message: 'type attendu : personal ou organisational' }),
  label: z.string().min(1),
  ownerNationalId: nationalIdSchema.optional(),
  delegatedTo: z.array(nationalIdSchema).optional(),
});

export const mssanteSchema = z.strictObject({
  imap: z.strictObject({ host: hostname, port: port.default(143) }),
  smtp: z.strictObject({ host: hostname, port: port.default(587) }),
  /** PEM bundle of the IGC-Santé chain for the operator's servers (default: `caBundle`). */
  caBundle: absolutePath.optional(),
  mailboxes: z.array(mailboxSchema).default([]),
});

export const practiceConfigSchema = z
  .strictObject({
    mode: z.enum(['training', 'production'], { message: 'mode attendu : training ou production' }),
    practice: z.strictObject({
      name: z.string().min(1),
      /** National structure id (`1`+FINESS, `3`+SIRET, …) as carried by PSC and the DMP. */
      structureId: z.string().regex(/^[0-9][0-9A-Za-z/]{1,40}$/, { message: 'identifiant national de structure attendu (ex. 381234567800013)' }),
      finess: z.string().regex(FINESS, { message: 'numéro FINESS attendu (9 caractères)' }).optional(),
      siret: z.string().refine(isValidSiret, { message: 'numéro SIRET invalide (14 chiffres, clé de contrôle)' }).optional(),
      /** Sector of activity (`SA07` cabinet individuel, `SA05` centre de santé…). */
      facilityTypeCode: z.string().regex(/^SA\d{2}$/, { message: "code de secteur d'activité attendu (ex. SA07)" }).default('SA07'),
    }),
    psc: z.strictObject({
      issuer: httpUrl,
      clientId: z.string().min(1),
      /** Training sandbox only (local stand-in, built in memory). Refused in files. */
      clientSecret: z.string().optional(),
      clientAuth: pscClientAuthSchema.optional(),
      /** Allows an http://127.0.0.1 issuer: training stand-in only. */
      allowInsecureLoopback: z.boolean().default(false),
    }),
    mssante: mssanteSchema.optional(),
    insi: z.strictObject({ endpoint: httpUrl }).optional(),
    dmp: z.strictObject({ endpoint: httpUrl, structureCertificate: certificatePairSchema.optional() }).optional(),
    /** PEM bundle of the IGC-Santé certification chain, for every national service. */
    caBundle: absolutePath.optional(),
    updates: z
      .strictObject({
        channel: z.enum(['stable', 'beta'], { message: 'canal attendu : stable ou beta' }).optional(),
        /** `true` wins over `channel`: no update check at all (updates pushed by the IT provider). */
        disabled: z.boolean().optional(),
        feedUrl: httpUrl.optional(),
      })
      .optional(),
    /** Inactivity lock delay, minutes. A user may only shorten it. */
    lockAfterMinutes: z.number().min(0.05).max(24 * 60).default(120),
    /** Received documents: integrated into the record directly, or after a confirmation. */
    autoIntegration: z.enum(['direct', 'confirm'], { message: 'valeur attendue : direct ou confirm' }).optional(),
    /** Documents prepared by the secretary need a doctor's validation before sending. */
    doctorValidationRequired: z.boolean().optional(),
    ui: z
      .strictObject({
        theme: z.enum(['system', 'light', 'dark'], { message: 'thème attendu : system, light ou dark' }).optional(),
        textSize: z.enum(['normal', 'large'], { message: 'taille attendue : normal ou large' }).optional(),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    const production = config.mode === 'production';
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const loopback = (url: string) => {
      try {
        const host = new URL(url).hostname;
        return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
      } catch {
        return false;
      }
    };
    const needsHttps = (url: string | undefined, path: (string | number)[]) => {
      if (!url || url.startsWith('https:')) return;
      if (production) issue(path, 'https obligatoire en production');
      else if (!loopback(url)) issue(path, 'https obligatoire (http seulement sur 127.0.0.1 en formation)');
    };

    const { psc } = config;
    if (psc.clientSecret !== undefined) {
      const standIn = !production && psc.allowInsecureLoopback && loopback(psc.issuer);
      if (!standIn) issue(['psc', 'clientSecret'], 'secret en clair interdit : décrivez psc.clientAuth avec une référence (env:NOM, file:/chemin/absolu ou safeStorage:nom)');
      else if (psc.clientAuth) issue(['psc', 'clientSecret'], 'à ne pas donner avec psc.clientAuth');
    } else if (!psc.clientAuth) {
      issue(['psc', 'clientAuth'], 'authentification du logiciel auprès de Pro Santé Connect obligatoire');
    }
    if (psc.allowInsecureLoopback && production) issue(['psc', 'allowInsecureLoopback'], 'interdit en production');
    needsHttps(psc.issuer, ['psc', 'issuer']);
    needsHttps(config.insi?.endpoint, ['insi', 'endpoint']);
    needsHttps(config.dmp?.endpoint, ['dmp', 'endpoint']);
    if (config.updates?.feedUrl && !config.updates.feedUrl.startsWith('https:')) issue(['updates', 'feedUrl'], 'https obligatoire');

    const { practice } = config;
    if (production && !practice.finess && !practice.siret) issue(['practice', 'siret'], 'numéro FINESS ou SIRET obligatoire en production');
    if (practice.siret && isValidSiret(practice.siret) && practice.structureId.startsWith('3') && practice.structureId !== `3${practice.siret}`) {
      issue(['practice', 'structureId'], 'ne correspond pas au SIRET (attendu : 3 suivi du SIRET)');
    }
    if (practice.finess && FINESS.test(practice.finess) && practice.structureId.startsWith('1') && practice.structureId !== `1${practice.finess}`) {
      issue(['practice', 'structureId'], 'ne correspond pas au FINESS (attendu : 1 suivi du FINESS)');
    }

    if (production && config.dmp && !config.dmp.structureCertificate) {
      issue(['dmp', 'structureCertificate'], 'certificat de structure obligatoire en production (authentification TLS au DMP)');
    }

    const seen = new Set<string>();
    config.mssante?.mailboxes.forEach((box, i) => {
      const address = box.address.toLowerCase();
      if (seen.has(address)) issue(['mssante', 'mailboxes', i, 'address'], 'boîte déjà déclarée');
      seen.add(address);
      if (production && !address.endsWith('.mssante.fr')) issue(['mssante', 'mailboxes', i, 'address'], 'adresse MSSanté attendue (domaine en .mssante.fr)');
      if (box.kind === 'personal' && !box.ownerNationalId) issue(['mssante', 'mailboxes', i, 'ownerNationalId'], 'titulaire obligatoire pour une boîte personnelle');
    });
  });

export type PracticeConfig = z.infer<typeof practiceConfigSchema>;
export type PracticeConfigInput = z.input<typeof practiceConfigSchema>;
export type PscClientAuthRef = z.infer<typeof pscClientAuthSchema>;
export type MailboxConfig = z.infer<typeof mailboxSchema>;
export type MssanteConfig = z.infer<typeof mssanteSchema>;

/** What applies when a key is absent from every source (origin `default`). */
export const CONFIG_DEFAULTS = {
  practice: { facilityTypeCode: 'SA07' },
  psc: { allowInsecureLoopback: false },
  updates: { channel: 'stable', disabled: false },
  lockAfterMinutes: 120,
  autoIntegration: 'confirm',
  doctorValidationRequired: true,
} as const;

/** Per-user settings (`<userData>/settings.json`): only these keys; the lock delay may only be shortened. */
export const userSettingsSchema = z.strictObject({
  ui: practiceConfigSchema.shape.ui,
  lockAfterMinutes: z.number().min(0.05).max(24 * 60).optional(),
});

export type UserSettings = z.infer<typeof userSettingsSchema>;

/** Top-level keys a user may set in `settings.json`. */
export const USER_LEVEL_KEYS = ['ui', 'lockAfterMinutes'] as const;
