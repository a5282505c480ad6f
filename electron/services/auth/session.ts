import { AppError, toErrorData, type AppErrorData } from '../../../shared/errors';
import { silentLogger, type Logger } from '../log/logger';
import { toProfessional, type Professional } from './professional';
import type { PscClient, PscTokens } from './psc-client';

/**
 * The Pro Santé Connect session of the person at the workstation. Tokens live in this object's
 * memory only (never written anywhere); they are renewed before expiry, dropped when the
 * session locks, and the session ends cleanly when renewal is refused.
 */

export type SessionState = 'signed-out' | 'active' | 'locked';

export type SessionChangeReason =
  | 'signed-in'
  | 'token-refreshed'
  | 'locked'
  | 'unlocked'
  | 'logged-out'
  | 'refresh-failed'
  | 'expired';

export interface SessionChange {
  state: SessionState;
  user: Professional | null;
  reason: SessionChangeReason;
  /** French text for the screen when the change was not asked for by the user. */
  message?: string;
  error?: AppErrorData;
}

export type SessionPscClient = Pick<PscClient, 'refresh' | 'userinfo' | 'endSessionUrl'> & Partial<Pick<PscClient, 'revoke'>>;

export interface SessionManagerOptions {
  client: SessionPscClient;
  logger?: Logger;
  /** Inactivity before the session locks (default 2 h). */
  lockAfterMs?: number;
  /** Share of the access token lifetime after which it is renewed (default 0.8). */
  refreshAtRatio?: number;
  now?: () => number;
}

export const DEFAULT_LOCK_AFTER_MS = 2 * 60 * 60 * 1000;
const EXPIRY_MARGIN_MS = 30_000;
const MAX_RETRY_DELAY_MS = 30_000;

type Listener = (change: SessionChange) => void;

export class SessionManager {
  readonly #client: SessionPscClient;
  readonly #log: Logger;
  readonly #lockAfterMs: number;
  readonly #ratio: number;
  readonly #now: () => number;
  readonly #listeners = new Set<Listener>();

  #state: SessionState = 'signed-out';
  #user: Professional | null = null;
  #tokens: PscTokens | null = null;
  /** Kept while locked, only as `id_token_hint` for the logout URL. */
  #idToken: string | null = null;
  /** Bumped on every sign-in/lock/end: a slow async step from an older session must not apply. */
  #generation = 0;
  #refreshTimer: NodeJS.Timeout | undefined;
  #lockTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | null = null;
  #lastActivity = 0;

  constructor(options: SessionManagerOptions) {
    this.#client = options.client;
    this.#log = (options.logger ?? silentLogger).child('session');
    this.#lockAfterMs = options.lockAfterMs ?? DEFAULT_LOCK_AFTER_MS;
    this.#ratio = options.refreshAtRatio ?? 0.8;
    this.#now = options.now ?? Date.now;
  }

  get state(): SessionState { return this.#state; }
  get user(): Professional | null { return this.#user; }
  /** Epoch ms at which the current access token expires (null when none is held). */
  get accessTokenExpiresAt(): number | null { return this.#tokens?.expiresAt ?? null; }

  on(event: 'change', listener: Listener): () => void {
    if (event !== 'change') throw new TypeError(`événement inconnu : ${String(event)}`);
    this.#listeners.add(listener);
    return () => this.off(event, listener);
  }

  off(_event: 'change', listener: Listener): void {
    this.#listeners.delete(listener);
  }

  /** Opens the session with fresh tokens (browser or CIBA login). */
  async signIn(tokens: PscTokens): Promise<Professional> {
    if (this.#state !== 'signed-out') {
      this.#revoke(this.#tokens?.refreshToken);
      this.#end();
    }
    const generation = ++this.#generation;
    const user = await this.#identify(tokens);
    if (generation !== this.#generation) throw new AppError('UNAUTHENTICATED', 'Connexion interrompue.');
    this.#activate(tokens, user);
    this.#log.info('Session ouverte', { nationalId: user.nationalId, role: user.role });
    this.#emit({ reason: 'signed-in' });
    return user;
  }

  /** Current access token; throws when signed out, locked or expired (renewal then starts). */
  accessToken(): string {
    this.#assertUsable();
    const tokens = this.#tokens!;
    if (this.#now() >= tokens.expiresAt) {
      void this.#refreshNow();
      throw new AppError('UNAUTHENTICATED', 'Le jeton Pro Santé Connect a expiré ; renouvellement en cours, réessayez dans un instant.');
    }
    return tokens.accessToken;
  }

  /** Access token not about to expire (30 s, or less for short-lived tokens), renewed first if needed. */
  async freshAccessToken(): Promise<string> {
    this.#assertUsable();
    const { expiresAt, obtainedAt, refreshToken } = this.#tokens!;
    const margin = Math.min(EXPIRY_MARGIN_MS, (expiresAt - obtainedAt) * (1 - this.#ratio));
    if (this.#now() >= expiresAt - margin && refreshToken) {
      await this.#refreshNow();
      this.#assertUsable();
    }
    return this.accessToken();
  }

  /** User activity (input events): postpones the inactivity lock. Cheap, call freely. */
  touch(): void {
    if (this.#state === 'active') this.#lastActivity = this.#now();
  }

  /** Locks the session and drops its tokens; unlocking needs a new PSC login of the same person. */
  lock(reason: 'inactivity' | 'manual' = 'manual'): void {
    if (this.#state !== 'active') return;
    const refreshToken = this.#tokens?.refreshToken;
    this.#generation++;
    this.#clearTimers();
    this.#tokens = null;
    this.#state = 'locked';
    this.#revoke(refreshToken);
    this.#log.info('Session verrouillée', { reason });
    this.#emit({
      reason: 'locked',
      message: reason === 'inactivity'
        ? 'Session verrouillée après une période d\'inactivité. Reconnectez-vous avec Pro Santé Connect pour continuer.'
        : 'Session verrouillée. Reconnectez-vous avec Pro Santé Connect pour continuer.',
    });
  }

  /** Unlocks with tokens from a new login; refused unless it is the same professional. */
  async unlock(tokens: PscTokens): Promise<Professional> {
    if (this.#state === 'signed-out') throw new AppError('UNAUTHENTICATED', 'Aucune session à déverrouiller : veuillez vous connecter.');
    if (this.#state === 'active') return this.#user!;
    const generation = this.#generation;
    const lockedUser = this.#user!;
    const user = await this.#identify(tokens);
    if (generation !== this.#generation || this.#state !== 'locked') {
      throw new AppError('UNAUTHENTICATED', 'La session a été fermée entre-temps : veuillez vous connecter.');
    }
    if (user.nationalId !== lockedUser.nationalId) {
      this.#revoke(tokens.refreshToken);
      this.#log.warn('Déverrouillage refusé : autre professionnel', { locked: lockedUser.nationalId, presented: user.nationalId });
      throw new AppError(
        'PERMISSION_DENIED',
        `Cette session appartient à ${lockedUser.givenName} ${lockedUser.familyName} : seule cette personne peut la déverrouiller. Fermez la session pour changer d'utilisateur.`,
      );
    }
    this.#generation++;
    this.#activate(tokens, user);
    this.#log.info('Session déverrouillée', { nationalId: user.nationalId });
    this.#emit({ reason: 'unlocked' });
    return user;
  }

  /** Ends the session; returns the PSC end-session URL to open in the browser (or null). */
  async logout(): Promise<string | null> {
    if (this.#state === 'signed-out') return null;
    const idToken = this.#idToken;
    const refreshToken = this.#tokens?.refreshToken;
    this.#end();
    this.#log.info('Session fermée');
    this.#emit({ reason: 'logged-out' });
    if (refreshToken && this.#client.revoke) await this.#client.revoke(refreshToken).catch(() => {});
    if (!idToken) return null;
    return this.#client.endSessionUrl(idToken).catch(() => null);
  }

  /** Stops timers and forgets everything without emitting (application shutdown). */
  dispose(): void {
    this.#end();
    this.#listeners.clear();
  }

  // -------------------------------------------------------------------------------------------

  async #identify(tokens: PscTokens): Promise<Professional> {
    const info = await this.#client.userinfo(tokens.accessToken, tokens.subject);
    return toProfessional(info);
  }

  #activate(tokens: PscTokens, user: Professional): void {
    this.#tokens = tokens;
    this.#idToken = tokens.idToken;
    this.#user = user;
    this.#state = 'active';
    this.#lastActivity = this.#now();
    this.#scheduleRefresh();
    this.#armLockTimer();
  }

  #end(): void {
    this.#generation++;
    this.#clearTimers();
    this.#tokens = null;
    this.#idToken = null;
    this.#user = null;
    this.#state = 'signed-out';
    this.#refreshing = null;
  }

  #assertUsable(): void {
    if (this.#state === 'locked') {
      throw new AppError('SESSION_LOCKED', 'Session verrouillée : reconnectez-vous avec votre carte CPS ou l\'application e-CPS pour continuer.');
    }
    if (this.#state !== 'active' || !this.#tokens) {
      throw new AppError('UNAUTHENTICATED', 'Aucune session Pro Santé Connect : veuillez vous connecter.');
    }
  }

  #clearTimers(): void {
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#lockTimer);
    this.#refreshTimer = undefined;
    this.#lockTimer = undefined;
  }

  #scheduleRefresh(delayOverride?: number): void {
    clearTimeout(this.#refreshTimer);
    const tokens = this.#tokens!;
    const now = this.#now();
    if (!tokens.refreshToken) {
      // Nothing to renew with: the session ends with the access token.
      this.#refreshTimer = setTimeout(() => this.#fail('expired', null), Math.max(0, tokens.expiresAt - now));
    } else {
      const due = tokens.obtainedAt + (tokens.expiresAt - tokens.obtainedAt) * this.#ratio;
      this.#refreshTimer = setTimeout(() => void this.#refreshNow(), delayOverride ?? Math.max(0, due - now));
    }
    this.#refreshTimer.unref();
  }

  #refreshNow(): Promise<void> {
    this.#refreshing ??= this.#doRefresh().finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  async #doRefresh(): Promise<void> {
    const generation = this.#generation;
    const current = this.#tokens;
    if (!current?.refreshToken) return;
    try {
      const tokens = await this.#client.refresh(current.refreshToken, current);
      if (generation !== this.#generation) return;
      if (tokens.subject !== current.subject) throw new AppError('UNAUTHENTICATED', 'Identité différente lors du renouvellement.');
      this.#tokens = tokens;
      this.#idToken = tokens.idToken;
      this.#scheduleRefresh();
      this.#log.debug('Jeton Pro Santé Connect renouvelé', { expiresAt: new Date(tokens.expiresAt).toISOString() });
      this.#emit({ reason: 'token-refreshed' });
    } catch (err) {
      if (generation !== this.#generation) return;
      const appError = err instanceof AppError ? err : new AppError('INTERNAL', 'Renouvellement impossible.');
      const remaining = current.expiresAt - this.#now();
      const transient = appError.code === 'NETWORK' || appError.code === 'TIMEOUT';
      if (transient && remaining > 5_000) {
        const retryIn = Math.min(MAX_RETRY_DELAY_MS, Math.floor(remaining / 2));
        this.#log.warn('Renouvellement Pro Santé Connect reporté', { code: appError.code, retryInMs: retryIn });
        this.#scheduleRefresh(retryIn);
        return;
      }
      this.#fail('refresh-failed', appError);
    }
  }

  #fail(reason: 'refresh-failed' | 'expired', error: AppError | null): void {
    if (this.#state !== 'active') return;
    this.#log.warn('Session Pro Santé Connect terminée', { reason, code: error?.code });
    this.#end();
    this.#emit({
      reason,
      message: 'Votre session Pro Santé Connect a pris fin (renouvellement refusé ou expiré). Veuillez vous reconnecter.',
      ...(error ? { error: toErrorData(error) } : {}),
    });
  }

  #armLockTimer(): void {
    clearTimeout(this.#lockTimer);
    const delay = Math.max(0, this.#lastActivity + this.#lockAfterMs - this.#now());
    this.#lockTimer = setTimeout(() => {
      if (this.#state !== 'active') return;
      if (this.#now() - this.#lastActivity >= this.#lockAfterMs) this.lock('inactivity');
      else this.#armLockTimer();
    }, delay);
    this.#lockTimer.unref();
  }

  #revoke(token: string | undefined): void {
    if (!token || !this.#client.revoke) return;
    this.#client.revoke(token).catch(() => {});
  }

  #emit(change: Omit<SessionChange, 'state' | 'user'>): void {
    const event: SessionChange = { state: this.#state, user: this.#user, ...change };
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#log.error('Erreur d\'un abonné à la session', { err });
      }
    }
  }
}
