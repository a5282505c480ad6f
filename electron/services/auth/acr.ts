import { AppError } from '../../../shared/errors';

/**
 * Authentication levels of Pro Santé Connect, weakest first. `eidas1` is what PSC documents for
 * e-CPS / CPS logins; the higher levels follow the eIDAS naming and are unconfirmed for PSC.
 * Any value not listed (Keycloak's "0"/"1", missing acr...) ranks below everything.
 */
export const ACR_RANKING: readonly string[] = ['eidas1', 'eidas2', 'eidas3'];

export const DEFAULT_MINIMUM_ACR = 'eidas1';

export function acrRank(acr: string | undefined): number {
  return acr === undefined ? -1 : ACR_RANKING.indexOf(acr);
}

export function acrSatisfies(actual: string | undefined, minimum: string = DEFAULT_MINIMUM_ACR): boolean {
  const min = acrRank(minimum);
  return min >= 0 && acrRank(actual) >= min;
}

/** Throws UNAUTHENTICATED when the ID token's acr is below the required level. */
export function assertAcr(actual: string | undefined, minimum: string = DEFAULT_MINIMUM_ACR): void {
  if (acrSatisfies(actual, minimum)) return;
  throw new AppError(
    'UNAUTHENTICATED',
    `Niveau d'authentification insuffisant (${actual ?? 'non communiqué'}) : Pro Santé Connect doit garantir au moins le niveau ${minimum}. `
      + 'Reconnectez-vous avec votre carte CPS ou l\'application e-CPS.',
    { acr: actual ?? null, minimum },
  );
}
