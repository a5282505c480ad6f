import { AppError, isAppError } from '../../../shared/errors';
import type { DmpAccessStatus } from '../dmp/types';

/**
 * Pure rules of the DMP application service: badge states and French labels, the retry schedule
 * of the upload queue and which failures are worth retrying. No I/O (unit-tested directly).
 */
export type DmpBadgeState = 'actif' | 'inexistant' | 'interdit' | 'expire' | 'mes_active' | 'non_verifiable';

export const BADGE_LABELS: Readonly<Record<Exclude<DmpBadgeState, 'non_verifiable'>, string>> = {
  actif: 'DMP actif',
  mes_active: 'Mon espace santé activé',
  inexistant: 'Pas de DMP',
  interdit: 'Accès interdit',
  expire: 'Accès expiré',
};

/** Why a badge cannot be computed (label « Non vérifiable : … »). */
export const NON_VERIFIABLE_LABELS = {
  insNonQualifiee: 'Non vérifiable : INS non qualifiée',
  horsLigne: 'Non vérifiable : hors ligne',
  nonConfigure: 'Non vérifiable : DMP non configuré',
  medecinNonConnecte: 'Non vérifiable : connexion du médecin requise',
  erreurDmp: 'Non vérifiable : erreur du DMP',
  enCours: 'Vérification du DMP en cours…',
} as const;

export function badgeState(status: DmpAccessStatus, mesActivated: boolean | null | undefined): Exclude<DmpBadgeState, 'non_verifiable'> {
  switch (status) {
    case 'VALIDE':
      return mesActivated ? 'mes_active' : 'actif';
    case 'NON_EXISTE':
      return 'inexistant';
    case 'INTERDIT':
      return 'interdit';
    case 'EXPIRE':
      return 'expire';
  }
}

// ------------------------------------------------------------------------------------------
// Upload preconditions that depend on the DMP status (used at enqueue time).

export function refusalForStatus(status: DmpAccessStatus | null | undefined): AppError | null {
  switch (status) {
    case 'NON_EXISTE':
      return new AppError('NOT_FOUND', 'Ce patient n’a pas de DMP : envoi impossible.');
    case 'INTERDIT':
      return new AppError('PERMISSION_DENIED', 'Accès au DMP de ce patient interdit : envoi impossible.');
    case 'EXPIRE':
      return new AppError('PERMISSION_DENIED', 'Accès au DMP de ce patient expiré : envoi impossible.');
    default:
      return null;
  }
}

// ------------------------------------------------------------------------------------------
// Retry schedule

export interface BackoffPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** Upper bound of the delay (the queue never gives up on a network failure). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 15_000, maxMs: 60 * 60_000 };

/** Delay before the next attempt after `failedAttempts` (≥ 1) transient failures: 15 s, 30 s, 1 min… 1 h. */
export function retryDelayMs(failedAttempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
}

const BUSY_REGISTRY_ERRORS = new Set(['XDSRegistryBusy', 'XDSRepositoryBusy', 'XDSRegistryNotAvailable']);

/**
 * Transient = the DMP could not be reached or answered as unavailable (network, time limit,
 * HTTP 5xx, server-side SOAP fault, « busy » registry errors): the upload stays queued and is
 * retried. Anything else (RegistryError, refused VIHF, conflicts, rules) is final.
 */
export function isTransientFailure(e: unknown): boolean {
  if (!isAppError(e)) return false;
  if (e.code === 'NETWORK' || e.code === 'TIMEOUT') return true;
  if (e.code !== 'REMOTE_SERVICE') return false;
  const d = (e.details ?? {}) as { httpStatus?: number; fault?: { code?: string }; errors?: { errorCode?: string }[] };
  if (d.errors?.length) return d.errors.some((r) => BUSY_REGISTRY_ERRORS.has(r.errorCode ?? ''));
  if (d.fault) return /Receiver$/.test(d.fault.code ?? '');
  return typeof d.httpStatus === 'number' && d.httpStatus >= 500;
}

/** The French message to show for a failure (internal errors are not detailed). */
export function failureMessage(e: unknown): string {
  if (isAppError(e)) return e.message;
  return 'Erreur interne inattendue. Le détail a été consigné dans le journal.';
}

// ------------------------------------------------------------------------------------------
// French dates and upload labels

const DATE_FR = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric' });
const TIME_FR = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });

/** « 12/03/2025 à 10:15 » (heure de Paris). */
export function frenchDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${DATE_FR.format(d)} à ${TIME_FR.format(d)}`;
}

export function frenchTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : TIME_FR.format(d);
}

export type UploadStatus = 'en_attente' | 'envoi' | 'envoye' | 'erreur';

export function uploadLabel(u: { status: UploadStatus; sentAt: string | null; lastError: string | null; version: number }): string {
  switch (u.status) {
    case 'envoye':
      return `envoyé le ${u.sentAt ? frenchDateTime(u.sentAt) : '?'}${u.version > 1 ? ` (version ${u.version})` : ''}`;
    case 'en_attente':
      return 'en attente';
    case 'envoi':
      return 'envoi en cours';
    case 'erreur':
      return `erreur : ${u.lastError ?? 'cause inconnue'}`;
  }
}
