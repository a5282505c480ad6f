import { resolve } from 'node:path';
import { defaultDataDir } from '../paths';
import { createRegQueryRegistry } from '../services/config/registry';
import { loadConfiguration, practiceDataDir } from '../services/config/sources';

/**
 * The store every `lgc` command works on: `--data-dir DIR` exactly when given (scripts, tests),
 * otherwise the same folder the application uses (training data kept apart from production).
 */
export async function resolveDataDir(explicit: string | undefined): Promise<string> {
  if (explicit) return resolve(explicit);
  const userData = defaultDataDir();
  const loaded = await loadConfiguration({ userDataDir: userData, registry: createRegQueryRegistry() });
  return practiceDataDir(userData, loaded.problems.length ? null : loaded.config);
}
