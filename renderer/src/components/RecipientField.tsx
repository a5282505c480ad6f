import { forwardRef, useEffect, useId, useState } from 'react';
import { useQuery } from '../api/hooks';

const ADDRESS = /^[^\s@<>()",;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

export const isAddress = (s: string) => ADDRESS.test(s.trim());

const SOURCE_LABEL = { cabinet: 'cabinet', envoi: 'écrit récemment', reception: 'reçu récemment' } as const;

/**
 * Professional recipients: typed addresses or picked among recent correspondents and the
 * practice's other mailboxes. Entrée, virgule or point-virgule adds; Retour arrière on an empty
 * field removes the last one. `pending` is what is typed and not added yet (added on send).
 */
export const RecipientField = forwardRef<HTMLInputElement, { value: string[]; onChange: (v: string[]) => void; pending: string; onPending: (s: string) => void }>(
  function RecipientField({ value, onChange, pending, onPending }, ref) {
    const [open, setOpen] = useState(false);
    const [active, setActive] = useState(0);
    const [navigated, setNavigated] = useState(false);
    const query = pending.trim();
    const suggestions = useQuery('mail.correspondents', { query, limit: 8 });
    const list = (suggestions.data ?? []).filter((c) => !value.some((v) => v.toLowerCase() === c.address.toLowerCase()));
    const listId = useId();

    useEffect(() => {
      setActive(0);
      setNavigated(false);
    }, [query]);

    const add = (address: string) => {
      const a = address.trim();
      if (!a) return;
      if (!value.some((v) => v.toLowerCase() === a.toLowerCase())) onChange([...value, a]);
      onPending('');
    };

    return (
      <div className="combo">
        <div className="recipients">
          {value.map((a) => (
            <span key={a} className="recipient-chip" data-testid="recipient">
              {a}
              <button type="button" className="link" aria-label={`Retirer ${a}`} onClick={() => onChange(value.filter((v) => v !== a))}>
                ×
              </button>
            </span>
          ))}
          <input
            ref={ref}
            type="text"
            aria-label="Destinataires"
            placeholder={value.length ? '' : 'Adresse MSSanté du correspondant, ou quelques lettres de son nom'}
            role="combobox"
            aria-expanded={open && list.length > 0}
            aria-controls={listId}
            aria-activedescendant={open && list[active] ? `${listId}-${active}` : undefined}
            autoComplete="off"
            value={pending}
            onChange={(e) => {
              const v = e.target.value;
              if (/[,;]$/.test(v) && isAddress(v.slice(0, -1))) add(v.slice(0, -1));
              else onPending(v);
              setOpen(true);
            }}
            onFocus={() => setOpen(true)}
            onBlur={() => {
              setTimeout(() => setOpen(false), 150);
              if (isAddress(pending)) add(pending);
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') {
                setOpen(true);
                if (navigated) setActive((a) => Math.min(a + 1, list.length - 1));
                setNavigated(true);
              } else if (e.key === 'ArrowUp') {
                setActive((a) => Math.max(a - 1, 0));
                setNavigated(true);
              }
              else if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
                if (isAddress(pending)) add(pending);
                else if (open && list[active] && (pending.trim() || navigated)) add(list[active]!.address);
                else return;
              } else if (e.key === 'Backspace' && !pending && value.length) onChange(value.slice(0, -1));
              else if (e.key === 'Escape' && open && list.length) setOpen(false);
              else return;
              e.preventDefault();
              e.stopPropagation();
            }}
          />
        </div>
        {open && list.length > 0 && (
          <ul className="suggestions" role="listbox" id={listId} aria-label="Correspondants">
            {list.map((c, i) => (
              <li
                key={c.address}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active && (navigated || !!query)}
                className={i === active && (navigated || !!query) ? 'active' : ''}
                onMouseDown={(e) => {
                  e.preventDefault();
                  add(c.address);
                }}
              >
                <span className="patient-name">{c.name ?? c.address}</span>
                <span className="patient-birth">{c.name ? c.address : ''}</span>
                <span className="suggestion-source">{SOURCE_LABEL[c.source]}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  },
);
