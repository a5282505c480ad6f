import { useEffect, useRef, useState } from 'react';
import type { PatientSummary } from '../../../shared/domain';
import { useDebounced, useQuery } from '../api/hooks';
import { ageOf, frenchDate, patientName } from '../app/format';
import { DmpBadge } from '../components/DmpBadge';
import { IdentityBadge } from '../components/IdentityBadge';
import { PatientForm } from './PatientForm';
import { PatientImport } from './PatientImport';
import { PatientRecordView } from './PatientRecordView';

type Panel = { kind: 'record'; id: number } | { kind: 'create' } | { kind: 'import' } | null;

export function PatientsScreen() {
  const [query, setQuery] = useState('');
  const debounced = useDebounced(query.trim(), 60);
  const today = useQuery('patients.today', {}, ['patients.changed']);
  const results = useQuery('patients.search', debounced ? { query: debounced, limit: 50 } : null, ['patients.changed']);
  const [selected, setSelected] = useState(0);
  const [panel, setPanel] = useState<Panel>(null);
  const searchBox = useRef<HTMLInputElement>(null);

  const list: PatientSummary[] = (debounced ? results.data : today.data) ?? [];
  const ids = list.map((p) => p.id);
  const badges = useQuery('dmp.statuses', ids.length ? { patientIds: ids } : null, ['dmp.changed']);
  const badgeOf = new Map((badges.data ?? []).map((b) => [b.patientId, b]));

  useEffect(() => setSelected(0), [debounced]);
  useEffect(() => searchBox.current?.focus(), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
      if ((e.key === '/' && !typing) || e.key === 'F2') {
        e.preventDefault();
        searchBox.current?.focus();
        searchBox.current?.select();
      } else if (e.altKey && e.key.toLowerCase() === 'n') {
        e.preventDefault();
        setPanel({ kind: 'create' });
      } else if (e.altKey && e.key.toLowerCase() === 'i') {
        e.preventDefault();
        setPanel({ kind: 'import' });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onSearchKey = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown') setSelected((s) => Math.min(s + 1, list.length - 1));
    else if (e.key === 'ArrowUp') setSelected((s) => Math.max(s - 1, 0));
    else if (e.key === 'Enter' && list[selected]) setPanel({ kind: 'record', id: list[selected]!.id });
    else if (e.key === 'Escape') setQuery('');
    else if (e.key === '/' && query === '') { /* the "focus search" key, not a character to search */ }
    else return;
    e.preventDefault();
  };

  return (
    <section className="patients" aria-labelledby="patients-title">
      <div className="patient-list-pane">
        <header className="screen-header">
          <h1 id="patients-title">Patients</h1>
          <div className="header-actions">
            <button onClick={() => setPanel({ kind: 'create' })} aria-keyshortcuts="Alt+N">
              Nouveau patient <kbd>Alt+N</kbd>
            </button>
            <button className="secondary" onClick={() => setPanel({ kind: 'import' })} aria-keyshortcuts="Alt+I">
              Importer des patients (CSV) <kbd>Alt+I</kbd>
            </button>
          </div>
        </header>
        <input
          ref={searchBox}
          className="search"
          type="search"
          placeholder="Rechercher : nom, prénom, date de naissance (jj/mm/aaaa), INS…   ( / )"
          aria-label="Rechercher un patient"
          aria-keyshortcuts="/"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onSearchKey}
        />
        <h2 className="list-title">{debounced ? `${list.length} résultat${list.length > 1 ? 's' : ''}` : 'Patients du jour'}</h2>
        {(results.error ?? today.error) && <p className="error" role="alert">{(results.error ?? today.error)!.message}</p>}
        <ul className="patient-list" role="listbox" aria-label="Patients" data-testid="patient-list">
          {list.map((p, i) => (
            <li
              key={p.id}
              role="option"
              aria-selected={i === selected}
              className={i === selected ? 'selected' : ''}
              onClick={() => {
                setSelected(i);
                setPanel({ kind: 'record', id: p.id });
              }}
            >
              <div className="p-main">
                <span className="patient-name">{patientName(p)}</span>
                <span className="patient-birth">
                  {p.sex === 'F' ? 'F' : 'M'} · {frenchDate(p.birthDate)} ({ageOf(p.birthDate)} ans)
                  {p.matchedOn && <span className="matched-on"> · {p.matchedOn}</span>}
                </span>
              </div>
              <IdentityBadge status={p.identityStatus} />
              <DmpBadge badge={badgeOf.get(p.id)} compact />
            </li>
          ))}
          {debounced && list.length === 0 && !results.loading && (
            <li className="empty">
              Aucun patient trouvé. <button className="link" onClick={() => setPanel({ kind: 'create' })}>Créer le patient</button>
            </li>
          )}
        </ul>
      </div>
      <div className="patient-detail-pane">
        {panel?.kind === 'record' && <PatientRecordView id={panel.id} />}
        {panel?.kind === 'create' && (
          <PatientForm
            onDone={(id) => setPanel(id ? { kind: 'record', id } : null)}
            onOpenExisting={(id) => setPanel({ kind: 'record', id })}
          />
        )}
        {panel?.kind === 'import' && (
          <PatientImport
            onClose={() => {
              setPanel(null);
              searchBox.current?.focus();
            }}
            onOpenPatient={(id) => setPanel({ kind: 'record', id })}
          />
        )}
        {!panel && <p className="hint">Tapez quelques lettres du nom, puis Entrée pour ouvrir le dossier.</p>}
      </div>
    </section>
  );
}
