import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootApp } from '../boot';
import { startBrowserHost } from './http-host';

export interface ServeOptions {
  dataDir: string;
  /** The folder was given explicitly (--data-dir): the store lives there, as for every lgc command. */
  exactDataDir?: boolean;
  /** Practice configuration file (as the machine file would be); default: the usual sources. */
  configFile?: string;
  port?: number;
  open?: boolean;
  json?: boolean;
  staticDir?: string;
  /** Training sandbox CIBA auto-approval delay (tests set null to drive it). */
  autoApproveCibaAfterMs?: number | null;
}

/** Where the built renderer is, from the sources (dev, tests) or from the bundle (dist/electron). */
export function findRendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../dist/renderer'), resolve(here, '../renderer'), resolve(process.cwd(), 'dist/renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

function openInSystemBrowser(url: string): void {
  const opener = process.platform === 'win32' ? 'explorer' : process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No desktop here: the URL is printed anyway.
  }
}

/** Boots the services and serves them with the renderer on 127.0.0.1 (browser host). */
export async function serveBrowserHost(options: ServeOptions) {
  let host: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
  const booted = await bootApp({
    dataDir: options.dataDir,
    exactDataDir: options.exactDataDir ?? false,
    ...(options.configFile ? { configFile: options.configFile } : {}),
    host: 'browser',
    autoApproveCibaAfterMs: options.autoApproveCibaAfterMs,
    // In the browser host, the "system browser" is the browser the app already runs in.
    openExternal: async (url) => host?.openInPage(url),
  });
  host = await startBrowserHost({
    dispatch: booted.services.dispatch,
    events: booted.services.events,
    staticDir: options.staticDir ?? findRendererDir(),
    logger: booted.logger.child('host'),
    port: options.port ?? 0,
  });
  if (options.json) {
    process.stdout.write(JSON.stringify({ url: host.loginUrl, origin: host.origin, dataDir: booted.dataDir, mode: booted.mode, sandbox: !!booted.sandbox, configurationProblems: booted.configurationProblems }) + '\n');
  } else {
    process.stdout.write(
      `LGC Ségur est servi dans le navigateur${booted.sandbox ? ' (mode formation)' : ''}.\n` +
        `Ouvrez cette adresse (elle contient la clé d'accès de cette session) :\n\n  ${host.loginUrl}\n\n` +
        `Données : ${booted.dataDir}\nCtrl+C pour arrêter.\n`,
    );
    if (booted.configurationProblems) process.stderr.write(`Configuration du poste invalide (${booted.configurationProblems} problème(s)) : le détail s'affiche dans l'application et dans le journal.\n`);
  }
  if (options.open) openInSystemBrowser(host.loginUrl);
  const served = host;
  return {
    url: served.loginUrl,
    origin: served.origin,
    token: served.token,
    booted,
    async close() {
      await served.close();
      await booted.close();
    },
  };
}
