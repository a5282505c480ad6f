import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { EventName, SessionState } from '../../shared/contract';
import type { AppInfo, VitaleCard } from '../../shared/domain';
import type { PracticeConfig } from './config/practice-config';
import { requirePermission } from './auth/permissions';
import { createInsiClient } from './identity/insi';
import { createPatientService, type Actor } from './identity/patients';
import { createQualificationService } from './identity/qualification';
import type { Logger } from './log/logger';
import { createDispatcher, type Dispatch, type Handlers } from './rpc/dispatch';
import { createAuditRepo } from './store/audit-repo';
import { dailyBackupDue, snapshot } from './store/backup';
import { openDatabase, type Db } from './store/db';
import { createPatientsRepo } from './store/patients-repo';
import { createUsersRepo } from './store/users-repo';
import { createAuthService, type AuthService } from './session/auth-service';

export interface AppServicesOptions {
  dataDir: string;
  config: PracticeConfig;
  logger: Logger;
  host: AppInfo['host'];
  version: string;
  /** Opens a URL in the system browser (Electron shell) or hands it to the browser host. */
  openExternal: (url: string) => Promise<void>;
  /** Sandbox endpoints shown in the training banner. */
  sandboxServices?: AppInfo['sandboxServices'];
  /** Training mode: test cards offered on the login screen. */
  testCards?: { nationalId: string; displayName: string; role: 'doctor' | 'secretary' }[];
  /** Training mode: the sandbox's Vitale cards (stand-in for the card reader). */
  testVitaleCards?: VitaleCard[];
  /** Runs on the migrated database before the services load it (the sandbox seeds here). */
  prepareDatabase?: (db: Db) => void;
}

export interface AppServices {
  db: Db;
  dispatch: Dispatch;
  events: EventEmitter<Record<EventName, []>>;
  auth: AuthService;
  close(): Promise<void>;
}

/**
 * Composition root: practice configuration → store → services → the handler of every contract
 * method. Imports nothing from Electron; the shell, the browser host and the CLI all build this.
 */
export function createAppServices(options: AppServicesOptions): AppServices {
  const { dataDir, config, logger } = options;
  const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
  options.prepareDatabase?.(db);
  const transaction = <T>(fn: () => T): T => db.transaction(fn)();
  const events = new EventEmitter<Record<EventName, []>>();
  const patientsRepo = createPatientsRepo(db);
  const audit = createAuditRepo(db);
  const users = createUsersRepo(db);
  const patients = createPatientService({ patients: patientsRepo, audit, transaction });
  const qualification = createQualificationService({
    patients: patientsRepo,
    audit,
    transaction,
    insi: config.insi ? createInsiClient({ endpoint: config.insi.endpoint, logger: logger.child('insi') }) : null,
    onPatientChanged: (p) => {
      patients.index.upsert(p);
      events.emit('patients.changed');
    },
  });
  const auth = createAuthService({ config, users, audit, logger: logger.child('auth'), openExternal: options.openExternal, testCards: options.testCards ?? [] });
  auth.on('change', () => events.emit('session.changed'));

  const backupDir = join(dataDir, 'sauvegardes');
  const backupTimer = setInterval(() => {
    if (dailyBackupDue(backupDir)) {
      try {
        snapshot(db, backupDir, 14);
      } catch (error) {
        logger.error('daily backup failed', { error });
      }
    }
  }, 3600 * 1000);
  backupTimer.unref();

  const actor = (): Actor => auth.actor();
  const stateOf = (): SessionState => auth.state();

  const handlers: Handlers = {
    'app.info': () => ({
      version: options.version,
      mode: config.mode,
      practiceName: config.practice.name,
      host: options.host,
      sandboxServices: options.sandboxServices ?? [],
    }),
    'auth.state': () => stateOf(),
    'auth.testCards': () => (config.mode === 'training' ? (options.testCards ?? []) : []),
    'auth.loginCiba': ({ nationalId }) => auth.loginCiba(nationalId),
    'auth.loginBrowser': () => auth.loginBrowser(),
    'auth.cancelLogin': () => ({ cancelled: auth.cancelLogin() }),
    'auth.lock': () => auth.lock(),
    'auth.touch': () => ({ lockInMs: auth.touch() }),
    'auth.logout': () => auth.logout(),

    'patients.today': () => patients.today(actor()),
    'patients.search': ({ query, limit }) => patients.search(actor(), query, limit),
    'patients.get': ({ id }) => patients.get(actor(), id),
    'patients.create': ({ patient, confirmNotDuplicateOf }) => {
      const result = patients.create(actor(), patient, confirmNotDuplicateOf);
      if (result.created) events.emit('patients.changed');
      return result;
    },
    'patients.update': ({ id, patient }) => {
      const result = patients.update(actor(), id, patient);
      events.emit('patients.changed');
      return result;
    },
    'identity.testVitaleCards': () => (config.mode === 'training' ? (options.testVitaleCards ?? []) : []),
    'identity.insiSearch': ({ patientId, request }) => qualification.searchInsi(auth.actor(), patientId, request),
    'identity.qualify': ({ patientId, insiResultId, idDocument }) => {
      qualification.qualify(actor(), patientId, { insiResultId, idDocument });
      return patients.recordOf(patientId);
    },
    'audit.list': ({ patientId, limit }) =>
      audit.list({ ...(patientId ? { patientId } : {}), limit }).map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        actorRole: r.actorRole,
        action: r.action,
        patientId: r.patientId,
        detail: r.detail,
      })),
    'admin.backup': () => {
      const who = actor();
      requirePermission(who, 'admin.backup');
      const info = snapshot(db, backupDir, 14);
      audit.append(who, 'admin.sauvegarde', null, { fichier: info.file });
      return info;
    },
    'worklist.list': () => [],
    'mail.status': () => [],
  };

  const dispatch = createDispatcher({ handlers, requireActiveSession: () => auth.requireActive(), logger: logger.child('rpc') });

  return {
    db,
    dispatch,
    events,
    auth,
    async close() {
      clearInterval(backupTimer);
      await auth.close();
      db.close();
    },
  };
}
