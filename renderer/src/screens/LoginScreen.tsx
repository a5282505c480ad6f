import { useEffect, useRef, useState } from 'react';
import type { SessionState } from '../../../shared/contract';
import { call } from '../api/client';
import { useAction, useQuery } from '../api/hooks';

const ROLE_LABEL = { doctor: 'Médecin', secretary: 'Secrétariat' } as const;

export function LoginScreen({ session, training, onChange }: { session: SessionState; training: boolean; onChange: () => void }) {
  const cards = useQuery('auth.testCards', {});
  const ciba = useAction('auth.loginCiba');
  const browser = useAction('auth.loginBrowser');
  const [nationalId, setNationalId] = useState(session.user?.nationalId ?? localStorage.getItem('lgc.lastNationalId') ?? '');
  const firstButton = useRef<HTMLButtonElement>(null);
  const pending = ciba.pending || browser.pending;
  const error = ciba.error ?? browser.error;

  useEffect(() => {
    firstButton.current?.focus();
  }, [cards.data]);

  useEffect(() => {
    if (!pending) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && void call('auth.cancelLogin', {});
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [pending]);

  const loginCiba = async (id: string) => {
    localStorage.setItem('lgc.lastNationalId', id);
    if (await ciba.run({ nationalId: id })) onChange();
  };
  const loginBrowser = async () => {
    if (await browser.run({})) onChange();
  };

  const locked = session.state === 'locked';
  return (
    <section className="login" aria-labelledby="login-title">
      <h1 id="login-title">{locked ? 'Session verrouillée' : 'Connexion avec Pro Santé Connect'}</h1>
      {session.notice && <p className="notice" role="status">{session.notice}</p>}
      {locked && session.user && (
        <p>
          Session de <strong>{session.user.displayName}</strong>. Reconnectez-vous avec votre carte (e-CPS ou CPS) pour
          reprendre là où vous étiez.
        </p>
      )}

      {pending ? (
        <div className="login-pending" role="status" aria-live="polite">
          <div className="spinner" aria-hidden="true" />
          {ciba.pending
            ? 'Validez la demande de connexion dans l’application e-CPS sur votre téléphone…'
            : 'Terminez la connexion dans la page Pro Santé Connect ouverte dans votre navigateur…'}
          <button onClick={() => void call('auth.cancelLogin', {})}>Annuler (Échap)</button>
        </div>
      ) : (
        <>
          {training && (cards.data?.length ?? 0) > 0 && (
            <div className="test-cards">
              <h2>Cartes de test (mode formation)</h2>
              <ul>
                {cards.data!
                  .filter((c) => !locked || c.nationalId === session.user?.nationalId)
                  .map((card, i) => (
                    <li key={card.nationalId}>
                      <button ref={i === 0 ? firstButton : undefined} className="card-button" onClick={() => void loginCiba(card.nationalId)}>
                        <span className="card-name">{card.displayName}</span>
                        <span className={`role role-${card.role}`}>{ROLE_LABEL[card.role]}</span>
                        <span className="card-id">{card.nationalId}</span>
                      </button>
                    </li>
                  ))}
              </ul>
            </div>
          )}
          <form
            className="ciba-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (nationalId.trim()) void loginCiba(nationalId.trim());
            }}
          >
            <label htmlFor="national-id">Identifiant national (RPPS précédé de 8)</label>
            <input id="national-id" value={nationalId} onChange={(e) => setNationalId(e.target.value)} autoComplete="username" inputMode="numeric" />
            <button type="submit" disabled={!nationalId.trim()}>
              Notification e-CPS
            </button>
          </form>
          <button className="secondary" onClick={() => void loginBrowser()}>
            Se connecter dans le navigateur (carte CPS ou e-CPS)
          </button>
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
    </section>
  );
}
