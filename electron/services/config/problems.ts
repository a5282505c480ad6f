import { z } from 'zod';
import { AppError } from '../../../shared/errors';

/** Where a configuration value came from, highest precedence first. */
export type ConfigSource = 'policy' | 'machine' | 'user' | 'default';

/** One thing wrong with the configuration, for the French error screen and `lgc config check`. */
export interface ConfigProblem {
  /** Dotted path of the key (`psc.clientAuth.secretRef`, `mssante.mailboxes.0.address`); `(fichier)` for the file itself. */
  key: string;
  source: ConfigSource;
  /** French. */
  message: string;
  /** The file or registry key the value came from, when known. */
  location?: string;
}

export const FILE_KEY = '(fichier)';

const TYPE_NAMES: Record<string, string> = {
  string: 'texte',
  number: 'nombre',
  int: 'nombre entier',
  boolean: 'booléen (true ou false)',
  array: 'liste',
  object: 'objet',
};

const french = z.locales.fr().localeError;

const LOOKS_SECRET = /secret|password|passphrase|motdepasse|mot_de_passe|token|privatekey$|^key$|pem$/i;

function received(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'liste';
  return TYPE_NAMES[typeof input] ?? typeof input;
}

/** French messages for the issues our schema can raise (custom messages win). */
export const frenchConfigErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'valeur obligatoire manquante';
      return `${TYPE_NAMES[issue.expected] ?? issue.expected} attendu, ${received(issue.input)} reçu`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'valeur obligatoire (texte vide)';
      return `valeur trop petite (minimum ${String(issue.minimum)})`;
    case 'too_big':
      return `valeur trop grande (maximum ${String(issue.maximum)})`;
    case 'unrecognized_keys':
      return 'clé inconnue';
    default:
      return french(issue);
  }
};

/** Parses with French messages. */
export function parseFrench<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(value, { error: frenchConfigErrorMap }) as z.ZodSafeParseResult<z.output<S>>;
}

/** Dotted path + French message per issue; an unknown key is reported at its own path. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          key: [...base, key].join('.'),
          message: LOOKS_SECRET.test(key)
            ? 'clé inconnue — un secret en clair est refusé : donnez une référence (env:NOM, file:/chemin/absolu ou safeStorage:nom)'
            : 'clé inconnue',
        });
      }
    } else {
      out.push({ key: base.length ? base.join('.') : FILE_KEY, message: issue.message });
    }
  }
  return out;
}

/** Lines `clé : message` (with the source file) for an error screen or a log. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.key} : ${p.message}${p.location ? ` (${p.location})` : ''}`).join('\n');
}

/** The error the application raises when it cannot start on this configuration. */
export function configurationError(problems: readonly ConfigProblem[]): AppError {
  return new AppError('VALIDATION', `Configuration du poste invalide :\n${formatProblems(problems)}`, { problems });
}
