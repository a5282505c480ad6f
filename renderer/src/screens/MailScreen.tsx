import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { MailReceipt, OutboxMessage } from '../../../shared/mail';
import { ApiError, call } from '../api/client';
import { useQuery } from '../api/hooks';
import { frenchDateTime } from '../app/format';
import { ComposeMessage } from './ComposeMessage';

/** Alt+M anywhere opens "Nouveau message" (App switches to this screen, then asks for the form). */
const COMPOSE_EVENT = 'lgc:compose';
let composeRequested = false;
export function requestCompose(): void {
  composeRequested = true;
  window.dispatchEvent(new Event(COMPOSE_EVENT));
}

const STATE_LABEL = { connected: 'connectée', syncing: 'synchronisation…', offline: 'hors ligne', error: 'erreur', 'not-configured': 'non configurée' } as const;

type Tab = 'sent' | 'mdn' | 'receipts';

/** 02/03/2026 à 10:15, in the workstation's time zone. */
function at(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleDateString('fr-FR', { day: '2-digit', month: '2-digit', year: 'numeric' })} à ${d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' })}`;
}

function receiptText(r: MailReceipt): string {
  return `${r.label} — ${r.from ?? 'expéditeur inconnu'}, le ${at(r.receivedAt)}`;
}

/** The status sentence, dates shown here (the service's sentence is a fallback). */
function statusDetail(m: OutboxMessage): string {
  if (m.status === 'envoye' && m.sentAt) return `Envoyé le ${at(m.sentAt)}`;
  if (m.status === 'echec' && m.lastError) return `Erreur : ${m.lastError}`;
  if (m.status === 'en_attente' && m.lastError && m.nextAttemptAt) return `En attente (nouvel essai le ${at(m.nextAttemptAt)} ; dernière erreur : ${m.lastError})`;
  return m.detail;
}

function OutboxDetail({ message, onChanged }: { message: OutboxMessage; onChanged: (m: OutboxMessage) => void }) {
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setConfirmCancel(false);
    setError(null);
  }, [message.id]);
  const act = async (method: 'mail.retry' | 'mail.cancel') => {
    setError(null);
    try {
      onChanged(await call(method, { id: message.id }));
      setConfirmCancel(false);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
      if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
      if ((e.key === 'r' || e.key === 'R') && message.canRetry) void act('mail.retry');
      else if (e.key === 'Delete' && message.canCancel) {
        if (confirmCancel) void act('mail.cancel');
        else setConfirmCancel(true);
      } else if (e.key === 'Escape' && confirmCancel) setConfirmCancel(false);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <article className="outbox-detail" data-testid="outbox-detail">
      <header>
        <h2>{message.subject || '(sans objet)'}</h2>
        <p className="meta">
          {message.kind === 'mdn' ? 'Accusé de traitement préparé automatiquement' : `Préparé par ${message.createdBy}`} le {at(message.createdAt)}
        </p>
      </header>
      <dl className="outbox-fields">
        <dt>De</dt>
        <dd>{message.mailbox}</dd>
        <dt>À</dt>
        <dd>{message.recipients.join(', ')}</dd>
        {message.patientLabel && (
          <>
            <dt>Patient</dt>
            <dd>{message.patientLabel}</dd>
          </>
        )}
        {message.attachments.length > 0 && (
          <>
            <dt>Pièces jointes</dt>
            <dd>{message.attachments.join(' · ')}</dd>
          </>
        )}
        <dt>État</dt>
        <dd>
          <span className={`out-status status-${message.status}`}>{message.statusLabel}</span> <span data-testid="outbox-detail-text">{statusDetail(message)}</span>
          {message.attempts > 0 && <span className="doc-meta"> · {message.attempts} essai{message.attempts > 1 ? 's' : ''}</span>}
        </dd>
        {message.kind === 'message' && (
          <>
            <dt>Accusés</dt>
            <dd data-testid="outbox-receipts">
              {message.receipts.length ? (
                <ul className="receipt-list">
                  {message.receipts.map((r) => (
                    <li key={r.id} className={`receipt kind-${r.kind}`}>{receiptText(r)}</li>
                  ))}
                </ul>
              ) : message.readReceipt ? (
                <span className="hint">Accusé de lecture demandé, pas encore reçu.</span>
              ) : (
                <span className="hint">Aucun accusé demandé.</span>
              )}
            </dd>
          </>
        )}
      </dl>
      {error && <p className="error" role="alert">{error}</p>}
      {(message.canRetry || message.canCancel) && (
        <div className="outbox-actions">
          {message.canRetry && (
            <button onClick={() => void act('mail.retry')} aria-keyshortcuts="R">
              Réessayer maintenant <kbd>R</kbd>
            </button>
          )}
          {message.canCancel &&
            (confirmCancel ? (
              <>
                <button className="danger" onClick={() => void act('mail.cancel')} aria-keyshortcuts="Delete">
                  Confirmer l’annulation <kbd>Suppr</kbd>
                </button>
                <button className="secondary" onClick={() => setConfirmCancel(false)}>
                  Garder le message <kbd>Échap</kbd>
                </button>
              </>
            ) : (
              <button className="secondary" onClick={() => setConfirmCancel(true)} aria-keyshortcuts="Delete">
                Annuler l’envoi <kbd>Suppr</kbd>
              </button>
            ))}
        </div>
      )}
    </article>
  );
}

/** Messagerie: the mailboxes' state, the outbox (messages and automatic receipts) and the receipts received. */
export function MailScreen({ role }: { role: 'doctor' | 'secretary' }) {
  const status = useQuery('mail.status', {}, ['mail.changed']);
  const outbox = useQuery('mail.outbox', { limit: 200 }, ['mail.changed']);
  const receipts = useQuery('mail.receipts', { limit: 100 }, ['mail.changed']);
  const [tab, setTab] = useState<Tab>('sent');
  const [composing, setComposing] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  // What the server answered last for a message, until the list catches up (the row appears at once).
  const [fresh, setFresh] = useState<OutboxMessage | null>(null);
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const open = () => {
      composeRequested = false;
      setComposing(true);
    };
    if (composeRequested) open();
    window.addEventListener(COMPOSE_EVENT, open);
    return () => window.removeEventListener(COMPOSE_EVENT, open);
  }, []);

  const all = useMemo(() => {
    const rows = outbox.data ?? [];
    if (!fresh) return rows;
    const known = rows.find((r) => r.id === fresh.id);
    // The list wins once it has seen the message at least as far along.
    if (!known) return [fresh, ...rows];
    return rows;
  }, [outbox.data, fresh]);
  const sent = all.filter((m) => m.kind === 'message');
  const mdns = all.filter((m) => m.kind === 'mdn');
  const list = tab === 'sent' ? sent : tab === 'mdn' ? mdns : [];
  const receiptList = receipts.data ?? [];
  const selected = list.find((m) => m.id === selectedId) ?? null;
  const waiting = sent.filter((m) => m.status === 'en_attente').length;
  const failed = all.filter((m) => m.status === 'echec').length;

  useEffect(() => {
    if (composing) return;
    if (list.length && (selectedId === null || !list.some((m) => m.id === selectedId))) setSelectedId(list[0]!.id);
  }, [list, selectedId, composing]);

  const move = useCallback(
    (delta: number) => {
      if (!list.length) return;
      const i = Math.max(0, list.findIndex((m) => m.id === selectedId));
      const next = Math.min(list.length - 1, Math.max(0, i + delta));
      setSelectedId(list[next]!.id);
      listRef.current?.querySelectorAll('[role="option"]')[next]?.scrollIntoView({ block: 'nearest' });
    },
    [list, selectedId],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
      if (typing || e.altKey || e.ctrlKey || e.metaKey || composing) return;
      if (e.key === 'ArrowDown' || e.key === 'j') move(1);
      else if (e.key === 'ArrowUp' || e.key === 'k') move(-1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [move, composing]);

  const boxes = status.data ?? [];

  return (
    <section className="mail" aria-labelledby="mail-title" data-testid="mail-screen">
      <div className="mail-list-pane">
        <header className="screen-header">
          <h1 id="mail-title">Messagerie</h1>
          <button onClick={() => setComposing(true)} aria-keyshortcuts="Alt+M">
            Nouveau message <kbd>Alt+M</kbd>
          </button>
        </header>
        <ul className="mailbox-lines" aria-label="Boîtes aux lettres" data-testid="mailbox-lines">
          {boxes.length === 0 && <li className="hint">Aucune boîte aux lettres MSSanté configurée pour ce poste.</li>}
          {boxes.map((b) => (
            <li key={b.address} className={`mailbox-line state-${b.state}`}>
              <span className="dot" aria-hidden="true" />
              <span className="box-label">{b.label}</span>
              <span className="box-address">{b.address}</span>
              <span className="box-state">
                {STATE_LABEL[b.state]}
                {b.detail ? ` — ${b.detail}` : ''}
              </span>
            </li>
          ))}
        </ul>
        <nav className="chips" aria-label="Vues">
          <button className={tab === 'sent' ? 'chip active' : 'chip'} aria-pressed={tab === 'sent'} onClick={() => setTab('sent')}>
            Messages envoyés{waiting ? ` (${waiting} en attente)` : ''}
          </button>
          <button className={tab === 'mdn' ? 'chip active' : 'chip'} aria-pressed={tab === 'mdn'} onClick={() => setTab('mdn')}>
            Accusés de traitement envoyés{mdns.length ? ` (${mdns.length})` : ''}
          </button>
          <button className={tab === 'receipts' ? 'chip active' : 'chip'} aria-pressed={tab === 'receipts'} onClick={() => setTab('receipts')}>
            Accusés reçus{receiptList.length ? ` (${receiptList.length})` : ''}
          </button>
        </nav>
        {failed > 0 && <p className="error" role="status">{failed} envoi{failed > 1 ? 's' : ''} en échec : ouvrez-le pour réessayer ou l’annuler.</p>}
        {(outbox.error ?? receipts.error) && <p className="error" role="alert">{(outbox.error ?? receipts.error)!.message}</p>}

        {tab === 'receipts' ? (
          receiptList.length === 0 ? (
            <div className="empty-state">
              <p className="empty-title">Aucun accusé reçu.</p>
              <p>Les accusés de lecture et de traitement renvoyés par vos correspondants apparaissent ici et sur le message concerné.</p>
            </div>
          ) : (
            <ul className="outbox-list" aria-label="Accusés reçus" data-testid="receipts">
              {receiptList.map((r) => (
                <li key={r.id} className="outbox-row">
                  <span className={`out-status receipt-${r.kind}`}>{r.kind === 'traite' ? 'Intégré' : r.kind === 'erreur' ? 'Non intégré' : r.kind === 'lu' ? 'Lu' : 'Accusé'}</span>
                  <span className="row-subject">{r.subject || '(sans objet)'}</span>
                  <span className="row-date">{frenchDateTime(r.receivedAt)}</span>
                  <span className="row-to">{r.label} · {r.from ?? '—'}{r.outboxId === null ? ' · message d’origine inconnu de ce poste' : ''}</span>
                </li>
              ))}
            </ul>
          )
        ) : list.length === 0 && !outbox.loading ? (
          <div className="empty-state">
            <p className="empty-title">{tab === 'sent' ? 'Aucun message envoyé.' : 'Aucun accusé de traitement envoyé.'}</p>
            <p>
              {tab === 'sent'
                ? 'Alt+M pour écrire à un correspondant ou à un patient, avec les documents de son dossier.'
                : 'Quand un expéditeur demande un accusé, il part automatiquement dès que ses documents sont intégrés ou rejetés.'}
            </p>
          </div>
        ) : (
          <div ref={listRef} className="outbox-scroller" role="listbox" aria-label={tab === 'sent' ? 'Messages envoyés' : 'Accusés envoyés'} tabIndex={0} data-testid="outbox">
            {list.map((m) => (
              <div
                key={m.id}
                role="option"
                aria-selected={m.id === selected?.id && !composing}
                className={`outbox-row${m.id === selected?.id && !composing ? ' selected' : ''}`}
                onClick={() => {
                  setComposing(false);
                  setSelectedId(m.id);
                }}
                data-testid="outbox-row"
              >
                <span className={`out-status status-${m.status}`} data-testid="outbox-status">{m.statusLabel}</span>
                <span className="row-subject">
                  {m.subject || '(sans objet)'}
                  {m.receipts.some((r) => r.kind === 'traite' || r.kind === 'lu') && <span className="receipt-mark" title={m.receipts.map(receiptText).join('\n')}> ✓ accusé</span>}
                  {m.receipts.some((r) => r.kind === 'erreur') && <span className="receipt-mark error-mark" title={m.receipts.map(receiptText).join('\n')}> ✗ non intégré</span>}
                </span>
                <span className="row-date" title={statusDetail(m)}>{frenchDateTime(m.sentAt ?? m.createdAt)}</span>
                <span className="row-to">
                  À {m.recipients.join(', ')}
                  {m.patientLabel ? ` · ${m.patientLabel}` : ''}
                  {m.attachments.length ? ` · ${m.attachments.length} pièce${m.attachments.length > 1 ? 's' : ''} jointe${m.attachments.length > 1 ? 's' : ''}` : ''}
                </span>
              </div>
            ))}
          </div>
        )}
        <p className="shortcuts">Alt+M nouveau message · ↑/↓ message · R réessayer · Suppr annuler l’envoi · Ctrl+Entrée envoyer</p>
      </div>
      <div className="mail-detail-pane">
        {composing ? (
          <ComposeMessage
            mailboxes={boxes}
            role={role}
            onClose={() => setComposing(false)}
            onSent={(m) => {
              setFresh(m);
              setComposing(false);
              setTab('sent');
              setSelectedId(m.id);
              outbox.reload();
            }}
          />
        ) : selected ? (
          <OutboxDetail
            message={selected}
            onChanged={(m) => {
              setFresh(m);
              outbox.reload();
            }}
          />
        ) : (
          <p className="hint">{tab === 'receipts' ? 'Les accusés reçus sont aussi affichés sur le message qu’ils concernent.' : 'Alt+M pour écrire un nouveau message.'}</p>
        )}
      </div>
    </section>
  );
}
