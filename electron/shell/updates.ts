import { app } from 'electron';
import electronUpdater from 'electron-updater';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Booted } from '../boot';
import { loadConfiguration, machineConfigPath } from '../services/config/sources';
import { decideUpdateCheck, detectInstallKind, UPDATE_CHECK_INTERVAL_MS } from '../services/config/update-policy';

/**
 * Automatic updates (electron-updater, generic feed): decided by `update-policy.ts`, checked at
 * start then every 6 hours, downloaded in the background, installed when the application quits.
 * Never blocks the start and never throws: every outcome goes to the log.
 */

function readMarker(): string | null {
  // `installer-kind` (content `msi` or `per-machine`): beside app.asar, or beside the machine file.
  for (const file of [join(process.resourcesPath ?? '', 'installer-kind'), join(dirname(machineConfigPath()), 'installer-kind')]) {
    try {
      if (existsSync(file)) return readFileSync(file, 'utf8');
    } catch {
      // unreadable marker: ignored
    }
  }
  return null;
}

/** `dataDir` and `configFile` as given to `bootApp` (the same sources are read again for `updates.*`). */
export function startAutoUpdates(booted: Booted, options: { dataDir: string; configFile?: string | undefined }): void {
  const log = booted.logger.child('updates');
  void (async () => {
    // Same sources as the boot: policies, --config or the machine file (or <dataDir>/practice.json), defaults.
    const legacyFile = join(options.dataDir, 'practice.json');
    const machineFile = options.configFile ? resolve(options.configFile) : existsSync(legacyFile) ? legacyFile : undefined;
    const loaded = await loadConfiguration({ userDataDir: options.dataDir, ...(machineFile ? { machineFile } : {}) });
    const install = detectInstallKind({ platform: process.platform, packaged: app.isPackaged, execPath: process.execPath, env: process.env, marker: readMarker() });
    const decision = decideUpdateCheck({ updates: loaded.updates, install, sandbox: booted.sandbox !== null, configurationRefused: loaded.problems.length > 0 });
    log.info(decision.reason, { install, check: decision.check });
    if (!decision.check) return;

    const { autoUpdater } = electronUpdater;
    autoUpdater.logger = { info: (m) => log.debug(String(m)), warn: (m) => log.warn(String(m)), error: (m) => log.error(String(m)) };
    autoUpdater.autoDownload = true;
    autoUpdater.autoInstallOnAppQuit = true;
    if (decision.feedUrl) autoUpdater.setFeedURL({ provider: 'generic', url: decision.feedUrl });
    if (decision.channel !== 'latest') autoUpdater.channel = decision.channel;
    autoUpdater.allowDowngrade = false;
    autoUpdater.on('error', (error: Error) => log.warn('Échec de la mise à jour (nouvel essai dans 6 heures)', { error: error.message }));
    autoUpdater.on('update-available', (info: { version: string }) => log.info('Mise à jour disponible, téléchargement en arrière-plan', { version: info.version }));
    autoUpdater.on('update-downloaded', (info: { version: string }) => log.info("Mise à jour téléchargée : installée à la fermeture de l'application", { version: info.version }));

    const check = () => {
      autoUpdater
        .checkForUpdates()
        .then((result) => result?.downloadPromise?.catch(() => undefined)) // download errors reach 'error'
        .catch((error: unknown) => log.warn('Recherche de mises à jour impossible', { error: error instanceof Error ? error.message : String(error) }));
    };
    check();
    setInterval(check, UPDATE_CHECK_INTERVAL_MS).unref();
  })().catch((error: unknown) => log.warn('Mises à jour automatiques non démarrées', { error: error instanceof Error ? error.message : String(error) }));
}
