import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { EventName, SessionState } from '../../shared/contract';
import type { AppInfo, VitaleCard } from '../../shared/domain';
import type { PracticeConfig } from './config/practice-config';
import type { PscClientAuthConfig } from './auth/client-auth';
import { requirePermission } from './auth/permissions';
import { PRODUCED_DOCUMENT_TYPES } from './cda/loinc-types';
import { createDmpAppService } from './dmp-app/dmp-app-service';
import type { DmpUploadView } from './dmp-app/types';
import { createDmpClient } from './dmp/client';
import type { DmpContext } from './dmp/types';
import type { VihfSigner } from './dmp/vihf';
import { createDocumentsRepo } from './store/documents-repo';
import { createMailboxService, type MailboxServiceConfig } from './mail/mailbox-service';
import { createMessagingService } from './mail/messaging';
import { parseMssMessage } from './mail/parse';
import { createBlobStore } from './worklist/blob-store';
import { createPatientLookup } from './worklist/lookup';
import { createWorklistService, type WorklistService } from './worklist/worklist-service';
import { AppError } from '../../shared/errors';
import { createInsiClient } from './identity/insi';
import { importPatientsFromApp } from './identity/csv-import-app';
import { createPatientService, type Actor } from './identity/patients';
import { createQualificationService } from './identity/qualification';
import type { Logger } from './log/logger';
import { createDispatcher, type Dispatch, type Handlers } from './rpc/dispatch';
import { createAuditRepo } from './store/audit-repo';
import { dailyBackupDue, snapshot } from './store/backup';
import { openDatabase, type Db } from './store/db';
import { createPatientsRepo } from './store/patients-repo';
import { createUsersRepo } from './store/users-repo';
import { runFirstRunChecks, type FirstRunDeps } from './config/first-run-checks';
import { readFirstRunState, writeFirstRunState } from './config/first-run-state';
import { createAuthService, type AuthService } from './session/auth-service';

export interface AppServicesOptions {
  dataDir: string;
  /** Resolved client authentication to Pro Santé Connect (secrets already read from their references). */
  pscClientAuth: PscClientAuthConfig;
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
  /** MSSanté servers and mailboxes (the sandbox operator in training mode); absent = no mailbox. */
  mail?: MailboxServiceConfig;
  /** Signs the DMP's VIHF; training mode passes a throwaway test seal. Without it the DMP is "non configuré". */
  dmpVihfSigner?: VihfSigner;
  /** Runs on the migrated database before the services load it (the sandbox seeds here). */
  prepareDatabase?: (db: Db) => void;
  /** A configuration file or policy describes this workstation: its first run shows the service checklist. */
  configured?: boolean;
  /** Replaces the network probes of the first-run checklist (tests). */
  firstRunDeps?: FirstRunDeps;
}

export interface AppServices {
  db: Db;
  worklist: WorklistService;
  dispatch: Dispatch;
  events: EventEmitter<Record<EventName, []>>;
  auth: AuthService;
  close(): Promise<void>;
}

/**
 * Composition root: practice configuration → store → services → the handler of every contract
 * method. Imports nothing from Electron; the shell, the browser host and the CLI all build this.
 */
function toUpload(u: DmpUploadView) {
  return { id: u.id, documentId: u.documentId, status: u.status, label: u.label, detail: u.detail, version: u.version, sentAt: u.sentAt, visibility: u.visibility };
}

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
  const documents = createDocumentsRepo(db);
  const lookup = createPatientLookup({ patients: patientsRepo, index: patients.index, db });
  const worklist = createWorklistService({
    db,
    patients: patientsRepo,
    audit,
    blobs: createBlobStore(dataDir),
    lookup,
    onChange: () => {
      events.emit('worklist.changed');
      events.emit('documents.changed');
    },
  });
  const dmpContextFor = (who: Actor | null): DmpContext | null => {
    const user = auth.currentUser();
    if (!user || user.role !== 'doctor' || (who && who.userId !== user.id)) return null;
    return {
      professional: { nationalId: user.nationalId, familyName: user.familyName, givenName: user.givenName, professionCode: user.professionCode ?? '10', specialtyCode: 'SM26' },
      practice: { name: config.practice.name, structureId: config.practice.structureId, facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE' },
    };
  };
  // Production needs the practice's IGC-Santé seal certificate to sign the VIHF (not yet in the
  // configuration): without a signer the DMP is shown as not configured.
  const dmpClient =
    config.dmp && options.dmpVihfSigner
      ? createDmpClient({ endpoint: config.dmp.endpoint, vihfSigner: options.dmpVihfSigner ?? null!, logger: logger.child('dmp') })
      : null;
  const dmpApp = createDmpAppService({ db, dataDir, logger, audit, client: dmpClient, contextFor: dmpContextFor });
  dmpApp.on('change', (change) => {
    events.emit('dmp.changed');
    if (change.kind === 'upload') events.emit('documents.changed');
  });
  dmpApp.start();

  // MSSanté: raw message committed by the sync engine → parsed → worklist (idempotent per message).
  const mail = options.mail
    ? createMailboxService({
        db,
        dataDir,
        logger: logger.child('mail'),
        audit,
        tokenProvider: () => auth.accessToken(),
        config: options.mail,
        onStored: async (row) => {
          const raw = await mail!.readRaw(row.id);
          const parsed = await parseMssMessage(raw, { logger: logger.child('parse') });
          if (messaging?.recordReceipt(row.id, parsed)) events.emit('mail.changed'); // a receipt for one of our messages
          await worklist.ingestParsedMessage({ id: row.id }, parsed);
        },
      })
    : null;
  mail?.on('change', () => events.emit('mail.changed'));
  // Sending, outbox, receipts; the integration receipts the worklist owes are queued once each,
  // at start (resuming what a restart left) and after every worklist change.
  const messaging = mail
    ? createMessagingService({ db, mail, patients: patientsRepo, blobs: createBlobStore(dataDir), logger, practiceMailboxes: options.mail!.mailboxes })
    : null;
  if (messaging) {
    mail!.on('change', () => messaging.outboxChanged());
    events.on('worklist.changed', () => void messaging.dispatchMdns());
    void messaging.dispatchMdns();
  }
  const requireMessaging = () => {
    if (!messaging) throw new AppError('VALIDATION', 'Messagerie MSSanté non configurée sur ce poste.');
    return messaging;
  };

  const auth = createAuthService({ config, clientAuth: options.pscClientAuth, users, audit, logger: logger.child('auth'), openExternal: options.openExternal, testCards: options.testCards ?? [] });
  auth.on('change', () => {
    events.emit('session.changed');
    // Mailbox sessions live with the PSC session: opened at login/unlock, closed at lock/logout.
    const user = auth.currentUser();
    if (mail && user) mail.start({ userId: user.id, displayName: `${user.givenName} ${user.familyName}`, role: user.role, nationalId: user.nationalId });
    else if (mail) void mail.stop();
  });

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
      configurationProblems: [],
      firstRunPending: !!options.configured && readFirstRunState(dataDir) === null,
    }),
    'app.firstRunChecks': async () => {
      const checks = await runFirstRunChecks(config, options.firstRunDeps);
      logger.info('first-run checks', { checks: checks.map((c) => `${c.id}:${c.state}`).join(' ') });
      return checks;
    },
    'app.completeFirstRun': () => writeFirstRunState(dataDir),
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
    'patients.importCsv': ({ fileName, base64, mapping, dryRun }) => {
      const report = importPatientsFromApp({ db, patients: patientsRepo, audit, index: patients.index }, actor(), { fileName, base64, mapping, dryRun });
      if (!dryRun) events.emit('patients.changed');
      return report;
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
    'dmp.statuses': ({ patientIds }) => dmpApp.statuses(patientIds, actor()),
    'dmp.consent': ({ patientId }) => dmpApp.consent(patientId),
    'dmp.setConsent': ({ patientId, informed, opposed }) => dmpApp.setConsent(actor(), patientId, { informed, opposed }),
    'dmp.upload': ({ documentId, visibility }) => toUpload(dmpApp.upload(actor(), documentId, visibility)),
    'dmp.documents': async ({ patientId }) =>
      (await dmpApp.documents(actor(), patientId)).map((d) => ({
        uniqueId: d.uniqueId,
        repositoryUniqueId: d.repositoryUniqueId ?? null,
        typeCode: d.typeCode,
        typeLabel: d.typeLabel,
        title: d.title,
        creationTime: d.creationTime ?? null,
        author: d.author.name,
        visibilityLabels: d.visibilityLabels,
        byOthers: d.byOthers,
        newSinceLastVisit: d.newSinceLastVisit,
        status: d.status ?? null,
      })),
    'dmp.retrieve': async ({ patientId, uniqueId, repositoryUniqueId }) => {
      const doc = await dmpApp.retrieve(actor(), patientId, uniqueId, repositoryUniqueId);
      return { base64: doc.data.toString('base64'), mimeType: doc.mimeType, title: doc.title };
    },
    'documents.types': () => PRODUCED_DOCUMENT_TYPES.map((t) => ({ code: t.code, label: t.title })),
    'documents.list': ({ patientId }) => {
      actor();
      const latest = new Map<number, ReturnType<typeof toUpload>>();
      for (const u of dmpApp.uploads(patientId)) if (!latest.has(u.documentId)) latest.set(u.documentId, toUpload(u));
      return documents.ofPatient(patientId).map((d) => ({
        id: d.id,
        title: d.title ?? d.fileName ?? d.typeLabel ?? 'Document',
        typeCode: d.typeCode,
        typeLabel: d.typeLabel,
        date: d.date ?? d.filedAt,
        origin: d.origin,
        sender: d.sender,
        replaced: d.replaced,
        deletedBySender: d.deletedBySender,
        dmp: latest.get(d.id) ?? null,
      }));
    },
    'documents.addPdf': ({ patientId, fileName, base64, typeCode, title }) => {
      const doc = dmpApp.addLocalDocument(actor(), patientId, { fileName, pdf: Buffer.from(base64, 'base64'), typeCode, ...(title ? { title } : {}) });
      events.emit('documents.changed');
      return {
        id: doc.id,
        title: doc.title,
        typeCode: doc.typeCode,
        typeLabel: doc.typeLabel,
        date: doc.createdAt,
        origin: 'local' as const,
        sender: null,
        replaced: false,
        deletedBySender: false,
        dmp: null,
      };
    },
    'documents.pdf': ({ id }) => {
      actor();
      const doc = documents.get(id);
      if (!doc) throw new AppError('NOT_FOUND', 'Document introuvable.');
      if (doc.origin === 'local') return { base64: dmpApp.localDocumentContent(id).toString('base64'), fileName: `document-${id}.pdf` };
      if (doc.worklistItemId === null) return { base64: null, fileName: `document-${id}.pdf` };
      return worklist.pdf(actor(), doc.worklistItemId);
    },
    'worklist.list': (filter) => worklist.list(filter),
    'worklist.get': ({ id }) => worklist.get(actor(), id, { markRead: true }),
    'worklist.pdf': ({ id }) => worklist.pdf(actor(), id),
    'worklist.accept': ({ id }) => worklist.accept(actor(), id),
    'worklist.changePatient': ({ id, patientId }) => worklist.changePatient(actor(), id, patientId),
    'worklist.reject': ({ id, reason }) => worklist.reject(actor(), id, reason),
    'worklist.undo': ({ id }) => worklist.undo(actor(), id),
    'worklist.acceptAllCertain': () => ({ accepted: worklist.acceptAllCertain(actor()).accepted }),
    'worklist.confirmDeletion': ({ id }) => worklist.confirmDeletion(actor(), id),
    'worklist.validate': ({ id }) => worklist.validate(actor(), id),
    'worklist.patientDraft': ({ id }) => worklist.createPatientFromItem(actor(), id),
    'mail.status': () => {
      const who = auth.actor();
      if (!mail) return [];
      const visible = new Set(mail.visibleMailboxes(who).map((m) => m.address));
      return mail.status().filter((m) => visible.has(m.address));
    },
    'mail.outbox': ({ limit }) => (messaging ? messaging.outbox(auth.actor(), limit) : []),
    'mail.retry': ({ id }) => requireMessaging().retry(auth.actor(), id),
    'mail.cancel': ({ id }) => requireMessaging().cancel(auth.actor(), id),
    'mail.send': async (input) => {
      const sent = await requireMessaging().send(auth.actor(), input);
      events.emit('mail.changed');
      return sent;
    },
    'mail.correspondents': ({ query, limit }) => (messaging ? messaging.correspondents(auth.actor(), query, limit) : []),
    'mail.documents': ({ patientId }) => (messaging ? messaging.documents(auth.actor(), patientId) : []),
    'mail.receipts': ({ limit }) => (messaging ? messaging.receipts(auth.actor(), limit) : []),
  };

  const dispatch = createDispatcher({ handlers, requireActiveSession: () => auth.requireActive(), logger: logger.child('rpc') });

  return {
    db,
    worklist,
    dispatch,
    events,
    auth,
    async close() {
      clearInterval(backupTimer);
      await dmpApp.stop();
      await messaging?.stop();
      await mail?.close();
      await auth.close();
      db.close();
    },
  };
}
