import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { AppError, isAppError } from '../../../shared/errors';
import { requirePermission } from '../auth/permissions';
import { buildCdaN1 } from '../cda/build-n1';
import { documentType, LOINC_OID } from '../cda/loinc-types';
import { parseCda } from '../cda/parse';
import type { DmpClient, DmpDocumentSummary } from '../dmp/client';
import { parseHl7Time } from '../dmp/hl7';
import type { FindDocumentsFilters } from '../dmp/iti18';
import type { CdaAuthor, CdaPatient, DmpContext, InsRef, Practice, VisibilityOptions } from '../dmp/types';
import { VISIBILITY_CODES, type VisibilityCode } from '../dmp/xds-metadata';
import { assertInsTransmissible, isValidIns } from '../identity/ins';
import type { Actor } from '../identity/patients';
import { silentLogger, type Logger } from '../log/logger';
import { SYSTEM_ACTOR, type AuditRepo } from '../store/audit-repo';
import type { Db } from '../store/db';
import { createPatientsRepo, type Patient } from '../store/patients-repo';
import { createBlobStore } from '../worklist/blob-store';
import { documentEntryForCda } from './metadata';
import { createDmpAppRepo, type PatientStatusRow, type StatusRow, type UploadListRow, type UploadRow } from './dmp-app-repo';
import {
  BADGE_LABELS,
  badgeState,
  DEFAULT_BACKOFF,
  failureMessage,
  frenchTime,
  isTransientFailure,
  NON_VERIFIABLE_LABELS,
  refusalForStatus,
  retryDelayMs,
  uploadLabel,
  type BackoffPolicy,
  type UploadStatus,
} from './policy';
import type {
  DmpBadge,
  DmpChange,
  DmpConsent,
  DmpDocumentFilters,
  DmpDocumentView,
  DmpLatestDocument,
  DmpUploadView,
  LocalDocument,
  RetrievedDmpDocument,
} from './types';

/**
 * DMP application service (issue #7): badges « a-t-il un DMP ? » computed from a cache and
 * refreshed in the background (TD0.2, bounded concurrency, coalesced), the patient's information /
 * opposition, the documents produced at the practice, a persistent upload queue (CDA N1 + ITI-41,
 * retries with backoff on network failures, replacement = new version), and the DMP consultation
 * (ITI-18 / ITI-43). Nothing here blocks the caller on the network except the explicit
 * consultation calls, which are asynchronous.
 */
export interface DmpAppServiceOptions {
  db: Db;
  dataDir: string;
  logger?: Logger;
  audit: AuditRepo;
  /** null = DMP not configured on this workstation. */
  client: DmpClient | null;
  /**
   * Who calls the DMP (becomes the VIHF). `null` is asked for background status checks made by
   * the software itself: return the logged-in doctor's context, or null when nobody may call.
   */
  contextFor: (actor: Actor | null) => DmpContext | null;
  now?: () => Date;
  /** Age after which a good status is checked again (default 6 h). */
  statusTtlMs?: number;
  /** Age after which a failed check is tried again (default 2 min). */
  statusRetryMs?: number;
  /** Parallel TD0.2 checks (default 4). */
  statusConcurrency?: number;
  /** Parallel uploads (default 2). */
  uploadConcurrency?: number;
  backoff?: BackoffPolicy;
  /** When a DMP has new documents, fetch their metadata (ITI-18) for the badge (default true). */
  prefetchDocumentSummaries?: boolean;
  /** Largest PDF accepted (default 20 Mo). */
  maxPdfBytes?: number;
}

export interface AddLocalDocumentInput {
  fileName: string;
  pdf: Buffer;
  /** LOINC type among PRODUCED_DOCUMENT_TYPES. */
  typeCode: string;
  title?: string;
  /** The local document this one corrects: its upload will replace the sent version (RPLC). */
  replacesDocumentId?: number;
}

interface StoredContext {
  professional: CdaAuthor;
  practice: Practice;
  authnInstant?: string;
  authnContextClassRef?: string;
}

const MAX_LATEST = 3;
const VISIBILITY_LABELS: Record<string, string> = VISIBILITY_CODES;

export function createDmpAppService(options: DmpAppServiceOptions) {
  const { db, audit, client, contextFor } = options;
  const log = (options.logger ?? silentLogger).child('dmp-app');
  const now = options.now ?? (() => new Date());
  const iso = () => now().toISOString();
  const ttlMs = options.statusTtlMs ?? 6 * 3600_000;
  const retryMs = options.statusRetryMs ?? 2 * 60_000;
  const statusConcurrency = Math.max(1, options.statusConcurrency ?? 4);
  const uploadConcurrency = Math.max(1, options.uploadConcurrency ?? 2);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const prefetch = options.prefetchDocumentSummaries ?? true;
  const maxPdfBytes = options.maxPdfBytes ?? 20 * 1024 * 1024;

  const repo = createDmpAppRepo(db);
  const patients = createPatientsRepo(db);
  // Shared content-addressed store of the practice: <dataDir>/documents/<aa>/<sha256>.
  const blobs = createBlobStore(options.dataDir);
  const relativePath = (sha256: string) => `documents/${sha256.slice(0, 2)}/${sha256}`;
  const events = new EventEmitter();

  // ----------------------------------------------------------------------------------------
  // Change notifications (status changes are batched per event-loop turn)

  const changedStatuses = new Set<number>();
  let statusEmitScheduled = false;
  function statusChanged(patientId: number): void {
    changedStatuses.add(patientId);
    if (statusEmitScheduled) return;
    statusEmitScheduled = true;
    setImmediate(() => {
      statusEmitScheduled = false;
      const patientIds = [...changedStatuses];
      changedStatuses.clear();
      if (patientIds.length) emit({ kind: 'status', patientIds });
      settle();
    });
  }
  function emit(change: DmpChange): void {
    try {
      events.emit('change', change);
    } catch (e) {
      log.error('écouteur de changement DMP en erreur', { error: e });
    }
  }
  function uploadChanged(row: Pick<UploadRow, 'id' | 'patient_id' | 'document_id'>, status: UploadStatus): void {
    emit({ kind: 'upload', patientId: row.patient_id, documentId: row.document_id, uploadId: row.id, status });
  }

  // ----------------------------------------------------------------------------------------
  // Helpers

  function requireClient(): DmpClient {
    if (!client) throw new AppError('VALIDATION', 'DMP non configuré sur ce poste : renseignez la structure et son certificat dans les réglages.');
    return client;
  }

  function requireContext(actor: Actor, what: string): DmpContext {
    const ctx = contextFor(actor);
    if (!ctx) {
      throw new AppError('UNAUTHENTICATED', `${what} impossible : identité du médecin ou de la structure indisponible (reconnectez-vous avec Pro Santé Connect).`);
    }
    return ctx;
  }

  function requirePatient(patientId: number): Patient {
    const p = Number.isInteger(patientId) ? patients.get(patientId) : null;
    if (!p) throw new AppError('NOT_FOUND', 'Patient introuvable.');
    return p;
  }

  function qualifiedIns(p: Patient): InsRef {
    assertInsTransmissible({ status: p.identityStatus, insMatricule: p.insMatricule });
    if (!p.insOid) throw new AppError('IDENTITY_RULE', "L'identité qualifiée n'a pas d'OID d'INS : transmission impossible.");
    return { matricule: p.insMatricule!, oid: p.insOid };
  }

  const eligible = (identityStatus: string, ins: string | null, oid: string | null) =>
    identityStatus === 'QUAL' && !!ins && !!oid && isValidIns(ins);

  function toCdaPatient(p: Patient): CdaPatient {
    return {
      insMatricule: p.insMatricule!,
      insOid: p.insOid!,
      identityStatus: p.identityStatus,
      birthName: p.birthName,
      birthGivenNames: p.birthGivenNames,
      ...(p.usedName ? { usedName: p.usedName } : {}),
      ...(p.usedGivenName ? { usedGivenName: p.usedGivenName } : {}),
      birthDate: p.birthDate,
      sex: p.sex,
      ...(p.birthplaceCode ? { birthplaceCode: p.birthplaceCode } : {}),
      localId: String(p.id),
    };
  }

  function storeContext(ctx: DmpContext): string {
    const s: StoredContext = {
      professional: ctx.professional,
      practice: ctx.practice,
      ...(ctx.authnInstant ? { authnInstant: ctx.authnInstant.toISOString() } : {}),
      ...(ctx.authnContextClassRef ? { authnContextClassRef: ctx.authnContextClassRef } : {}),
    };
    return JSON.stringify(s);
  }

  function loadContext(json: string): DmpContext {
    const s = JSON.parse(json) as StoredContext;
    return {
      professional: s.professional,
      practice: s.practice,
      ...(s.authnInstant ? { authnInstant: new Date(s.authnInstant) } : {}),
      ...(s.authnContextClassRef ? { authnContextClassRef: s.authnContextClassRef } : {}),
    };
  }

  function practiceAuthors(ctx: DmpContext | null): Set<string> {
    const ours = repo.practiceNationalIds();
    if (ctx) ours.add(ctx.professional.nationalId);
    return ours;
  }

  const byNewest = (a: DmpDocumentSummary, b: DmpDocumentSummary) => (b.creationTime ?? '').localeCompare(a.creationTime ?? '');

  /** uniqueIds listed at the last consultation; null = never consulted. */
  function seenAtLastVisit(st: StatusRow | undefined): Set<string> | null {
    return st?.visit_seen_ids ? new Set(JSON.parse(st.visit_seen_ids) as string[]) : null;
  }

  /** Latest types for the badge, and documents by others not listed at the last consultation. */
  function summarize(docs: DmpDocumentSummary[], seen: Set<string> | null, ours: Set<string>): { latest: DmpLatestDocument[]; byOthers: number } {
    const approved = docs.filter((d) => d.status !== 'Deprecated').sort(byNewest);
    return {
      latest: approved.slice(0, MAX_LATEST).map((d) => ({ typeCode: d.typeCode, typeLabel: d.typeLabel, date: d.creationTime ?? null })),
      byOthers: approved.filter((d) => !ours.has(d.author.nationalId ?? '') && !seen?.has(d.uniqueId)).length,
    };
  }

  /** Columns resetting a cache row that belonged to another INS. */
  const RESET_STATUS = {
    status: null,
    mes_activated: null,
    last_document_date: null,
    checked_at: null,
    error: null,
    error_kind: null,
    error_at: null,
    latest_documents: null,
    documents_by_others_since_last_visit: null,
    last_visit_at: null,
    visit_seen_ids: null,
  } as const;

  // ----------------------------------------------------------------------------------------
  // Badges

  function badgeFor(r: PatientStatusRow, pending: boolean, blocked: 'nonConfigure' | 'medecinNonConnecte' | null): DmpBadge {
    const base: DmpBadge = {
      patientId: r.id,
      state: 'non_verifiable',
      label: NON_VERIFIABLE_LABELS.insNonQualifiee,
      lastDocumentDate: null,
      checkedAt: null,
      pending: false,
      lastKnown: null,
      mesActivated: null,
      detail: null,
      latestDocuments: [],
      documentsByOthersSinceLastVisit: null,
      lastVisitAt: null,
    };
    if (!eligible(r.identity_status, r.patient_ins, r.patient_ins_oid)) return base;
    const cached = r.cached_ins === r.patient_ins;
    const good = cached && r.status ? badgeState(r.status, r.mes_activated === 1) : null;
    const known: DmpBadge = cached
      ? {
          ...base,
          pending,
          lastDocumentDate: r.last_document_date,
          checkedAt: r.checked_at,
          mesActivated: r.mes_activated == null ? null : r.mes_activated === 1,
          latestDocuments: r.latest_documents ? (JSON.parse(r.latest_documents) as DmpLatestDocument[]) : [],
          documentsByOthersSinceLastVisit: r.documents_by_others_since_last_visit,
          lastVisitAt: r.last_visit_at,
        }
      : { ...base, pending };
    const lastKnown = good ? { state: good, label: BADGE_LABELS[good] } : null;
    if (blocked === 'nonConfigure') return { ...known, pending: false, label: NON_VERIFIABLE_LABELS.nonConfigure, lastKnown };
    const failed = cached && !!r.error_at && (!r.checked_at || r.error_at > r.checked_at);
    if (failed) {
      return {
        ...known,
        label: r.error_kind === 'hors_ligne' ? NON_VERIFIABLE_LABELS.horsLigne : NON_VERIFIABLE_LABELS.erreurDmp,
        detail: r.error,
        lastKnown,
      };
    }
    if (good) return { ...known, state: good, label: BADGE_LABELS[good] };
    if (blocked === 'medecinNonConnecte') return { ...known, label: NON_VERIFIABLE_LABELS.medecinNonConnecte };
    return { ...known, label: NON_VERIFIABLE_LABELS.enCours };
  }

  function isStale(r: PatientStatusRow, nowMs: number): boolean {
    if (r.cached_ins !== r.patient_ins) return true;
    const ok = r.checked_at ? Date.parse(r.checked_at) : null;
    const err = r.error_at ? Date.parse(r.error_at) : null;
    if (err !== null && (ok === null || err > ok)) return nowMs - err >= retryMs;
    if (ok === null) return true;
    return nowMs - ok >= ttlMs;
  }

  // Background TD0.2 checks: FIFO, coalesced per patient, bounded concurrency.
  const checkQueue: number[] = [];
  const checkContexts = new Map<number, DmpContext>();
  const checksRunning = new Set<number>();
  let checkPumpScheduled = false;
  let stopped = false;

  function enqueueCheck(patientId: number, ctx: DmpContext): void {
    if (stopped || checkContexts.has(patientId) || checksRunning.has(patientId)) return;
    checkContexts.set(patientId, ctx);
    checkQueue.push(patientId);
    if (!checkPumpScheduled) {
      checkPumpScheduled = true;
      setImmediate(() => {
        checkPumpScheduled = false;
        pumpChecks();
      });
    }
  }

  function pumpChecks(): void {
    while (!stopped && checksRunning.size < statusConcurrency && checkQueue.length) {
      const id = checkQueue.shift()!;
      const ctx = checkContexts.get(id)!;
      checkContexts.delete(id);
      checksRunning.add(id);
      runCheck(id, ctx)
        .catch((e) => log.error('vérification DMP en erreur', { error: e }))
        .finally(() => {
          checksRunning.delete(id);
          statusChanged(id);
          pumpChecks();
          settle();
        });
    }
    settle();
  }

  async function runCheck(patientId: number, ctx: DmpContext): Promise<void> {
    const p = patients.get(patientId);
    if (!client || !p || !eligible(p.identityStatus, p.insMatricule, p.insOid)) return;
    const ins: InsRef = { matricule: p.insMatricule!, oid: p.insOid! };
    const prev = repo.status(patientId);
    const sameIns = prev?.ins_matricule === ins.matricule;
    try {
      const r = await client.testExistence(ins, ctx);
      const fields: Partial<StatusRow> = {
        ...(sameIns ? {} : RESET_STATUS),
        ins_matricule: ins.matricule,
        status: r.status,
        mes_activated: r.mesActivated ? 1 : 0,
        last_document_date: r.lastDocumentDate ?? null,
        checked_at: iso(),
        error: null,
        error_kind: null,
        error_at: null,
      };
      if (r.status !== 'VALIDE') {
        fields.latest_documents = null;
        fields.documents_by_others_since_last_visit = null;
      } else if (!r.lastDocumentDate) {
        fields.latest_documents = '[]';
        fields.documents_by_others_since_last_visit = 0;
      } else if (prefetch && (!sameIns || prev?.latest_documents == null || prev.last_document_date !== r.lastDocumentDate)) {
        try {
          const docs = await client.findDocuments(ins, ctx);
          const s = summarize(docs, sameIns ? seenAtLastVisit(prev) : null, practiceAuthors(ctx));
          fields.latest_documents = JSON.stringify(s.latest);
          fields.documents_by_others_since_last_visit = s.byOthers;
        } catch (e) {
          log.warn('résumé des documents DMP indisponible', { code: isAppError(e) ? e.code : 'INTERNAL' });
        }
      }
      repo.saveStatus(patientId, fields);
    } catch (e) {
      const transient = isTransientFailure(e);
      log.info('test d’existence DMP en échec', { code: isAppError(e) ? e.code : 'INTERNAL', transient });
      repo.saveStatus(patientId, {
        ...(sameIns ? {} : RESET_STATUS),
        ins_matricule: ins.matricule,
        error: failureMessage(e),
        error_kind: transient ? 'hors_ligne' : 'dmp',
        error_at: iso(),
      });
    }
  }

  // ----------------------------------------------------------------------------------------
  // Upload queue

  const sending = new Set<number>();
  let workerStarted = false;
  let flushDepth = 0;
  let timer: NodeJS.Timeout | null = null;
  const idleWaiters: (() => void)[] = [];
  const workerActive = () => (workerStarted && !stopped) || flushDepth > 0;

  function isIdle(): boolean {
    if (sending.size || checksRunning.size || checkQueue.length || checkPumpScheduled || statusEmitScheduled) return false;
    return !workerActive() || !repo.nextDue(iso());
  }

  function settle(): void {
    if (!idleWaiters.length || !isIdle()) return;
    for (const w of idleWaiters.splice(0)) w();
  }

  function scheduleNext(): void {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    // While sends are in flight, their completion pumps again (no timer: it would spin on due rows).
    if (!workerStarted || stopped || sending.size >= uploadConcurrency) return;
    const at = repo.earliestPending();
    if (!at) return;
    const delay = Math.min(Math.max(0, Date.parse(at) - now().getTime()), 2 ** 31 - 1);
    timer = setTimeout(() => {
      timer = null;
      pump();
    }, delay);
    timer.unref();
  }

  function pump(): void {
    if (workerActive()) {
      while (sending.size < uploadConcurrency) {
        const row = repo.nextDue(iso());
        if (!row || !repo.startAttempt(row.id)) break;
        sending.add(row.id);
        uploadChanged(row, 'envoi');
        void send(row).finally(() => {
          sending.delete(row.id);
          pump();
        });
      }
      scheduleNext();
    }
    settle();
  }

  /** Not retried: the reason is shown as « erreur : … » and audited. */
  class FinalFailure extends AppError {}

  async function send(row: UploadRow): Promise<void> {
    // Yield first: CDA reading and VIHF signing must not run inside the caller's turn.
    await new Promise<void>((r) => setImmediate(r));
    let ctx: DmpContext | undefined;
    let ins: InsRef | undefined;
    try {
      if (!client) throw new AppError('NETWORK', 'DMP non configuré sur ce poste : l’envoi reprendra quand il le sera.');
      const p = patients.get(row.patient_id);
      if (!p || p.identityStatus !== 'QUAL' || p.insMatricule !== row.ins_matricule || !p.insOid) {
        throw new FinalFailure('IDENTITY_RULE', 'Identité du patient modifiée ou non qualifiée depuis la préparation de l’envoi : renvoyez le document.');
      }
      const consent = repo.consent(row.patient_id);
      if (!consent?.dmp_informed_at || consent.dmp_opposed) {
        throw new FinalFailure('VALIDATION', 'Envoi annulé : le patient n’est pas informé ou s’est opposé à l’alimentation de son DMP.');
      }
      ins = { matricule: p.insMatricule, oid: p.insOid };
      ctx = loadContext(row.context);
      const cda = blobs.get(row.cda_sha256);
      const metadata = documentEntryForCda(cda, {
        visibility: {
          hiddenFromProfessionals: row.hidden_from_professionals === 1,
          invisibleToPatient: row.invisible_to_patient === 1,
          invisibleToLegalRepresentatives: row.invisible_to_legal_representatives === 1,
        },
        now,
      });
      const result = await client.provideDocument(cda, metadata, ctx);
      succeed(row, result.entryUuid, parseHl7Time(metadata.documentEntry.creationTime)?.toISOString() ?? null, metadata.documentEntry.typeCode.code);
    } catch (e) {
      // A previous attempt may have reached the DMP without us hearing the answer.
      if (isAppError(e) && e.code === 'CONFLICT' && row.attempts > 0 && client && ctx && ins) {
        try {
          const found = (await client.findDocuments(ins, ctx, { statuses: ['Approved', 'Deprecated'] })).find((d) => d.uniqueId === row.cda_id);
          if (found) {
            succeed(row, found.entryUuid, found.creationTime ?? null, found.typeCode);
            return;
          }
        } catch {
          // fall through: report the conflict
        }
      }
      const message = failureMessage(e);
      if (!(e instanceof FinalFailure) && isTransientFailure(e)) {
        const fresh = repo.upload(row.id);
        const attempts = fresh?.attempts ?? row.attempts + 1;
        const next = new Date(now().getTime() + retryDelayMs(attempts, backoff)).toISOString();
        repo.requeue(row.id, next, message);
        log.info('envoi DMP reporté', { uploadId: row.id, attempts, next, code: isAppError(e) ? e.code : 'INTERNAL' });
        uploadChanged(row, 'en_attente');
        return;
      }
      if (!isAppError(e)) log.error('envoi DMP : erreur interne', { uploadId: row.id, error: e });
      repo.fail(row.id, message);
      audit.append(SYSTEM_ACTOR, 'dmp.envoi.erreur', row.patient_id, { documentId: row.document_id, uploadId: row.id, version: row.version, erreur: message });
      log.warn('envoi DMP refusé', { uploadId: row.id, code: isAppError(e) ? e.code : 'INTERNAL' });
      uploadChanged(row, 'erreur');
      // The DMP refused access or does not know the patient: refresh the badge.
      if (isAppError(e) && (e.code === 'PERMISSION_DENIED' || e.code === 'NOT_FOUND') && ctx) {
        enqueueCheck(row.patient_id, ctx);
      }
    }
  }

  function succeed(row: UploadRow, entryUuid: string | null, creationTime: string | null, typeCode: string): void {
    const sentAt = iso();
    repo.markSent(row.id, sentAt, entryUuid);
    audit.append(SYSTEM_ACTOR, 'dmp.envoi.envoye', row.patient_id, { documentId: row.document_id, uploadId: row.id, cdaId: row.cda_id, version: row.version });
    log.info('document envoyé au DMP', { uploadId: row.id, version: row.version });
    // Our own document is now the latest of the DMP: keep the badge in step without a new check.
    const st = repo.status(row.patient_id);
    if (st?.ins_matricule === row.ins_matricule && st.status === 'VALIDE' && creationTime) {
      const latest = st.latest_documents ? (JSON.parse(st.latest_documents) as DmpLatestDocument[]) : [];
      const doc = repo.document(row.document_id);
      latest.unshift({ typeCode, typeLabel: doc?.type_label ?? typeCode, date: creationTime });
      latest.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
      repo.saveStatus(row.patient_id, {
        last_document_date: !st.last_document_date || creationTime > st.last_document_date ? creationTime : st.last_document_date,
        latest_documents: JSON.stringify(latest.slice(0, MAX_LATEST)),
      });
      statusChanged(row.patient_id);
    }
    uploadChanged(row, 'envoye');
  }

  function uploadView(r: UploadListRow): DmpUploadView {
    const detail = r.status === 'en_attente' && r.last_error
      ? `Nouvel essai${r.next_attempt_at ? ` à ${frenchTime(r.next_attempt_at)}` : ''} — ${r.last_error}`
      : null;
    return {
      id: r.id,
      documentId: r.document_id,
      patientId: r.patient_id,
      title: r.title,
      typeCode: r.type_code,
      typeLabel: r.type_label,
      fileName: r.file_name,
      status: r.status,
      label: uploadLabel({ status: r.status, sentAt: r.sent_at, lastError: r.last_error, version: r.version }),
      detail,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'en_attente' ? r.next_attempt_at : null,
      lastError: r.last_error,
      cdaId: r.cda_id,
      setId: r.set_id,
      version: r.version,
      visibility: {
        hiddenFromProfessionals: r.hidden_from_professionals === 1,
        invisibleToPatient: r.invisible_to_patient === 1,
        invisibleToLegalRepresentatives: r.invisible_to_legal_representatives === 1,
      },
      createdAt: r.created_at,
      sentAt: r.sent_at,
    };
  }

  function consentView(patientId: number): DmpConsent {
    const c = repo.consent(patientId);
    if (!c) throw new AppError('NOT_FOUND', 'Patient introuvable.');
    return {
      patientId,
      informedAt: c.dmp_informed_at,
      opposed: c.dmp_opposed === 1,
      recordedAt: c.dmp_consent_at,
      recordedBy: c.consent_by_name,
      canSend: !!c.dmp_informed_at && c.dmp_opposed !== 1,
    };
  }

  function visibilityOf(v: VisibilityOptions | undefined): Required<VisibilityOptions> {
    const out = {
      hiddenFromProfessionals: v?.hiddenFromProfessionals ?? false,
      invisibleToPatient: v?.invisibleToPatient ?? false,
      invisibleToLegalRepresentatives: v?.invisibleToLegalRepresentatives ?? false,
    };
    if (Object.values(out).some((b) => typeof b !== 'boolean')) throw new AppError('INVALID_ARGUMENTS', 'Options de visibilité invalides.');
    return out;
  }

  // ----------------------------------------------------------------------------------------
  // Public API

  return {
    on(event: 'change', listener: (change: DmpChange) => void): () => void {
      events.on(event, listener);
      return () => events.off(event, listener);
    },

    /**
     * Badges from the cache, at once; stale or missing ones are checked in the background
     * ('change' is emitted when results land). `actor` names who the checks are made for
     * (contextFor(actor ?? null)).
     */
    statuses(patientIds: number[], actor?: Actor | null): DmpBadge[] {
      const ids = [...new Set(patientIds.filter((id) => Number.isInteger(id)))];
      if (!ids.length) return [];
      const rows = new Map(repo.patientStatuses(ids).map((r) => [r.id, r]));
      const ctx = client ? contextFor(actor ?? null) : null;
      const blocked = !client ? 'nonConfigure' : !ctx ? 'medecinNonConnecte' : null;
      const nowMs = now().getTime();
      if (ctx && !stopped) {
        for (const r of rows.values()) {
          if (eligible(r.identity_status, r.patient_ins, r.patient_ins_oid) && isStale(r, nowMs)) enqueueCheck(r.id, ctx);
        }
      }
      return ids
        .map((id) => rows.get(id))
        .filter((r): r is PatientStatusRow => !!r)
        .map((r) => badgeFor(r, checkContexts.has(r.id) || checksRunning.has(r.id), blocked));
    },

    consent(patientId: number): DmpConsent {
      return consentView(patientId);
    },

    /** Records that the patient was informed of the feeding of their DMP, and their opposition. */
    setConsent(actor: Actor, patientId: number, input: { informed: boolean; opposed: boolean }): DmpConsent {
      requirePermission(actor, 'patient.edit');
      if (typeof input?.informed !== 'boolean' || typeof input?.opposed !== 'boolean') {
        throw new AppError('INVALID_ARGUMENTS', 'Information et opposition du patient : valeurs oui/non attendues.');
      }
      requirePatient(patientId);
      const prev = repo.consent(patientId)!;
      const at = iso();
      const informed = input.informed || input.opposed; // an opposition is expressed by an informed patient
      const cancelled = repo.transaction(() => {
        repo.setConsent(patientId, informed ? (prev.dmp_informed_at ?? at) : null, input.opposed, actor.userId, at);
        audit.append(actor, 'dmp.consentement', patientId, { informe: informed, opposition: input.opposed });
        if (informed && !input.opposed) return [];
        const pending = repo.pendingOfPatient(patientId);
        for (const u of pending) {
          repo.fail(u.id, input.opposed ? 'Envoi annulé : le patient s’est opposé à l’alimentation de son DMP.' : 'Envoi annulé : information du patient retirée.');
          audit.append(actor, 'dmp.envoi.annule', patientId, { documentId: u.document_id, uploadId: u.id });
        }
        return pending;
      });
      for (const u of cancelled) uploadChanged(u, 'erreur');
      return consentView(patientId);
    },

    /** Files a PDF produced at the practice (content-addressed under <dataDir>/documents). */
    addLocalDocument(actor: Actor, patientId: number, input: AddLocalDocumentInput): LocalDocument {
      requirePermission(actor, 'patient.edit');
      const p = requirePatient(patientId);
      if (!Buffer.isBuffer(input?.pdf)) throw new AppError('INVALID_ARGUMENTS', 'Contenu du document manquant.');
      if (input.pdf.length < 5 || input.pdf.subarray(0, 5).toString('latin1') !== '%PDF-') {
        throw new AppError('VALIDATION', 'Le fichier fourni n’est pas un PDF.');
      }
      if (input.pdf.length > maxPdfBytes) {
        throw new AppError('VALIDATION', `Document trop volumineux (${(input.pdf.length / 1048576).toFixed(1)} Mo, limite ${(maxPdfBytes / 1048576).toFixed(0)} Mo).`);
      }
      const type = typeof input.typeCode === 'string' ? documentType(input.typeCode) : undefined;
      if (!type) throw new AppError('VALIDATION', `Type de document non pris en charge pour un document produit au cabinet : ${String(input.typeCode)}.`);
      const fileName = basename(String(input.fileName ?? '').replace(/\\/g, '/')).trim().slice(0, 200);
      if (!fileName) throw new AppError('VALIDATION', 'Nom du fichier manquant.');
      const title = (input.title ?? '').trim().slice(0, 250) || type.title;
      let replaces: number | null = null;
      if (input.replacesDocumentId !== undefined) {
        const old = repo.document(input.replacesDocumentId);
        if (!old || old.origin !== 'local' || old.patient_id !== p.id) throw new AppError('NOT_FOUND', 'Document à remplacer introuvable dans le dossier de ce patient.');
        if (old.replaced_by) throw new AppError('CONFLICT', 'Ce document a déjà été remplacé par une version plus récente.');
        replaces = old.id;
      }
      const blob = blobs.put(input.pdf);
      const createdAt = iso();
      const id = repo.transaction(() => {
        const newId = repo.insertDocument({
          patientId: p.id,
          typeCode: type.code,
          typeLabel: type.displayName,
          title,
          date: createdAt,
          sha256: blob.sha256,
          userId: actor.userId,
          fileName,
          contentPath: relativePath(blob.sha256),
        });
        if (replaces) repo.markReplaced(replaces, newId);
        audit.append(actor, 'document.ajout', p.id, { documentId: newId, type: type.code, ...(replaces ? { remplace: replaces } : {}) });
        return newId;
      });
      return { id, patientId: p.id, fileName, typeCode: type.code, typeLabel: type.displayName, title, createdAt, sha256: blob.sha256, size: blob.size, contentPath: relativePath(blob.sha256), replacesDocumentId: replaces };
    },

    /** PDF bytes of a local document. */
    localDocumentContent(documentId: number): Buffer {
      const doc = repo.document(documentId);
      if (!doc || doc.origin !== 'local' || !doc.content_sha256) throw new AppError('NOT_FOUND', 'Document introuvable.');
      return blobs.get(doc.content_sha256);
    },

    /**
     * Checks the preconditions, builds the CDA N1 and queues it; the worker sends it. A document
     * already sent (or replacing a sent one) goes as a new version: same setId, version + 1, RPLC.
     */
    upload(actor: Actor, documentId: number, visibility?: VisibilityOptions): DmpUploadView {
      requirePermission(actor, 'dmp.send');
      requireClient();
      const ctx = requireContext(actor, 'Envoi au DMP');
      const doc = repo.document(documentId);
      if (!doc || doc.origin !== 'local' || !doc.content_sha256 || !doc.type_code) throw new AppError('NOT_FOUND', 'Document introuvable.');
      const vis = visibilityOf(visibility);
      const p = requirePatient(doc.patient_id);
      qualifiedIns(p);
      const consent = repo.consent(p.id)!;
      if (consent.dmp_opposed === 1) throw new AppError('VALIDATION', 'Le patient s’est opposé à l’alimentation de son DMP : envoi impossible.');
      if (!consent.dmp_informed_at) {
        throw new AppError('VALIDATION', 'Le patient doit d’abord être informé de l’alimentation de son DMP : enregistrez cette information avant l’envoi.');
      }
      const st = repo.status(p.id);
      if (st?.ins_matricule === p.insMatricule) {
        const refusal = refusalForStatus(st.status);
        if (refusal) throw refusal;
      }
      if (doc.replaced_by) throw new AppError('CONFLICT', 'Ce document a été remplacé par une version plus récente : envoyez la nouvelle version.');
      const predecessor = repo.predecessor(doc.id);
      if (repo.activeUpload(doc.id) || (predecessor && repo.activeUpload(predecessor))) {
        throw new AppError('CONFLICT', 'Un envoi de ce document au DMP est déjà en cours.');
      }
      const previous = repo.latestSent(doc.id) ?? (predecessor ? repo.latestSent(predecessor) : undefined);
      const pdf = blobs.get(doc.content_sha256);
      const cda = buildCdaN1({
        pdf,
        typeCode: doc.type_code,
        ...(doc.title ? { title: doc.title } : {}),
        patient: toCdaPatient(p),
        author: ctx.professional,
        practice: ctx.practice,
        now,
        ...(previous ? { replaces: { id: previous.cda_id, setId: previous.set_id, versionNumber: previous.version } } : {}),
      });
      const cdaBlob = blobs.put(Buffer.from(cda.xml, 'utf8'));
      const createdAt = iso();
      const uploadId = repo.transaction(() => {
        const id = repo.insertUpload({
          documentId: doc.id,
          patientId: p.id,
          hidden: vis.hiddenFromProfessionals ? 1 : 0,
          invisiblePatient: vis.invisibleToPatient ? 1 : 0,
          invisibleLegal: vis.invisibleToLegalRepresentatives ? 1 : 0,
          cdaId: cda.id,
          setId: cda.setId,
          version: cda.versionNumber,
          replacesUploadId: previous?.id ?? null,
          cdaSha256: cdaBlob.sha256,
          ins: p.insMatricule!,
          context: storeContext(ctx),
          createdAt,
          createdBy: actor.userId,
        });
        repo.setDocumentVersion(doc.id, cda.id, cda.setId, cda.versionNumber, id);
        audit.append(actor, 'dmp.envoi.demande', p.id, {
          documentId: doc.id,
          uploadId: id,
          version: cda.versionNumber,
          ...(previous ? { remplace: previous.cda_id } : {}),
          visibilite: (Object.keys(vis) as (keyof typeof vis)[]).filter((k) => vis[k]),
        });
        return id;
      });
      const view = repo.uploadsOfPatient(p.id).find((u) => u.id === uploadId)!;
      uploadChanged(view, 'en_attente');
      if (workerStarted && !stopped) setImmediate(pump);
      return uploadView(view);
    },

    /** Per-document upload statuses of a patient, newest first. */
    uploads(patientId: number): DmpUploadView[] {
      return repo.uploadsOfPatient(patientId).map(uploadView);
    },

    /** DMP consultation (ITI-18): filters by type and date at the DMP, by author and visibility here. */
    async documents(actor: Actor, patientId: number, filters: DmpDocumentFilters = {}): Promise<DmpDocumentView[]> {
      requirePermission(actor, 'dmp.read');
      const c = requireClient();
      const ctx = requireContext(actor, 'Consultation du DMP');
      const p = requirePatient(patientId);
      const ins = qualifiedIns(p);
      const date = (v: string | undefined, what: string) => {
        if (v === undefined) return undefined;
        const d = new Date(v);
        if (Number.isNaN(d.getTime())) throw new AppError('INVALID_ARGUMENTS', `${what} invalide.`);
        return d;
      };
      const query: FindDocumentsFilters = {
        statuses: filters.includeReplaced ? ['Approved', 'Deprecated'] : ['Approved'],
        ...(filters.typeCodes?.length ? { typeCodes: filters.typeCodes.map((code) => ({ code, scheme: LOINC_OID })) } : {}),
        ...(filters.from ? { creationTimeFrom: date(filters.from, 'Date de début') } : {}),
        ...(filters.to ? { creationTimeTo: date(filters.to, 'Date de fin') } : {}),
      };
      const found = await c.findDocuments(ins, ctx, query);
      const st = repo.status(p.id);
      const sameIns = st?.ins_matricule === ins.matricule;
      const seen = sameIns ? seenAtLastVisit(st) : null;
      const ours = practiceAuthors(ctx);
      const local = repo.localDocumentsByCdaId(found.map((d) => d.uniqueId));
      const author = filters.author?.trim().toLowerCase();
      const vis = filters.visibility?.length ? new Set(filters.visibility) : null;
      const views = found
        .filter((d) => !author || d.author.nationalId === filters.author!.trim() || d.author.name.toLowerCase().includes(author))
        .filter((d) => !vis || (d.visibility.length === 0 ? vis.has('normale') : d.visibility.some((v) => vis.has(v as VisibilityCode))))
        .sort(byNewest)
        .map((d): DmpDocumentView => {
          const byOthers = !ours.has(d.author.nationalId ?? '');
          return {
            ...d,
            visibilityLabels: d.visibility.map((v) => VISIBILITY_LABELS[v] ?? v),
            byOthers,
            newSinceLastVisit: byOthers && !seen?.has(d.uniqueId),
            localDocumentId: local.get(d.uniqueId) ?? null,
          };
        });
      // What was listed is now « seen »; a complete listing also refreshes the badge's latest types.
      const complete = !filters.typeCodes?.length && !filters.from && !filters.to;
      const newlySeen = summarize(found, seen, ours).byOthers;
      const before = sameIns ? (st?.documents_by_others_since_last_visit ?? null) : null;
      repo.saveStatus(p.id, {
        ...(sameIns ? {} : { ...RESET_STATUS, ins_matricule: ins.matricule }),
        last_visit_at: iso(),
        visit_seen_ids: JSON.stringify([...new Set([...(seen ?? []), ...found.map((d) => d.uniqueId)])]),
        documents_by_others_since_last_visit: complete ? 0 : before === null ? null : Math.max(0, before - newlySeen),
        ...(complete ? { latest_documents: JSON.stringify(summarize(found, null, ours).latest) } : {}),
      });
      audit.append(actor, 'dmp.consultation', p.id, { documents: views.length });
      statusChanged(p.id);
      return views;
    },

    /** ITI-43: the PDF carried by the CDA (or the CDA itself when it has none). */
    async retrieve(actor: Actor, patientId: number, uniqueId: string, repositoryUniqueId: string): Promise<RetrievedDmpDocument> {
      requirePermission(actor, 'dmp.read');
      const c = requireClient();
      const ctx = requireContext(actor, 'Consultation du DMP');
      const p = requirePatient(patientId);
      const ins = qualifiedIns(p);
      if (typeof uniqueId !== 'string' || !uniqueId || typeof repositoryUniqueId !== 'string' || !repositoryUniqueId) {
        throw new AppError('INVALID_ARGUMENTS', 'Identifiant du document DMP manquant.');
      }
      const cda = await c.retrieveDocument(uniqueId, repositoryUniqueId, { ...ctx, patient: ins });
      const parsed = parseCda(cda);
      if (parsed.patient.ins && parsed.patient.ins.matricule !== ins.matricule) {
        throw new AppError('IDENTITY_RULE', 'Le document reçu du DMP concerne un autre patient (INS différent) : affichage refusé.');
      }
      audit.append(actor, 'dmp.document.consultation', p.id, { uniqueId });
      return parsed.pdf
        ? { uniqueId, kind: 'pdf', data: parsed.pdf, mimeType: 'application/pdf', cda, title: parsed.title ?? null, level: parsed.level }
        : { uniqueId, kind: 'cda', data: cda, mimeType: 'text/xml', cda, title: parsed.title ?? null, level: parsed.level };
    },

    /** Starts the upload worker: interrupted sends are queued again, due ones sent. */
    start(): void {
      if (workerStarted && !stopped) return;
      workerStarted = true;
      stopped = false;
      const resumed = repo.resetInterrupted(iso());
      if (resumed) log.info('envois DMP interrompus remis en file', { count: resumed });
      setImmediate(pump);
    },

    /** Stops timers and background work; resolves once in-flight calls have ended. */
    async stop(): Promise<void> {
      workerStarted = false;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      checkQueue.length = 0;
      checkContexts.clear();
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
    },

    /** Sends every queued upload now, ignoring the backoff (« Réessayer maintenant »); resolves when done. */
    async flush(): Promise<void> {
      flushDepth++;
      try {
        repo.makeAllDue(iso());
        pump();
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          settle();
        });
      } finally {
        flushDepth--;
      }
    },

    /** Resolves when no check or send is running and nothing is due. */
    whenIdle(): Promise<void> {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
    },
  };
}

export type DmpAppService = ReturnType<typeof createDmpAppService>;
