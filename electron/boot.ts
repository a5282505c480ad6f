import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../shared/errors';
import { createAppServices, type AppServices } from './services/app';
import { practiceConfigSchema, type PracticeConfig } from './services/config/practice-config';
import { createLogger, type Logger } from './services/log/logger';
import { createPatientsRepo } from './services/store/patients-repo';
import { seedDemoPractice } from './sandbox/seed';
import { startSandbox, type Sandbox } from './sandbox/run';
import { APP_VERSION } from './version';

export interface BootOptions {
  dataDir: string;
  host: 'electron' | 'browser';
  openExternal: (url: string) => Promise<void>;
  logger?: Logger;
  /** Explicit practice configuration file; otherwise `<dataDir>/practice.json`, otherwise the training sandbox. */
  configFile?: string;
  /** Training sandbox: approve e-CPS pushes by itself (default) or leave them to a test. */
  autoApproveCibaAfterMs?: number | null;
}

export interface Booted {
  services: AppServices;
  sandbox: Sandbox | null;
  logger: Logger;
  close(): Promise<void>;
}

export function loadPracticeConfig(file: string): PracticeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AppError('VALIDATION', `Configuration illisible (${file}) : ${(error as Error).message}`);
  }
  const parsed = practiceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new AppError('VALIDATION', `Configuration invalide (${file}) : clé « ${first.path.join('.')} » — ${first.message}`);
  }
  return parsed.data;
}

/**
 * Starts the application services the same way for every host (Electron shell, browser host,
 * CLI): the practice configuration when there is one, the training sandbox otherwise.
 */
export async function bootApp(options: BootOptions): Promise<Booted> {
  const logger = options.logger ?? createLogger({ file: join(options.dataDir, 'journaux', 'lgc.log') });
  const configFile = options.configFile ?? join(options.dataDir, 'practice.json');
  let sandbox: Sandbox | null = null;
  let config: PracticeConfig;
  if (existsSync(configFile)) {
    config = loadPracticeConfig(configFile);
  } else {
    sandbox = await startSandbox({ logger: logger.child('sandbox'), autoApproveCibaAfterMs: options.autoApproveCibaAfterMs });
    config = sandbox.config;
  }
  // Training sessions and tests shorten the inactivity lock to see it happen.
  const lockSeconds = Number(process.env.LGC_LOCK_AFTER_SECONDS);
  if (sandbox && lockSeconds > 0) config = { ...config, lockAfterMinutes: lockSeconds / 60 };
  try {
    const services = createAppServices({
      dataDir: options.dataDir,
      config,
      logger,
      host: options.host,
      version: APP_VERSION,
      openExternal: options.openExternal,
      sandboxServices: sandbox?.endpoints ?? [],
      testCards: sandbox?.testCards ?? [],
      testVitaleCards: sandbox?.vitaleCards ?? [],
      prepareDatabase: (db) => {
        if (!sandbox) return;
        const seeded = seedDemoPractice(db);
        sandbox.registerIdentities(seeded.insiIdentities);
        logger.info('training sandbox ready', { patients: createPatientsRepo(db).count() });
      },
    });
    return {
      services,
      sandbox,
      logger,
      async close() {
        await services.close();
        await sandbox?.close();
      },
    };
  } catch (error) {
    await sandbox?.close();
    throw error;
  }
}
