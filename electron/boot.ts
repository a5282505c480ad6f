import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAppServices, type AppServices } from './services/app';
import { createConfigurationErrorServices, type HostedServices } from './services/config-error-services';
import type { PracticeConfig } from './services/config/practice-config';
import { formatProblems } from './services/config/problems';
import type { MailboxServiceConfig } from './services/mail/mailbox-service';
import { isLoopbackHost } from './services/mail/sync/connection';
import { createRegQueryRegistry } from './services/config/registry';
import { createSecretResolver, resolvePscClientAuth } from './services/config/secrets';
import { loadConfiguration, practiceDataDir } from './services/config/sources';
import { createLogger, type Logger } from './services/log/logger';
import { acquireInstanceLock } from './services/store/instance-lock';
import { createPatientsRepo, type Patient } from './services/store/patients-repo';
import { seedDemoPractice } from './sandbox/seed';
import { sandboxVihfSigner } from './sandbox/dmp-demo';
import { startSandbox, type Sandbox } from './sandbox/run';
import { APP_VERSION } from './version';

export interface BootOptions {
  dataDir: string;
  host: 'electron' | 'browser';
  openExternal: (url: string) => Promise<void>;
  logger?: Logger;
  /** True when the data folder was given explicitly (--data-dir): used as is, no training sub-folder. */
  exactDataDir?: boolean;
  /** Explicit practice configuration file; otherwise `<dataDir>/practice.json`, otherwise the training sandbox. */
  configFile?: string;
  /** Secrets kept encrypted by the shell (Electron safeStorage); absent under plain Node. */
  secretStore?: (name: string) => Promise<string | null>;
  /** Training sandbox: approve e-CPS pushes by itself (default) or leave them to a test. */
  autoApproveCibaAfterMs?: number | null;
}

export interface Booted {
  /** The application's services, or only the configuration error screen's when the configuration was refused. */
  services: AppServices | HostedServices;
  /** Where this practice's (or the training practice's) data lives. */
  dataDir: string;
  sandbox: Sandbox | null;
  logger: Logger;
  /** The configuration's mode ('production' when it was refused: never a silent training fallback). */
  mode: PracticeConfig['mode'];
  /** How many configuration problems keep the application on its error screen (0 normally). */
  configurationProblems: number;
  close(): Promise<void>;
}

/** The MSSanté part of a practice configuration, as the mailbox service takes it. */
export function mailConfigFromPractice(config: PracticeConfig): MailboxServiceConfig | undefined {
  const mss = config.mssante;
  if (!mss) return undefined;
  const caFile = mss.caBundle ?? config.caBundle;
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  const server = (s: { host: string; port: number }) => ({
    host: s.host,
    port: s.port,
    tls: s.port === 993 || s.port === 465,
    ...(ca ? { ca } : {}),
    // A training configuration may point at a shared training operator on this machine.
    ...(config.mode === 'training' && isLoopbackHost(s.host) ? { sandboxPlaintext: true } : {}),
  });
  return {
    imap: server(mss.imap),
    smtp: server(mss.smtp),
    mailboxes: mss.mailboxes.map((b) => ({ address: b.address, kind: b.kind, label: b.label, ...(b.ownerNationalId ? { ownerNationalId: b.ownerNationalId } : {}) })),
  };
}

/**
 * Starts the application services the same way for every host (Electron shell, browser host,
 * CLI): the practice configuration when there is one, the training sandbox otherwise.
 */
export async function bootApp(options: BootOptions): Promise<Booted> {
  // Policy > machine file > user settings > defaults (docs/deployment.md). A configuration with
  // problems never falls back to the training sandbox: it is refused with every bad key named.
  const legacyFile = join(options.dataDir, 'practice.json');
  const machineFile = options.configFile ?? (existsSync(legacyFile) ? legacyFile : undefined);
  const loaded = await loadConfiguration({
    userDataDir: options.dataDir,
    registry: createRegQueryRegistry(),
    ...(machineFile ? { machineFile } : {}),
  });
  if (loaded.problems.length) {
    const logger = options.logger ?? createLogger({ file: join(options.dataDir, 'journaux', 'lgc.log') });
    logger.error('configuration refused', { problems: formatProblems(loaded.problems) });
    const services = createConfigurationErrorServices({ problems: loaded.problems, version: APP_VERSION, host: options.host, logger });
    return { services, dataDir: options.dataDir, sandbox: null, logger, mode: 'production', configurationProblems: loaded.problems.length, close: () => services.close() };
  }
  // Training data lives apart from production data: switching a workstation never mixes them.
  const dataDir = options.exactDataDir ? options.dataDir : practiceDataDir(options.dataDir, loaded.config);
  const logger = options.logger ?? createLogger({ file: join(dataDir, 'journaux', 'lgc.log') });
  let sandbox: Sandbox | null = null;
  let config: PracticeConfig;
  if (loaded.config) {
    config = loaded.config;
  } else {
    sandbox = await startSandbox({ logger: logger.child('sandbox'), dataDir, autoApproveCibaAfterMs: options.autoApproveCibaAfterMs });
    config = sandbox.config;
    if (loaded.userSettings.lockAfterMinutes) config = { ...config, lockAfterMinutes: loaded.userSettings.lockAfterMinutes };
  }
  let demoPatients: Patient[] | null = null;
  const pscClientAuth = await resolvePscClientAuth(config.psc, createSecretResolver(options.secretStore ? { safeStorage: options.secretStore } : {}));
  // Training sessions and tests shorten the inactivity lock to see it happen.
  const lockSeconds = Number(process.env.LGC_LOCK_AFTER_SECONDS);
  if (sandbox && lockSeconds > 0) config = { ...config, lockAfterMinutes: lockSeconds / 60 };
  // One application per data folder (a restore also checks it before replacing the database).
  let instanceLock: ReturnType<typeof acquireInstanceLock> | null = null;
  try {
    instanceLock = acquireInstanceLock(dataDir);
    const services = createAppServices({
      dataDir,
      pscClientAuth,
      config,
      logger,
      host: options.host,
      version: APP_VERSION,
      openExternal: options.openExternal,
      sandboxServices: sandbox?.endpoints ?? [],
      testCards: sandbox?.testCards ?? [],
      testVitaleCards: sandbox?.vitaleCards ?? [],
      ...(sandbox ? { dmpVihfSigner: sandboxVihfSigner(), mail: sandbox.mail } : {}),
      ...(!sandbox && config.mssante ? { mail: mailConfigFromPractice(config)! } : {}),
      configured: !sandbox,
      prepareDatabase: (db) => {
        if (!sandbox) return;
        const seeded = seedDemoPractice(db);
        sandbox.registerIdentities(seeded.insiIdentities);
        demoPatients = createPatientsRepo(db).all();
        logger.info('training sandbox ready', { patients: createPatientsRepo(db).count() });
      },
    });
    if (sandbox && demoPatients) {
      const delivered = await sandbox.deliverDemoMessages(demoPatients);
      logger.info('sandbox demo messages delivered', { delivered });
    }
    return {
      services,
      dataDir,
      sandbox,
      logger,
      mode: config.mode,
      configurationProblems: 0,
      async close() {
        await services.close();
        await sandbox?.close();
        instanceLock?.release();
      },
    };
  } catch (error) {
    await sandbox?.close();
    instanceLock?.release();
    throw error;
  }
}
