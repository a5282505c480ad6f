import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import type { MethodName } from '../../../shared/contract';
import type { PatientSummary } from '../../../shared/domain';
import { ApiError, call } from '../api/client';
import { useQuery } from '../api/hooks';
import { frenchDate, frenchDateTime, patientName } from '../app/format';
import { IdentityBadge } from '../components/IdentityBadge';
import { PatientForm } from './PatientForm';
import { STATUS_LABEL } from './WorklistScreen';

const PdfViewer = lazy(() => import('../components/PdfViewer').then((m) => ({ default: m.PdfViewer })));

const RULE_TEXT = {
  auto: 'Rattachement certain : INS qualifiée identique à celle d’une identité qualifiée du cabinet, traits concordants.',
  proposed: 'Rattachement proposé : une personne doit confirmer.',
  conflict: 'Conflit d’identité : l’INS ou les traits du document ne concordent pas avec le dossier.',
  none: 'Aucun patient correspondant trouvé.',
} as const;

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function WorklistDetailPane({ itemId, role, onDone }: { itemId: number; role: 'doctor' | 'secretary'; onDone: () => void }) {
  const detail = useQuery('worklist.get', { id: itemId }, ['worklist.changed']);
  const pdf = useQuery('worklist.pdf', { id: itemId });
  const [mode, setMode] = useState<'view' | 'change' | 'reject' | 'create'>('view');
  const [tab, setTab] = useState<'pdf' | 'structured'>('pdf');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [query, setQuery] = useState('');
  const [reason, setReason] = useState('');
  const search = useQuery('patients.search', mode === 'change' && query.trim() ? { query: query.trim(), limit: 8 } : null);
  const [pick, setPick] = useState(0);
  const searchBox = useRef<HTMLInputElement>(null);
  const pdfBytes = useMemo(() => (pdf.data?.base64 ? base64ToBytes(pdf.data.base64) : null), [pdf.data]);

  const d = detail.data;
  const item = d?.item;

  const act = async <M extends MethodName>(method: M, args: Parameters<typeof call<M>>[1], advance = true) => {
    setBusy(true);
    setError(null);
    try {
      await call(method, args);
      setMode('view');
      detail.reload();
      if (advance) onDone();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const canAccept = !!item && (item.status === 'a_classer' || item.status === 'propose') && (item.patientId !== null || (d?.candidates.length ?? 0) > 0);
  const accept = () => {
    if (!item) return;
    if (item.patientId !== null) void act('worklist.accept', { id: item.id });
    else if (d?.candidates[0]) void act('worklist.changePatient', { id: item.id, patientId: d.candidates[0].patientId });
  };

  useEffect(() => {
    if (mode === 'change') searchBox.current?.focus();
  }, [mode]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
      if (typing || e.altKey || e.ctrlKey || e.metaKey || !item || busy || mode !== 'view') return;
      const key = e.key;
      if (key === 'Enter' && canAccept) accept();
      else if (key === 'c') setMode('change');
      else if (key === 'r') setMode('reject');
      else if (key === 'n') setMode('create');
      else if (key === 'u') void act('worklist.undo', { id: item.id }, false);
      else if (key === 'v' && item.needsValidation && role === 'doctor') void act('worklist.validate', { id: item.id });
      else if (key === 'Delete' && item.status === 'supprime_emetteur') void act('worklist.confirmDeletion', { id: item.id });
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (detail.error) return <p className="error" role="alert">{detail.error.message}</p>;
  if (!d || !item) return <p className="hint">Chargement…</p>;
  const results: PatientSummary[] = search.data ?? [];

  return (
    <article className="worklist-detail" data-testid="worklist-detail">
      <header>
        <h2>{d.title ?? item.subject}</h2>
        <div className="meta">
          {item.typeLabel ?? 'Document'} · {item.documentDate ? `du ${frenchDate(item.documentDate)}` : `reçu le ${frenchDateTime(item.receivedAt)}`} · de {item.sender}
          {d.author && ` (${d.author})`} · boîte {item.mailbox} · origine MSSanté
        </div>
      </header>

      <section className={`decision rule-${item.rule} status-${item.status}`} data-testid="decision">
        <div className="decision-head">
          <span className={`status-badge status-${item.status}`}>{item.needsValidation ? 'À valider par le médecin' : STATUS_LABEL[item.status]}</span>
          {item.patientLabel && <strong className="decision-patient">{item.patientLabel}</strong>}
        </div>
        <p>{RULE_TEXT[item.rule]}</p>
        {d.reasons.length > 0 && (
          <ul className="reasons">
            {d.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        )}
        {d.conflict.length > 0 && (
          <table className="grid" aria-label="Traits en désaccord">
            <thead>
              <tr><th>Trait</th><th>Document</th><th>Dossier du cabinet</th></tr>
            </thead>
            <tbody>
              {d.conflict.map((c) => (
                <tr key={c.field}><td>{c.field}</td><td><strong>{c.document}</strong></td><td>{c.local}</td></tr>
              ))}
            </tbody>
          </table>
        )}
        {item.patientId === null && d.candidates.length > 0 && (
          <ol className="candidates" aria-label="Patients possibles">
            {d.candidates.map((c, i) => (
              <li key={c.patientId}>
                <button className={i === 0 ? 'candidate top' : 'candidate'} disabled={busy} onClick={() => void act('worklist.changePatient', { id: item.id, patientId: c.patientId })}>
                  <span className="candidate-name">{c.label}</span>
                  <span className="candidate-birth">{frenchDate(c.birthDate)}</span>
                  <IdentityBadge status={c.identityStatus} />
                  <span className="score">{Math.round(c.score * 100)} %</span>
                  <span className="matched">{c.matched.join(', ')}</span>
                </button>
              </li>
            ))}
          </ol>
        )}
        {(item.confirmedBy || item.validatedBy) && (
          <p className="who">
            {item.confirmedBy && <>Rattaché par {item.confirmedBy}. </>}
            {item.validatedBy && <>Validé par {item.validatedBy}.</>}
          </p>
        )}
        <div className="actions">
          {canAccept && (
            <button disabled={busy} onClick={accept}>
              {item.patientId !== null ? 'Accepter' : 'Rattacher au 1er patient proposé'} <kbd>Entrée</kbd>
            </button>
          )}
          {item.needsValidation && role === 'doctor' && (
            <button disabled={busy} onClick={() => void act('worklist.validate', { id: item.id })}>
              Valider <kbd>V</kbd>
            </button>
          )}
          {item.status === 'supprime_emetteur' && (
            <button className="danger" disabled={busy} onClick={() => void act('worklist.confirmDeletion', { id: item.id })}>
              Confirmer la suppression <kbd>Suppr</kbd>
            </button>
          )}
          <button className="secondary" disabled={busy} onClick={() => setMode('change')}>
            Changer de patient <kbd>C</kbd>
          </button>
          <button className="secondary" disabled={busy} onClick={() => setMode('create')}>
            Créer le patient <kbd>N</kbd>
          </button>
          <button className="secondary" disabled={busy} onClick={() => setMode('reject')}>
            Rejeter <kbd>R</kbd>
          </button>
          <button className="secondary" disabled={busy} onClick={() => void act('worklist.undo', { id: item.id }, false)}>
            Annuler <kbd>U</kbd>
          </button>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
      </section>

      {mode === 'change' && (
        <div className="dialog" role="dialog" aria-label="Changer de patient" onKeyDown={(e) => e.key === 'Escape' && setMode('view')}>
          <input
            ref={searchBox}
            className="search"
            placeholder="Nom, prénom, date de naissance…"
            aria-label="Rechercher le patient du document"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setPick(0);
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') setPick((p) => Math.min(p + 1, results.length - 1));
              else if (e.key === 'ArrowUp') setPick((p) => Math.max(p - 1, 0));
              else if (e.key === 'Enter' && results[pick]) void act('worklist.changePatient', { id: item.id, patientId: results[pick]!.id });
              else return;
              e.preventDefault();
            }}
          />
          <ul className="patient-list" role="listbox" aria-label="Résultats">
            {results.map((p, i) => (
              <li key={p.id} role="option" aria-selected={i === pick} className={i === pick ? 'selected' : ''} onClick={() => void act('worklist.changePatient', { id: item.id, patientId: p.id })}>
                <span className="patient-name">{patientName(p)}</span>
                <span className="patient-birth">{frenchDate(p.birthDate)}</span>
                <IdentityBadge status={p.identityStatus} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {mode === 'reject' && (
        <form
          className="dialog"
          aria-label="Rejeter le document"
          onSubmit={(e) => {
            e.preventDefault();
            void act('worklist.reject', { id: item.id, reason: reason.trim() || 'Document non destiné au cabinet' });
          }}
          onKeyDown={(e) => e.key === 'Escape' && setMode('view')}
        >
          <label>
            Motif du rejet
            <input autoFocus value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Document non destiné au cabinet" />
          </label>
          <button type="submit">Rejeter</button>
        </form>
      )}
      {mode === 'create' && <CreateFromDocument itemId={item.id} onCreated={(patientId) => void act('worklist.changePatient', { id: item.id, patientId })} onCancel={() => setMode('view')} />}

      <nav className="tabs" aria-label="Affichage du document">
        <button className={tab === 'pdf' ? 'tab active' : 'tab'} onClick={() => setTab('pdf')}>PDF</button>
        <button className={tab === 'structured' ? 'tab active' : 'tab'} onClick={() => setTab('structured')}>Contenu structuré</button>
      </nav>
      {tab === 'pdf' ? (
        pdfBytes ? <Suspense fallback={<p className="hint">Chargement de la visionneuse…</p>}><PdfViewer data={pdfBytes} title={d.title ?? item.subject} /></Suspense> : <p className="hint">{pdf.loading ? 'Chargement du PDF…' : 'Pas de PDF dans ce document : voir le contenu structuré.'}</p>
      ) : (
        <div className="narrative" data-testid="narrative">
          {d.narrative.length === 0 && <p className="hint">Pas de contenu structuré (document de niveau 1).</p>}
          {d.narrative.map((s, i) => (
            <section key={i}>
              <h3>{s.title}</h3>
              <pre>{s.text}</pre>
            </section>
          ))}
        </div>
      )}

      {d.history.length > 0 && (
        <section className="history">
          <h3>Historique</h3>
          <ol>
            {d.history.map((h, i) => (
              <li key={i}>{frenchDateTime(h.at)} — {h.action} — {h.actor}</li>
            ))}
          </ol>
        </section>
      )}
    </article>
  );
}

function CreateFromDocument({ itemId, onCreated, onCancel }: { itemId: number; onCreated: (id: number) => void; onCancel: () => void }) {
  const draft = useQuery('worklist.patientDraft', { id: itemId });
  if (!draft.data) return <p className="hint">Préparation de la fiche…</p>;
  return <PatientForm draft={draft.data} onDone={(id) => (id ? onCreated(id) : onCancel())} onOpenExisting={(id) => onCreated(id)} />;
}
