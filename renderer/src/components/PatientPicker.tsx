import { useEffect, useId, useState } from 'react';
import type { PatientSummary } from '../../../shared/domain';
import { useDebounced, useQuery } from '../api/hooks';
import { frenchDate, patientName } from '../app/format';
import { IdentityBadge } from './IdentityBadge';

/**
 * Chooses a patient with the same search as the Patients screen (name, birth date, INS): type,
 * ↑/↓, Entrée. Once chosen, the patient is shown with its identity status and can be changed.
 */
export function PatientPicker(props: { value: PatientSummary | null; onChange: (p: PatientSummary | null) => void; label?: string }) {
  const { value, onChange } = props;
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const debounced = useDebounced(query.trim(), 80);
  const results = useQuery('patients.search', debounced && !value ? { query: debounced, limit: 8 } : null);
  const list = debounced ? (results.data ?? []) : [];
  const listId = useId();

  useEffect(() => setActive(0), [debounced]);

  if (value) {
    return (
      <div className="picked-patient" data-testid="picked-patient">
        <span className="patient-name">{patientName(value)}</span>
        <span className="patient-birth">{frenchDate(value.birthDate)}</span>
        <IdentityBadge status={value.identityStatus} />
        <button type="button" className="link" onClick={() => onChange(null)} aria-label="Changer de patient">
          Changer
        </button>
      </div>
    );
  }

  const pick = (p: PatientSummary | undefined) => {
    if (!p) return;
    onChange(p);
    setQuery('');
    setOpen(false);
  };

  return (
    <div className="combo">
      <input
        type="search"
        aria-label={props.label ?? 'Patient concerné'}
        placeholder="Nom, prénom, date de naissance (jj/mm/aaaa)…"
        role="combobox"
        aria-expanded={open && list.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && list[active] ? `${listId}-${active}` : undefined}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, list.length - 1));
          else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
          else if (e.key === 'Enter' && list.length) pick(list[active]);
          else if (e.key === 'Escape' && query) setQuery('');
          else return;
          e.preventDefault();
          e.stopPropagation();
        }}
      />
      {open && list.length > 0 && (
        <ul className="suggestions" role="listbox" id={listId} aria-label="Patients trouvés">
          {list.map((p, i) => (
            <li
              key={p.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(p);
              }}
            >
              <span className="patient-name">{patientName(p)}</span>
              <span className="patient-birth">{frenchDate(p.birthDate)}</span>
              <IdentityBadge status={p.identityStatus} />
            </li>
          ))}
        </ul>
      )}
      {debounced && !results.loading && list.length === 0 && <p className="hint small">Aucun patient trouvé.</p>}
    </div>
  );
}
