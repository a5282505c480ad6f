import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ArgsOf } from '../../../shared/contract';
import type { WorklistItem } from '../../../shared/domain';
import { call } from '../api/client';
import { useQuery } from '../api/hooks';
import { frenchDate, frenchDateTime } from '../app/format';
import { WorklistDetailPane } from './WorklistDetailPane';

export const STATUS_LABEL: Record<WorklistItem['status'], string> = {
  a_classer: 'À classer',
  propose: 'Proposé',
  integre: 'Intégré',
  conflit: 'Conflit d’identité',
  rejete: 'Rejeté',
  supprime_emetteur: 'Supprimé par l’émetteur',
};

type View = 'todo' | 'validate' | 'done' | 'rejected' | 'all';
const VIEWS: { id: View; label: string; filter: ArgsOf<'worklist.list'> }[] = [
  { id: 'todo', label: 'À traiter', filter: { status: ['a_classer', 'propose', 'conflit', 'supprime_emetteur'] } },
  { id: 'validate', label: 'À valider', filter: { toValidate: true } },
  { id: 'done', label: 'Intégrés', filter: { status: ['integre'] } },
  { id: 'rejected', label: 'Rejetés', filter: { status: ['rejete'] } },
  { id: 'all', label: 'Tous', filter: {} },
];

const ROW_HEIGHT = 58;

/** "Laboratoire BIOMED <resultats@…>" → "Laboratoire BIOMED" (the full address stays in the tooltip and the detail). */
function senderName(sender: string): string {
  const name = sender.replace(/<[^>]*>/, '').replace(/"/g, '').trim();
  return name || sender;
}

export function WorklistScreen({ role }: { role: 'doctor' | 'secretary' }) {
  const [view, setView] = useState<View>('todo');
  const [sort, setSort] = useState<'date' | 'type' | 'patient' | 'status'>('date');
  const [typeCode, setTypeCode] = useState('');
  const [mailbox, setMailbox] = useState('');
  const [unreadOnly, setUnreadOnly] = useState(false);
  const filter = useMemo(
    () => ({
      ...VIEWS.find((v) => v.id === view)!.filter,
      sort,
      ...(typeCode ? { typeCode } : {}),
      ...(mailbox ? { mailbox } : {}),
      ...(unreadOnly ? { unreadOnly: true } : {}),
    }),
    [view, sort, typeCode, mailbox, unreadOnly],
  );
  const items = useQuery('worklist.list', filter, ['worklist.changed']);
  const all = useQuery('worklist.list', {}, ['worklist.changed']);
  const list = items.data ?? [];
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [bulkMessage, setBulkMessage] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);

  const selectedIndex = Math.max(0, list.findIndex((i) => i.id === selectedId));
  const selected = list[selectedIndex] ?? null;
  useEffect(() => {
    if (list.length && (selectedId === null || !list.some((i) => i.id === selectedId))) setSelectedId(list[Math.min(selectedIndex, list.length - 1)]!.id);
  }, [list, selectedId, selectedIndex]);

  const virtualizer = useVirtualizer({ count: list.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const move = useCallback(
    (delta: number) => {
      if (!list.length) return;
      const next = Math.min(list.length - 1, Math.max(0, selectedIndex + delta));
      setSelectedId(list[next]!.id);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    },
    [list, selectedIndex, virtualizer],
  );
  // The row the keys act on stays visible: documents arriving above it (sync at sign-in) push it down.
  useEffect(() => {
    if (selectedId !== null && list.length) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedId, selectedIndex, list.length]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
      if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'ArrowDown' || e.key === 'j') move(1);
      else if (e.key === 'ArrowUp' || e.key === 'k') move(-1);
      else if (e.key === 'A' && e.shiftKey) {
        void call('worklist.acceptAllCertain', {}).then((r) => setBulkMessage(`${r.accepted} document${r.accepted > 1 ? 's' : ''} certain${r.accepted > 1 ? 's' : ''} intégré${r.accepted > 1 ? 's' : ''}.`));
      } else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [move]);

  const counts = useMemo(() => {
    const c = { todo: 0, validate: 0 };
    for (const i of all.data ?? []) {
      if (['a_classer', 'propose', 'conflit', 'supprime_emetteur'].includes(i.status)) c.todo++;
      if (i.needsValidation) c.validate++;
    }
    return c;
  }, [all.data]);
  const types = useMemo(() => {
    const m = new Map<string, string>();
    for (const i of all.data ?? []) if (i.typeCode) m.set(i.typeCode, i.typeLabel ?? i.typeCode);
    return [...m.entries()].sort((a, b) => a[1].localeCompare(b[1], 'fr'));
  }, [all.data]);
  const mailboxes = useMemo(() => [...new Set((all.data ?? []).map((i) => i.mailbox))].sort(), [all.data]);

  return (
    <section className="worklist" aria-labelledby="worklist-title" data-testid="worklist">
      <div className="worklist-list-pane">
        <header className="screen-header">
          <h1 id="worklist-title">Documents reçus</h1>
          <span className="counter" data-testid="todo-count">{counts.todo} à traiter</span>
        </header>
        <nav className="chips" aria-label="Vues">
          {VIEWS.filter((v) => v.id !== 'validate' || role === 'doctor' || counts.validate > 0).map((v) => (
            <button key={v.id} className={view === v.id ? 'chip active' : 'chip'} aria-pressed={view === v.id} onClick={() => setView(v.id)}>
              {v.label}
              {v.id === 'todo' && counts.todo ? ` (${counts.todo})` : ''}
              {v.id === 'validate' && counts.validate ? ` (${counts.validate})` : ''}
            </button>
          ))}
        </nav>
        <div className="filters">
          <select aria-label="Type de document" value={typeCode} onChange={(e) => setTypeCode(e.target.value)}>
            <option value="">Tous les types</option>
            {types.map(([code, label]) => (
              <option key={code} value={code}>{label}</option>
            ))}
          </select>
          <select aria-label="Boîte aux lettres" value={mailbox} onChange={(e) => setMailbox(e.target.value)}>
            <option value="">Toutes les boîtes</option>
            {mailboxes.map((m) => (
              <option key={m} value={m}>{m}</option>
            ))}
          </select>
          <select aria-label="Trier par" value={sort} onChange={(e) => setSort(e.target.value as typeof sort)}>
            <option value="date">Tri : date</option>
            <option value="type">Tri : type</option>
            <option value="patient">Tri : patient</option>
            <option value="status">Tri : statut</option>
          </select>
          <label className="inline">
            <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Non lus
          </label>
        </div>
        {bulkMessage && <p className="notice" role="status">{bulkMessage}</p>}
        {items.error && <p className="error" role="alert">{items.error.message}</p>}
        {list.length === 0 && !items.loading ? (
          <div className="empty-state">
            <p className="empty-title">{view === 'todo' ? 'Aucun document à classer.' : 'Aucun document dans cette vue.'}</p>
            <p>Les documents reçus par messagerie sécurisée de santé (MSSanté) apparaissent ici, rattachés au bon patient quand c’est certain.</p>
          </div>
        ) : (
          <div ref={scroller} className="worklist-scroller" role="listbox" aria-label="Documents" tabIndex={0} data-testid="worklist-items">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((row) => {
                const item = list[row.index]!;
                return (
                  <div
                    key={item.id}
                    role="option"
                    aria-selected={item.id === selected?.id}
                    className={`worklist-row status-${item.status}${item.id === selected?.id ? ' selected' : ''}${item.read ? '' : ' unread'}`}
                    style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${row.start}px)` }}
                    onClick={() => setSelectedId(item.id)}
                  >
                    <span className={`status-badge status-${item.status}`}>{item.needsValidation ? 'À valider' : STATUS_LABEL[item.status]}</span>
                    <span className="row-patient">
                      {item.patientLabel ?? (item.candidateCount ? `${item.candidateCount} patient${item.candidateCount > 1 ? 's' : ''} possible${item.candidateCount > 1 ? 's' : ''}` : 'Patient inconnu')}
                    </span>
                    <span className="row-type">{item.typeLabel ?? 'Document'}{item.action === 'C' ? ' · remplacement' : ''}</span>
                    <span className="row-date">{item.documentDate ? frenchDate(item.documentDate) : frenchDateTime(item.receivedAt)}</span>
                    <span className="row-sender" title={item.sender}>{senderName(item.sender)}</span>
                  </div>
                );
              })}
            </div>
          </div>
        )}
        <p className="shortcuts">↑/↓ document · Entrée accepter · C changer de patient · R rejeter · N créer le patient · U annuler · Maj+A tout intégrer (certains)</p>
      </div>
      <div className="worklist-detail-pane">
        {selected ? <WorklistDetailPane key={selected.id} itemId={selected.id} role={role} onDone={() => move(1)} /> : <p className="hint">Sélectionnez un document.</p>}
      </div>
    </section>
  );
}
