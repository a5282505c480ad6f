import { readFile as fsReadFile } from 'node:fs/promises';
import { join, posix, win32 } from 'node:path';
import { z } from 'zod';
import { PRODUCT_NAME } from '../../paths';
import {
  CONFIG_DEFAULTS,
  USER_LEVEL_KEYS,
  practiceConfigSchema,
  userSettingsSchema,
  type PracticeConfig,
  type UserSettings,
} from './practice-config';
import { FILE_KEY, describeIssues, parseFrench, type ConfigProblem, type ConfigSource } from './problems';
import { POLICY_KEY, createRegQueryRegistry, type RegistryProvider } from './registry';

const updatesSchema = practiceConfigSchema.shape.updates.unwrap();
export type UpdatesSettings = { channel: 'stable' | 'beta'; disabled: boolean; feedUrl?: string };

export type { ConfigProblem, ConfigSource } from './problems';
export { POLICY_KEY, createRegQueryRegistry, createStubRegistry, type RegistryProvider } from './registry';

/**
 * Where the practice configuration comes from, highest precedence first:
 *   1. Windows policies  HKLM\SOFTWARE\Policies\LGC Ségur  (GPO / Intune; win32 only)
 *   2. machine file      %ProgramData%\LGC Ségur\practice.json · /Library/Application Support/LGC Ségur/practice.json · /etc/lgc-segur/practice.json
 *   3. user settings     <userData>/settings.json (only `ui` and a shorter `lockAfterMinutes`)
 *   4. defaults          CONFIG_DEFAULTS
 * Objects are deep-merged, arrays (and `psc.clientAuth`) replaced whole. No machine file and no
 * `mode` among the policies → no practice configuration: the training sandbox.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Machine-wide practice file, written by the installer or the IT provider (administrators only). */
export function machineConfigPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') {
    const programData = env.ProgramData ?? env.PROGRAMDATA ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData';
    return win32.join(programData, PRODUCT_NAME, 'practice.json');
  }
  if (platform === 'darwin') return posix.join('/Library/Application Support', PRODUCT_NAME, 'practice.json');
  return '/etc/lgc-segur/practice.json';
}

export function userSettingsPath(userDataDir: string): string {
  return join(userDataDir, 'settings.json');
}

/**
 * Proposed data folder per mode, so that training data never mixes with patients' data:
 * `<userData>/formation/` for the training sandbox, `<userData>/` otherwise.
 */
export function practiceDataDir(userDataDir: string, config: Pick<PracticeConfig, 'mode'> | null): string {
  return config && config.mode === 'production' ? userDataDir : join(userDataDir, 'formation');
}

/** Returns the text, or null/undefined (or throws ENOENT) when the file does not exist. */
export type ConfigFileReader = (path: string) => Promise<string | null | undefined> | string | null | undefined;

export interface LoadConfigurationOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  userDataDir: string;
  /** Windows policies; default `reg query` on win32. Not consulted on other platforms. */
  registry?: RegistryProvider;
  readFile?: ConfigFileReader;
  /** Replaces the machine file path (`lgc --config`, tests). */
  machineFile?: string;
}

export interface LoadedConfiguration {
  /** null: no practice configuration (training sandbox) — or problems, see `problems`. */
  config: PracticeConfig | null;
  /** Dotted key of every value of `config` → where it came from. */
  origins: Record<string, ConfigSource>;
  /** Non-empty: show the French error screen (do not fall back to the training sandbox). */
  problems: ConfigProblem[];
  /** The valid part of the user's settings (also meaningful in the training sandbox). */
  userSettings: UserSettings;
  /** Update policy of the installed software (also for a training workstation). */
  updates: UpdatesSettings;
  locations: { policy: string; machine: string; user: string };
}

const ATOMIC_PATHS = new Set(['psc.clientAuth']);

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readText(read: ConfigFileReader, path: string): Promise<{ text: string | null; error?: string }> {
  try {
    const text = await read(path);
    return { text: text ?? null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { text: null };
    if (code === 'EACCES' || code === 'EPERM') return { text: null, error: 'fichier non lisible (droits insuffisants)' };
    if (code === 'EISDIR') return { text: null, error: 'un fichier est attendu, pas un dossier' };
    return { text: null, error: `fichier illisible (${(error as Error).message})` };
  }
}

function describeJsonError(text: string, message: string): string {
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  const position = /position (\d+)/.exec(message);
  if (lineCol) return `JSON invalide (ligne ${lineCol[1]}, colonne ${lineCol[2]})`;
  if (position) {
    const before = text.replace(/^\uFEFF/, '').slice(0, Number(position[1]));
    const line = before.split('\n').length;
    return `JSON invalide (ligne ${line}, colonne ${before.length - before.lastIndexOf('\n')})`;
  }
  if (/end of (JSON )?input/i.test(message)) return 'JSON incomplet (fin de fichier inattendue)';
  return 'JSON invalide';
}

/** Parses a JSON configuration text; the message is French. */
export function parseConfigJson(text: string): { value: JsonObject } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { error: describeJsonError(text, (error as Error).message) };
  }
  if (!isObject(value)) return { error: 'un objet JSON { … } est attendu' };
  return { value };
}

// --- Registry values → typed object --------------------------------------------------------

type JsonSchemaNode = { type?: string | string[]; const?: unknown; enum?: unknown[]; properties?: Record<string, JsonSchemaNode>; items?: JsonSchemaNode; oneOf?: JsonSchemaNode[]; anyOf?: JsonSchemaNode[] };
let inputJsonSchema: JsonSchemaNode | null = null;

/** JSON types the schema accepts at `path` (empty when the key is unknown). */
function expectedTypes(path: string[]): Set<string> {
  inputJsonSchema ??= z.toJSONSchema(practiceConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  let nodes: JsonSchemaNode[] = [inputJsonSchema];
  const expand = (list: JsonSchemaNode[]): JsonSchemaNode[] => list.flatMap((n) => (n.oneOf || n.anyOf ? expand([...(n.oneOf ?? []), ...(n.anyOf ?? [])]) : [n]));
  for (const segment of path) {
    nodes = expand(nodes).flatMap((n) => (n.properties?.[segment] ? [n.properties[segment]] : []));
  }
  const types = new Set<string>();
  for (const n of expand(nodes)) {
    if (Array.isArray(n.type)) n.type.forEach((t) => types.add(t));
    else if (n.type) types.add(n.type);
    else if (n.const !== undefined) types.add(typeof n.const);
    else if (n.enum) types.add('string');
  }
  return types;
}

/** Registry values are strings or numbers: turn them into what the schema expects at that key. */
export function coercePolicyValue(key: string, value: string | number): Json {
  const types = expectedTypes(key.split('.'));
  if (types.has('boolean')) {
    if (value === 1 || value === 0) return value === 1;
    if (typeof value === 'string' && /^(true|false|1|0)$/i.test(value.trim())) return /^(true|1)$/i.test(value.trim());
  }
  if ((types.has('number') || types.has('integer')) && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  if ((types.has('array') || types.has('object')) && typeof value === 'string') {
    try {
      return JSON.parse(value) as Json;
    } catch {
      return value;
    }
  }
  if (types.has('string') && typeof value === 'number') return String(value);
  return value;
}

/** `{ 'psc.clientId': 'x' }` → `{ psc: { clientId: 'x' } }`; a key both a value and a parent is a problem. */
export function unflatten(flat: Record<string, Json>): { value: JsonObject; conflicts: string[] } {
  const value: JsonObject = {};
  const conflicts: string[] = [];
  for (const [dotted, leaf] of Object.entries(flat).sort(([a], [b]) => a.length - b.length)) {
    const parts = dotted.split('.').filter(Boolean);
    let node = value;
    let ok = true;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined) node = node[part] = {};
      else if (isObject(next)) node = next;
      else {
        ok = false;
        break;
      }
    }
    const last = parts.at(-1);
    if (!ok || last === undefined || (last in node && isObject(node[last]))) conflicts.push(dotted);
    else node[last] = leaf;
  }
  return { value, conflicts };
}

// --- Merge with origins ----------------------------------------------------------------------

interface Merged {
  value: JsonObject;
  /** Every node (object or leaf) → the last (highest) source that set something there. */
  nodes: Map<string, ConfigSource>;
  leaves: Map<string, ConfigSource>;
}

function mergeLayer(target: JsonObject, layer: JsonObject, source: ConfigSource, merged: Merged, prefix: string[] = []): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = [...prefix, key];
    const dotted = path.join('.');
    merged.nodes.set(dotted, source);
    if (isObject(value) && isObject(target[key]) && !ATOMIC_PATHS.has(dotted)) {
      mergeLayer(target[key] as JsonObject, value, source, merged, path);
      continue;
    }
    // Replaced whole: forget what lower layers said below this key.
    for (const k of [...merged.leaves.keys()]) if (k.startsWith(`${dotted}.`)) merged.leaves.delete(k);
    for (const k of [...merged.nodes.keys()]) if (k.startsWith(`${dotted}.`)) merged.nodes.delete(k);
    target[key] = structuredClone(value);
    markLeaves(value, source, merged, path);
  }
}

function markLeaves(value: Json, source: ConfigSource, merged: Merged, path: string[]): void {
  const dotted = path.join('.');
  merged.nodes.set(dotted, source);
  if (isObject(value)) for (const [k, v] of Object.entries(value)) markLeaves(v, source, merged, [...path, k]);
  else merged.leaves.set(dotted, source);
}

function leafPaths(value: unknown, prefix: string[] = []): string[] {
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : leafPaths(v, [...prefix, k])));
  return [prefix.join('.')];
}

// --- Loading ---------------------------------------------------------------------------------

export async function loadConfiguration(options: LoadConfigurationOptions): Promise<LoadedConfiguration> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const read = options.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  const locations = {
    policy: POLICY_KEY,
    machine: options.machineFile ?? machineConfigPath(platform, env),
    user: userSettingsPath(options.userDataDir),
  };
  const problems: ConfigProblem[] = [];
  const problem = (source: ConfigSource, key: string, message: string) =>
    problems.push({ key, source, message, ...(source === 'default' ? {} : { location: locations[source] }) });

  // 1. Windows policies.
  let policy: JsonObject = {};
  if (platform === 'win32') {
    const registry = options.registry ?? createRegQueryRegistry({ platform, env });
    try {
      const flat = registry.readValues(POLICY_KEY);
      const typed = Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, coercePolicyValue(k, v)]));
      const { value, conflicts } = unflatten(typed);
      for (const key of conflicts) problem('policy', key, 'clé en conflit avec une autre stratégie (valeur et sous-clé à la fois)');
      policy = value;
    } catch (error) {
      problem('policy', FILE_KEY, `stratégies illisibles dans le registre (${(error as Error).message})`);
    }
  }

  // 2. Machine file.
  let machine: JsonObject | null = null;
  const machineText = await readText(read, locations.machine);
  if (machineText.error) problem('machine', FILE_KEY, machineText.error);
  else if (machineText.text !== null) {
    const parsed = parseConfigJson(machineText.text);
    if ('error' in parsed) problem('machine', FILE_KEY, parsed.error);
    else machine = parsed.value;
  }

  // 3. User settings: only user-level keys; a bad key is reported and ignored.
  const userSettings: JsonObject = {};
  const userText = await readText(read, locations.user);
  if (userText.error) problem('user', FILE_KEY, userText.error);
  else if (userText.text !== null) {
    const parsed = parseConfigJson(userText.text);
    if ('error' in parsed) problem('user', FILE_KEY, parsed.error);
    else {
      const practiceKeys = Object.keys(practiceConfigSchema.shape);
      for (const [key, value] of Object.entries(parsed.value)) {
        if ((USER_LEVEL_KEYS as readonly string[]).includes(key)) userSettings[key] = value;
        else if (practiceKeys.includes(key)) problem('user', key, 'réservé à la configuration du poste (practice.json) ou aux stratégies, ignoré ici');
        else problem('user', key, 'clé inconnue');
      }
      const checked = parseFrench(userSettingsSchema, userSettings);
      if (!checked.success) {
        for (const { key, message } of describeIssues(checked.error.issues)) {
          problem('user', key, message);
          delete userSettings[key.split('.')[0]!];
        }
      }
    }
  }
  const validUserSettings = parseFrench(userSettingsSchema, userSettings);
  const user: UserSettings = validUserSettings.success ? validUserSettings.data : {};

  // Updates concern the installed software, configured workstation or not.
  const updatesLayers = [CONFIG_DEFAULTS.updates, machine?.updates, policy.updates].filter(isObject) as JsonObject[];
  const updatesParsed = parseFrench(updatesSchema, Object.assign({}, ...updatesLayers));
  const updates: UpdatesSettings = updatesParsed.success ? { ...CONFIG_DEFAULTS.updates, ...updatesParsed.data } : { ...CONFIG_DEFAULTS.updates };

  // A workstation is configured by a machine file or by policies giving the mode.
  const configured = machine !== null || 'mode' in policy;
  if (!configured) {
    if (!updatesParsed.success) for (const { key, message } of describeIssues(updatesParsed.error.issues)) problem('policy', `updates.${key}`, message);
    return { config: null, origins: {}, problems, userSettings: user, updates, locations };
  }
  if (problems.some((p) => p.source !== 'user')) {
    return { config: null, origins: {}, problems, userSettings: user, updates, locations };
  }

  // 4. Merge: defaults < user < machine < policy (the lock delay: the user may only shorten it).
  const merged: Merged = { value: {}, nodes: new Map(), leaves: new Map() };
  const { lockAfterMinutes: userLock, ...userRest } = userSettings;
  mergeLayer(merged.value, structuredClone(CONFIG_DEFAULTS) as unknown as JsonObject, 'default', merged);
  mergeLayer(merged.value, userRest, 'user', merged);
  if (machine) mergeLayer(merged.value, machine, 'machine', merged);
  mergeLayer(merged.value, policy, 'policy', merged);
  if (typeof userLock === 'number' && typeof merged.value.lockAfterMinutes === 'number' && userLock < merged.value.lockAfterMinutes) {
    mergeLayer(merged.value, { lockAfterMinutes: userLock }, 'user', merged);
  }

  // 5. Validate the result; each problem is attributed to the source of its key.
  const fallback: ConfigSource = machine ? 'machine' : 'policy';
  // The value's own source (or of the list / replaced-whole object holding it); a missing key
  // belongs in the machine file when there is one.
  const sourceOf = (key: string): ConfigSource => {
    const parts = key.split('.');
    for (let n = parts.length; n > 0; n--) {
      const prefix = parts.slice(0, n).join('.');
      const hit = merged.leaves.get(prefix) ?? (ATOMIC_PATHS.has(prefix) ? merged.nodes.get(prefix) : undefined);
      if (hit && hit !== 'default') return hit;
    }
    return fallback;
  };
  const parsed = parseFrench(practiceConfigSchema, merged.value);
  if (!parsed.success) {
    for (const { key, message } of describeIssues(parsed.error.issues)) {
      const source = key === FILE_KEY ? fallback : sourceOf(key);
      problem(source, key, message);
    }
    return { config: null, origins: {}, problems, userSettings: user, updates, locations };
  }

  const origins: Record<string, ConfigSource> = {};
  for (const key of leafPaths(parsed.data)) origins[key] = merged.leaves.get(key) ?? 'default';
  return { config: parsed.data, origins, problems, userSettings: user, updates: { ...CONFIG_DEFAULTS.updates, ...parsed.data.updates }, locations };
}

/** Validates one practice file on its own (`lgc config check`). */
export function checkPracticeFile(text: string): { config: PracticeConfig | null; problems: { key: string; message: string }[] } {
  const json = parseConfigJson(text);
  if ('error' in json) return { config: null, problems: [{ key: FILE_KEY, message: json.error }] };
  const parsed = parseFrench(practiceConfigSchema, json.value);
  if (parsed.success) return { config: parsed.data, problems: [] };
  return { config: null, problems: describeIssues(parsed.error.issues) };
}
