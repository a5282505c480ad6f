import { useCallback, useEffect, useRef, useState } from 'react';
import { FIRST_RUN_CHECK_LABELS, type FirstRunCheckView } from '../../../shared/domain';
import { ApiError, call } from '../api/client';

const STATE_LABEL: Record<FirstRunCheckView['state'], string> = { ok: 'Joignable', error: 'Erreur', skipped: 'Non configuré' };
const STATE_ICON: Record<FirstRunCheckView['state'], string> = { ok: '✓', error: '✗', skipped: '–' };

/**
 * First start of a configured workstation: one line per national service the configuration
 * names, with its state. Never a dead end: the practice may continue while a service is down.
 */
export function FirstRunScreen({ practiceName, onDone }: { practiceName: string; onDone: () => void }) {
  const [checks, setChecks] = useState<FirstRunCheckView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const continueButton = useRef<HTMLButtonElement>(null);

  const run = useCallback(async () => {
    setRunning(true);
    setError(null);
    try {
      setChecks(await call('app.firstRunChecks', {}));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  }, []);

  useEffect(() => {
    void run();
  }, [run]);

  useEffect(() => {
    if (!running) continueButton.current?.focus();
  }, [running]);

  const finish = async () => {
    try {
      await call('app.completeFirstRun', {});
      onDone();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey && e.key.toLowerCase() === 'r' && !running) {
        e.preventDefault();
        void run();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run, running]);

  const failures = checks?.filter((c) => c.state === 'error').length ?? 0;
  return (
    <section className="first-run" aria-labelledby="first-run-title">
      <h1 id="first-run-title">Premier démarrage du poste</h1>
      <p>
        Vérification de l’accès aux services configurés pour <strong>{practiceName}</strong>. Personne n’est connecté pendant
        cette vérification.
      </p>
      <ul className="checklist" data-testid="first-run-checks" aria-busy={running}>
        {(checks ?? PENDING).map((c) => (
          <li key={c.id} className={`check check-${running ? 'pending' : c.state}`} data-testid={`check-${c.id}`}>
            <span className="check-icon" aria-hidden="true">
              {running ? '…' : STATE_ICON[c.state]}
            </span>
            <span className="check-label">{c.label}</span>
            <span className="check-state">{running ? 'Vérification…' : STATE_LABEL[c.state]}</span>
            {!running && <span className="check-detail">{c.detail}</span>}
          </li>
        ))}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!running && checks && (
        <p className={failures ? 'hint warning' : 'hint'} role="status">
          {failures
            ? `${failures} service${failures > 1 ? 's' : ''} en erreur : transmettez le détail à votre prestataire. Vous pouvez continuer ; LGC Ségur réessaiera de lui-même et travaille avec les services qui répondent.`
            : 'Tous les services configurés répondent.'}
        </p>
      )}
      <div className="actions">
        <button ref={continueButton} onClick={() => void finish()} disabled={running}>
          {failures ? 'Continuer quand même' : 'Continuer'}
        </button>
        <button className="secondary" onClick={() => void run()} disabled={running}>
          Relancer la vérification (Alt+R)
        </button>
      </div>
    </section>
  );
}

/** The lines shown while the first check runs. */
const PENDING: FirstRunCheckView[] = (Object.keys(FIRST_RUN_CHECK_LABELS) as FirstRunCheckView['id'][]).map((id) => ({
  id,
  label: FIRST_RUN_CHECK_LABELS[id],
  state: 'skipped',
  detail: '',
}));
