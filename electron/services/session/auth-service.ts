import { EventEmitter } from 'node:events';
import type { SessionState } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { Professional } from '../auth/professional';
import type { PscClientAuthConfig } from '../auth/client-auth';
import { createPscClient, type PscClient, type PscTokens } from '../auth/psc-client';
import { SessionManager } from '../auth/session';
import type { PracticeConfig } from '../config/practice-config';
import type { Actor } from '../identity/patients';
import type { Logger } from '../log/logger';
import type { AuditRepo } from '../store/audit-repo';
import type { User, UsersRepo } from '../store/users-repo';

export interface AuthServiceDeps {
  config: PracticeConfig;
  clientAuth: PscClientAuthConfig;
  users: UsersRepo;
  audit: AuditRepo;
  logger: Logger;
  openExternal: (url: string) => Promise<void>;
  testCards: { nationalId: string }[];
  /** Tests inject a client; production builds it from the configuration. */
  client?: PscClient;
}

/**
 * Login orchestration for the application: PSC client (browser or CIBA) → session manager
 * (tokens in memory, refresh, inactivity lock) → local user (created on first login) → audit.
 * It is what the contract's `auth.*` methods and the session gate of every call rely on.
 */
export function createAuthService(deps: AuthServiceDeps) {
  const { config, users, audit, logger } = deps;
  const client =
    deps.client ??
    createPscClient(
      {
        issuer: config.psc.issuer,
        clientId: config.psc.clientId,
        clientAuth: deps.clientAuth,
        allowInsecureLoopback: config.psc.allowInsecureLoopback,
        cibaDefaultIntervalMs: 1000,
      },
      { openExternal: deps.openExternal, logger },
    );
  const lockAfterMs = config.lockAfterMinutes * 60_000;
  const manager = new SessionManager({ client, logger, lockAfterMs });
  const emitter = new EventEmitter<{ change: [] }>();
  let user: User | null = null;
  let notice: string | null = null;
  let pendingLogin: AbortController | null = null;

  const actorOf = (u: User): Actor & { nationalId: string } => ({
    userId: u.id,
    displayName: `${u.givenName} ${u.familyName}`,
    role: u.role,
    nationalId: u.nationalId,
  });

  manager.on('change', (change) => {
    if (change.message) notice = change.message;
    if (change.state === 'signed-out') {
      if (user && change.reason !== 'logged-out') audit.append(actorOf(user), 'session.fin', null, { raison: change.reason });
      user = null;
    }
    if (change.reason === 'locked' && user) audit.append(actorOf(user), 'session.verrouillage', null);
    emitter.emit('change');
  });

  const localUser = (p: Professional): User =>
    users.upsert({
      nationalId: p.nationalId,
      familyName: p.familyName,
      givenName: p.givenName,
      role: p.role,
      professionCode: p.professionCode ?? null,
      mssanteAddress: p.mssanteAddress ?? null,
    });

  const state = (): SessionState => ({
    state: manager.state,
    user: user ? { id: user.id, nationalId: user.nationalId, displayName: `${user.givenName} ${user.familyName}`, role: user.role } : null,
    notice,
  });

  async function complete(obtain: (signal: AbortSignal, unlocking: boolean) => Promise<PscTokens>, method: string): Promise<SessionState> {
    if (manager.state === 'active') return state();
    pendingLogin?.abort();
    const controller = new AbortController();
    pendingLogin = controller;
    const unlocking = manager.state === 'locked';
    try {
      const tokens = await obtain(controller.signal, unlocking);
      const professional = unlocking ? await manager.unlock(tokens) : await manager.signIn(tokens);
      user = localUser(professional);
      users.recordLogin(user.id);
      notice = null;
      audit.append(actorOf(user), unlocking ? 'session.deverrouillage' : 'session.connexion', null, { methode: method });
      emitter.emit('change');
      return state();
    } finally {
      if (pendingLogin === controller) pendingLogin = null;
    }
  }

  return {
    on: (event: 'change', listener: () => void) => emitter.on(event, listener),

    state,

    /** The signed-in user, for permission checks and audit; throws when signed out or locked. */
    actor(): Actor & { nationalId: string } {
      this.requireActive();
      return actorOf(user!);
    },

    requireActive(): void {
      if (manager.state === 'locked') {
        throw new AppError('SESSION_LOCKED', 'Session verrouillée : reconnectez-vous avec votre carte CPS ou l’application e-CPS.');
      }
      if (manager.state !== 'active' || !user) throw new AppError('UNAUTHENTICATED', 'Connexion Pro Santé Connect requise.');
    },

    /** The signed-in local user (also while locked), or null. */
    currentUser: (): User | null => (manager.state === 'active' ? user : null),

    /** Current PSC access token (mailboxes, teleservices). */
    accessToken: () => manager.freshAccessToken(),

    loginCiba(nationalId: string): Promise<SessionState> {
      return complete(
        (signal, unlocking) =>
          client.loginWithCiba(nationalId, { signal, bindingMessage: unlocking ? 'Déverrouillage LGC Ségur' : 'Connexion LGC Ségur' }),
        'e-CPS (CIBA)',
      );
    },

    loginBrowser(): Promise<SessionState> {
      return complete(
        (signal, unlocking) => client.loginWithBrowser({ signal, forceLogin: unlocking, ...(unlocking && user ? { loginHint: user.nationalId } : {}) }),
        'navigateur',
      );
    },

    cancelLogin(): boolean {
      if (!pendingLogin) return false;
      pendingLogin.abort();
      return true;
    },

    lock(): SessionState {
      manager.lock('manual');
      return state();
    },

    /** Activity report: postpones the inactivity lock; returns the configured delay. */
    touch(): number {
      manager.touch();
      return lockAfterMs;
    },

    async logout(): Promise<SessionState> {
      const leaving = user;
      const endSessionUrl = await manager.logout();
      if (leaving) audit.append(actorOf(leaving), 'session.deconnexion', null);
      user = null;
      notice = 'Vous êtes déconnecté.';
      if (endSessionUrl) await deps.openExternal(endSessionUrl).catch((error: unknown) => logger.warn('end-session page not opened', { error }));
      emitter.emit('change');
      return state();
    },

    async close(): Promise<void> {
      pendingLogin?.abort();
      manager.dispose();
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
