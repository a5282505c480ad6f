import type { Logger } from '../../services/log/logger';

/**
 * Who may open which mailbox in the sandbox operator. PSC access tokens are checked by
 * introspection against the PSC stand-in (RFC 7662, client credentials of the operator), like a
 * real MSSanté operator does; the `username` claim (local part of the professional's MSSanté
 * address) owns the mailbox of the same local part, and `access` lists the other usernames allowed
 * (delegations, organisational box). Passwords exist for sandbox/legacy logins only.
 */

export interface PscIntrospectionConfig {
  introspectionUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface OperatorAuthOptions {
  psc?: PscIntrospectionConfig;
  /** Mailbox address → introspection usernames allowed besides the owner. */
  access?: Record<string, string[]>;
  /** Mailbox address → password (sandbox LOGIN / PLAIN). */
  passwords?: Record<string, string>;
  logger: Logger;
}

export type AuthResult = { ok: true; address: string; username: string } | { ok: false; reason: string };

const localPart = (address: string) => address.slice(0, address.indexOf('@')).toLowerCase();

export function createOperatorAuth(options: OperatorAuthOptions) {
  const { logger } = options;
  const access = new Map(Object.entries(options.access ?? {}).map(([k, v]) => [k.toLowerCase(), v.map((u) => u.toLowerCase())]));
  const passwords = new Map(Object.entries(options.passwords ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

  const allowed = (address: string, username: string) => localPart(address) === username || (access.get(address)?.includes(username) ?? false);

  return {
    /** `mailboxes`: the known addresses (a login names one of them, or its local part). */
    async checkToken(login: string, token: string, mailboxes: Set<string>): Promise<AuthResult> {
      const address = resolveAddress(login, mailboxes);
      if (!address) return { ok: false, reason: 'boîte inconnue' };
      if (!options.psc) return { ok: false, reason: 'jetons non acceptés (pas de PSC configuré)' };
      try {
        const res = await fetch(options.psc.introspectionUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(options.psc.clientId)}:${encodeURIComponent(options.psc.clientSecret)}`).toString('base64')}`,
          },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) return { ok: false, reason: `introspection HTTP ${res.status}` };
        const body = (await res.json()) as { active?: boolean; username?: string };
        if (!body.active) return { ok: false, reason: 'jeton inactif ou expiré' };
        const username = String(body.username ?? '').toLowerCase();
        if (!username || !allowed(address, username)) return { ok: false, reason: `${username || 'utilisateur'} non autorisé sur ${address}` };
        return { ok: true, address, username };
      } catch (error) {
        logger.warn('Introspection PSC impossible', { error });
        return { ok: false, reason: 'introspection impossible' };
      }
    },

    checkPassword(login: string, password: string, mailboxes: Set<string>): AuthResult {
      const address = resolveAddress(login, mailboxes);
      if (!address) return { ok: false, reason: 'boîte inconnue' };
      const expected = passwords.get(address);
      if (expected === undefined || expected !== password) return { ok: false, reason: 'mot de passe refusé' };
      return { ok: true, address, username: localPart(address) };
    },
  };
}

export type OperatorAuth = ReturnType<typeof createOperatorAuth>;

function resolveAddress(login: string, mailboxes: Set<string>): string | null {
  const l = login.trim().toLowerCase();
  if (mailboxes.has(l)) return l;
  if (!l.includes('@')) {
    const matches = [...mailboxes].filter((m) => localPart(m) === l);
    if (matches.length === 1) return matches[0]!;
  }
  return null;
}
