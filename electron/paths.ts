import { homedir } from 'node:os';
import { join } from 'node:path';

/** Same folder Electron's `app.getPath('userData')` gives for our product name, so CLI and app agree. */
export const PRODUCT_NAME = 'LGC Ségur';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.LGC_DATA_DIR) return env.LGC_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME);
}
