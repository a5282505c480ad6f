import { z } from 'zod';
import {
  appInfo,
  firstRunCheck,
  auditEntry,
  dmpBadge,
  dmpConsent,
  dmpDocument,
  dmpUpload,
  producedType,
  recordDocument,
  visibility,
  idDocumentType,
  identityStatus,
  insiOutcome,
  insiRequest,
  mailboxStatus,
  patientInput,
  patientRecord,
  patientSummary,
  userSummary,
  vitaleCard,
  worklistDetail,
  worklistFilter,
  worklistItem,
} from './domain';
import { attachableDocument, correspondent, mailReceipt, outboxMessage, sendMessageInput } from './mail';
import { importCsvArgs, importReport } from './import';

/**
 * The one contract between the renderer and the main-process services. Each method declares
 * its argument and result schemas; the main process validates arguments on every call, the
 * renderer's client is typed from here. Adding a method = one entry here + one handler in
 * `electron/services/handlers.ts` (the type checker insists on the handler).
 *
 * `access`: 'public' methods run without a signed-in user (login screen); 'user' methods need an
 * active, unlocked session. Finer permissions (doctor vs secretary) are checked by the services.
 */
export interface MethodSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  args: A;
  result: R;
  access: 'public' | 'user';
}

const method = <A extends z.ZodType, R extends z.ZodType>(args: A, result: R, access: 'public' | 'user' = 'user'): MethodSpec<A, R> => ({
  args,
  result,
  access,
});

const none = z.object({}).strict();
const id = z.object({ id: z.number().int().positive() }).strict();

export const sessionState = z.object({
  state: z.enum(['signed-out', 'active', 'locked']),
  user: userSummary.nullable(),
  /** French sentence explaining why the session ended or locked, when it did. */
  notice: z.string().nullable(),
});
export type SessionState = z.infer<typeof sessionState>;

export const contract = {
  'app.info': method(none, appInfo, 'public'),
  /** Configured workstation: can it reach PSC, the MSSanté servers, the DMP and INSi? (before any login) */
  'app.firstRunChecks': method(none, z.array(firstRunCheck), 'public'),
  /** The checklist was seen: the next starts go straight to the login screen. */
  'app.completeFirstRun': method(none, z.object({ completedAt: z.string() }), 'public'),

  'auth.state': method(none, sessionState, 'public'),
  /** Training mode only: the sandbox PSC's test cards, for the login screen. Empty in production. */
  'auth.testCards': method(
    none,
    z.array(z.object({ nationalId: z.string(), displayName: z.string(), role: z.enum(['doctor', 'secretary']) })),
    'public',
  ),
  /** Push to the e-CPS app (CIBA): resolves when approved, denied, expired or cancelled. */
  'auth.loginCiba': method(z.object({ nationalId: z.string().trim().min(1).max(64) }).strict(), sessionState, 'public'),
  /** Authorization code flow in the system browser with a loopback redirect. */
  'auth.loginBrowser': method(none, sessionState, 'public'),
  'auth.cancelLogin': method(none, z.object({ cancelled: z.boolean() }), 'public'),
  'auth.lock': method(none, sessionState),
  /** Reports user activity (keyboard, mouse) for the inactivity lock; cheap, throttled by the caller. */
  'auth.touch': method(none, z.object({ lockInMs: z.number().nullable() })),
  'auth.logout': method(none, sessionState, 'public'),

  'patients.today': method(none, z.array(patientSummary)),
  'patients.search': method(
    z.object({ query: z.string().max(200), limit: z.number().int().min(1).max(200).default(50) }).strict(),
    z.array(patientSummary),
  ),
  'patients.get': method(id, patientRecord),
  'patients.create': method(
    z.object({ patient: patientInput, confirmNotDuplicateOf: z.array(z.number().int()).default([]) }).strict(),
    z.object({ created: patientRecord.nullable(), possibleDuplicates: z.array(patientSummary) }),
  ),
  'patients.update': method(
    z.object({ id: z.number().int().positive(), patient: patientInput }).strict(),
    z.object({ patient: patientRecord, statusDowngraded: z.object({ from: identityStatus, to: identityStatus }).nullable() }),
  ),
  /** CSV import of another practice software's export (docs/import-patients.md): dryRun = the preview, nothing written. */
  'patients.importCsv': method(importCsvArgs, importReport),

  /** Training mode only: the sandbox's Vitale cards, standing in for the card reader. */
  'identity.testVitaleCards': method(none, z.array(vitaleCard)),
  'identity.insiSearch': method(z.object({ patientId: z.number().int().positive(), request: insiRequest }).strict(), insiOutcome),
  'identity.qualify': method(
    z.object({ patientId: z.number().int().positive(), insiResultId: z.string().max(64).nullable(), idDocument: idDocumentType.nullable() }).strict(),
    patientRecord,
  ),

  'audit.list': method(
    z.object({ patientId: z.number().int().positive().optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    z.array(auditEntry),
  ),

  /** Snapshot of the practice database now (doctor only); daily snapshots are automatic. */
  'admin.backup': method(none, z.object({ file: z.string(), size: z.number().int(), createdAt: z.string() })),

  'worklist.list': method(worklistFilter, z.array(worklistItem)),
  'worklist.get': method(id, worklistDetail),
  /** The document's PDF (embedded in the CDA or attached), base64; null when there is none. */
  'worklist.pdf': method(id, z.object({ base64: z.string().nullable(), fileName: z.string() })),
  'worklist.accept': method(id, worklistItem),
  'worklist.changePatient': method(z.object({ id: z.number().int().positive(), patientId: z.number().int().positive() }).strict(), worklistItem),
  'worklist.reject': method(z.object({ id: z.number().int().positive(), reason: z.string().trim().min(1).max(500) }).strict(), worklistItem),
  'worklist.undo': method(id, worklistItem),
  'worklist.acceptAllCertain': method(none, z.object({ accepted: z.number().int() })),
  'worklist.confirmDeletion': method(id, worklistItem),
  'worklist.validate': method(id, worklistItem),
  /** Traits read from the document, to pre-fill "create patient". */
  'worklist.patientDraft': method(id, patientInput.partial()),
  'mail.status': method(none, z.array(mailboxStatus)),
  /** Messages and integration receipts sent from the user's mailboxes, newest first, with their status and the receipts received. */
  'mail.outbox': method(z.object({ limit: z.number().int().min(1).max(500).default(200) }).strict(), z.array(outboxMessage)),
  /** Tries a waiting or failed message again now. */
  'mail.retry': method(id, outboxMessage),
  /** Cancels a message not sent yet. */
  'mail.cancel': method(id, outboxMessage),
  /** Queues a message (professional addresses, or the patient's MSSanté address for a qualified identity; record documents attached). */
  'mail.send': method(sendMessageInput, outboxMessage),
  /** Recent correspondents and the practice's other mailboxes, for the "To" suggestions. */
  'mail.correspondents': method(z.object({ query: z.string().max(200).default(''), limit: z.number().int().min(1).max(50).default(12) }).strict(), z.array(correspondent)),
  /** The patient's record documents as they would be attached (IHE_XDM.ZIP + PDF, or PDF only). */
  'mail.documents': method(z.object({ patientId: z.number().int().positive() }).strict(), z.array(attachableDocument)),
  /** Receipts (MDN) received in the user's mailboxes. */
  'mail.receipts': method(z.object({ limit: z.number().int().min(1).max(500).default(100) }).strict(), z.array(mailReceipt)),

  /** DMP badges from the cache, instantly; stale ones are re-checked in the background (event `dmp.changed`). */
  'dmp.statuses': method(z.object({ patientIds: z.array(z.number().int().positive()).max(500) }).strict(), z.array(dmpBadge)),
  'dmp.consent': method(z.object({ patientId: z.number().int().positive() }).strict(), dmpConsent),
  'dmp.setConsent': method(z.object({ patientId: z.number().int().positive(), informed: z.boolean(), opposed: z.boolean() }).strict(), dmpConsent),
  'dmp.upload': method(z.object({ documentId: z.number().int().positive(), visibility: visibility.default({}) }).strict(), dmpUpload),
  'dmp.documents': method(z.object({ patientId: z.number().int().positive() }).strict(), z.array(dmpDocument)),
  'dmp.retrieve': method(
    z.object({ patientId: z.number().int().positive(), uniqueId: z.string().min(1).max(128), repositoryUniqueId: z.string().min(1).max(128) }).strict(),
    z.object({ base64: z.string(), mimeType: z.string(), title: z.string().nullable() }),
  ),
  'documents.types': method(none, z.array(producedType)),
  'documents.list': method(z.object({ patientId: z.number().int().positive() }).strict(), z.array(recordDocument)),
  /** Adds a PDF the doctor produced to the record (then one click sends it to the DMP). */
  'documents.addPdf': method(
    z.object({
      patientId: z.number().int().positive(),
      fileName: z.string().trim().min(1).max(200),
      base64: z.string().min(1).max(28_000_000),
      typeCode: z.string().min(1).max(32),
      title: z.string().trim().max(200).optional(),
    }).strict(),
    recordDocument,
  ),
  'documents.pdf': method(id, z.object({ base64: z.string().nullable(), fileName: z.string() })),
} satisfies Record<string, MethodSpec>;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type ArgsOf<M extends MethodName> = z.input<Contract[M]['args']>;
export type ParsedArgsOf<M extends MethodName> = z.output<Contract[M]['args']>;
export type ResultOf<M extends MethodName> = z.output<Contract[M]['result']>;

export const METHOD_NAMES = Object.keys(contract) as MethodName[];

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(contract, value);
}

/** The envelope every call returns, over IPC and HTTP alike (thrown errors lose their type across IPC). */
export type RpcResponse<T> = { ok: true; value: T } | { ok: false; error: import('./errors').AppErrorData };

/** What the preload exposes on `window.lgc` and what the HTTP client implements. */
export type LgcApi = { [M in MethodName]: (args: ArgsOf<M>) => Promise<RpcResponse<ResultOf<M>>> };

/** Events pushed from main to renderer (no payload: the renderer refetches what it shows). */
export const EVENT_NAMES = ['session.changed', 'patients.changed', 'worklist.changed', 'mail.changed', 'dmp.changed', 'documents.changed'] as const;
export type EventName = (typeof EVENT_NAMES)[number];
