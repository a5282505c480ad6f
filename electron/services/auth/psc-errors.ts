import * as oidc from 'openid-client';
import { AppError } from '../../../shared/errors';

const UNREACHABLE = 'Pro Santé Connect est injoignable. Vérifiez la connexion Internet puis réessayez.';

/** Turns openid-client / network failures into AppErrors with French messages (no token in details). */
export function toPscAppError(err: unknown, step: string): AppError {
  if (err instanceof AppError) return err;

  if (err instanceof oidc.AuthorizationResponseError) {
    if (err.error === 'access_denied') {
      return new AppError('UNAUTHENTICATED', 'Connexion refusée ou annulée dans Pro Santé Connect.', { step, error: err.error });
    }
    return new AppError('UNAUTHENTICATED', `Pro Santé Connect a refusé la connexion (${err.error}).`, { step, error: err.error });
  }

  if (err instanceof oidc.ResponseBodyError) {
    const details = { step, error: err.error, status: err.status };
    switch (err.error) {
      case 'invalid_grant':
        return new AppError('UNAUTHENTICATED', 'La session Pro Santé Connect a expiré ou a été révoquée. Veuillez vous reconnecter.', details);
      case 'access_denied':
        return new AppError('UNAUTHENTICATED', 'Connexion refusée dans Pro Santé Connect.', details);
      case 'expired_token':
        return new AppError('TIMEOUT', 'La demande de connexion Pro Santé Connect a expiré. Veuillez réessayer.', details);
      case 'unknown_user_id':
        return new AppError('UNAUTHENTICATED', 'Identifiant national inconnu de Pro Santé Connect.', details);
      case 'invalid_client':
      case 'unauthorized_client':
        return new AppError('REMOTE_SERVICE', 'Pro Santé Connect refuse les identifiants du logiciel : la configuration du cabinet est à vérifier.', details);
      default:
        return new AppError('REMOTE_SERVICE', `Pro Santé Connect a renvoyé une erreur (${err.error}).`, details);
    }
  }

  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const errorCodes = err.cause.map((c) => c.parameters.error).filter(Boolean);
    if (errorCodes.includes('invalid_client')) {
      return new AppError('REMOTE_SERVICE', 'Pro Santé Connect refuse les identifiants du logiciel : la configuration du cabinet est à vérifier.', {
        step,
        error: 'invalid_client',
        status: err.status,
      });
    }
    return new AppError('UNAUTHENTICATED', 'Jeton Pro Santé Connect refusé. Veuillez vous reconnecter.', { step, status: err.status });
  }

  if (err instanceof oidc.ClientError) {
    // Security checks (state, nonce, issuer, audience, timestamps...) land here.
    const check = err.cause instanceof Error ? err.cause.message : err.message;
    return new AppError('UNAUTHENTICATED', 'Réponse de Pro Santé Connect refusée : un contrôle de sécurité a échoué. Veuillez recommencer la connexion.', {
      step,
      code: err.code,
      check,
    });
  }

  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new AppError('TIMEOUT', 'Pro Santé Connect ne répond pas. Réessayez dans quelques instants.', { step });
  }

  if (err instanceof TypeError || hasNetworkCode(err)) {
    return new AppError('NETWORK', UNREACHABLE, { step });
  }

  return new AppError('INTERNAL', 'Erreur inattendue pendant la connexion Pro Santé Connect.', { step });
}

function hasNetworkCode(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(code);
}
