import { useEffect, useMemo, useRef, useState } from 'react';
import type { MailboxStatus, PatientSummary } from '../../../shared/domain';
import type { OutboxMessage } from '../../../shared/mail';
import { useAction, useQuery } from '../api/hooks';
import { frenchDate } from '../app/format';
import { PatientPicker } from '../components/PatientPicker';
import { isAddress, RecipientField } from '../components/RecipientField';

const ORIGIN_LABEL = { mssante: 'reçu par MSSanté', local: 'produit au cabinet', dmp: 'DMP' } as const;

/**
 * "Nouveau message": from one of the user's mailboxes, to professionals (typed or suggested) and,
 * for a qualified identity, to the patient; documents of the patient's record attached (a
 * structured one travels as IHE_XDM.ZIP + PDF). Ctrl+Entrée sends, Échap closes.
 */
export function ComposeMessage(props: { mailboxes: MailboxStatus[]; role: 'doctor' | 'secretary'; onSent: (m: OutboxMessage) => void; onClose: () => void }) {
  const { mailboxes, role } = props;
  const preferred = mailboxes.find((m) => m.kind === (role === 'doctor' ? 'personal' : 'organisational')) ?? mailboxes[0];
  const [from, setFrom] = useState(preferred?.address ?? '');
  const [to, setTo] = useState<string[]>([]);
  const [pending, setPending] = useState('');
  const [patient, setPatient] = useState<PatientSummary | null>(null);
  const [toPatient, setToPatient] = useState(false);
  const [documentIds, setDocumentIds] = useState<number[]>([]);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [readReceipt, setReadReceipt] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const send = useAction('mail.send');
  const documents = useQuery('mail.documents', patient ? { patientId: patient.id } : null, ['documents.changed']);
  const toField = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!from && preferred) setFrom(preferred.address);
  }, [from, preferred]);
  useEffect(() => toField.current?.focus(), []);
  useEffect(() => {
    setDocumentIds([]);
    setToPatient(false);
  }, [patient?.id]);

  const docs = documents.data ?? [];
  const structured = docs.filter((d) => documentIds.includes(d.id) && d.format === 'xdm');
  const qualified = patient?.identityStatus === 'QUAL';
  const autoSubject = useMemo(() => {
    const d = structured[0];
    if (!d || !patient) return null;
    return `${subject.trim() || d.title} ${patient.birthName.toUpperCase()} ${patient.birthGivenNames[0] ?? ''} ${frenchDate(patient.birthDate)}`;
  }, [structured, patient, subject]);

  const submit = async () => {
    setLocalError(null);
    send.clearError();
    const typed = pending.trim();
    if (typed && !isAddress(typed)) {
      setLocalError(`Adresse incomplète : « ${typed} ». Choisissez un correspondant ou tapez une adresse complète.`);
      return;
    }
    const recipients = typed ? [...to, typed] : to;
    const sent = await send.run({ mailbox: from, to: recipients, toPatient, patientId: patient?.id ?? null, subject, body, documentIds, readReceipt });
    if (sent) props.onSent(sent);
  };

  const toggleDoc = (id: number, format: string) => {
    setDocumentIds((ids) => {
      if (ids.includes(id)) return ids.filter((i) => i !== id);
      if (format === 'xdm' && structured.length >= 1) {
        setLocalError('Un seul document structuré par message : envoyez les autres dans un second message.');
        return ids;
      }
      setLocalError(null);
      return [...ids, id];
    });
  };

  return (
    <section
      className="compose"
      aria-labelledby="compose-title"
      data-testid="compose"
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void submit();
        } else if (e.key === 'Escape' && !e.defaultPrevented) {
          e.preventDefault();
          props.onClose();
        }
      }}
    >
      <header className="compose-head">
        <h2 id="compose-title">Nouveau message</h2>
        <button type="button" className="link" onClick={props.onClose}>
          Fermer <kbd>Échap</kbd>
        </button>
      </header>

      <div className="compose-grid">
        <label htmlFor="compose-from">De</label>
        <select id="compose-from" value={from} onChange={(e) => setFrom(e.target.value)}>
          {mailboxes.map((m) => (
            <option key={m.address} value={m.address}>
              {m.label} — {m.address}
            </option>
          ))}
        </select>

        <span className="compose-label">À</span>
        <div>
          <RecipientField ref={toField} value={to} onChange={setTo} pending={pending} onPending={setPending} />
          {patient && (
            <label className="inline-check" title={qualified ? undefined : 'Seule une identité qualifiée donne accès à la messagerie du patient.'}>
              <input type="checkbox" checked={toPatient} disabled={!qualified} onChange={(e) => setToPatient(e.target.checked)} />
              Envoyer aussi au patient (messagerie de Mon espace santé)
              {!qualified && <span className="hint small"> — identité non qualifiée : impossible</span>}
            </label>
          )}
        </div>

        <span className="compose-label">Patient</span>
        <PatientPicker value={patient} onChange={setPatient} label="Patient concerné" />

        {patient && (
          <>
            <span className="compose-label">Documents</span>
            <div data-testid="compose-documents">
              {documents.loading && !docs.length && <p className="hint small">Chargement des documents du dossier…</p>}
              {!documents.loading && !docs.length && <p className="hint small">Aucun document dans le dossier de ce patient.</p>}
              <ul className="attach-list">
                {docs.map((d) => (
                  <li key={d.id}>
                    <label className={d.format === 'aucun' ? 'disabled' : ''}>
                      <input
                        type="checkbox"
                        disabled={d.format === 'aucun'}
                        checked={documentIds.includes(d.id)}
                        onChange={() => toggleDoc(d.id, d.format)}
                      />
                      <span className="attach-title">{d.title}</span>
                      <span className="doc-meta">
                        {d.date ? frenchDate(d.date) : '—'} · {ORIGIN_LABEL[d.origin]} · <span className={`format format-${d.format}`}>{d.formatLabel}</span>
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
            </div>
          </>
        )}

        <label htmlFor="compose-subject">{structured.length ? 'Libellé' : 'Objet'}</label>
        <div>
          <input
            id="compose-subject"
            value={subject}
            maxLength={250}
            placeholder={structured.length ? `${structured[0]!.title} (libellé du document)` : 'Objet du message'}
            onChange={(e) => setSubject(e.target.value)}
          />
          {autoSubject && <p className="hint small" data-testid="auto-subject">Objet envoyé : {autoSubject}</p>}
        </div>

        <label htmlFor="compose-body">Message</label>
        <textarea id="compose-body" rows={8} value={body} onChange={(e) => setBody(e.target.value)} placeholder="Bonjour," />

        <span />
        <label className="inline-check">
          <input type="checkbox" checked={readReceipt} onChange={(e) => setReadReceipt(e.target.checked)} />
          Demander un accusé de lecture
        </label>
      </div>

      {(localError ?? send.error) && (
        <p className="error" role="alert">
          {localError ?? send.error!.message}
        </p>
      )}
      <div className="compose-actions">
        <button type="button" onClick={() => void submit()} disabled={send.pending || !from} aria-keyshortcuts="Control+Enter">
          {send.pending ? 'Mise en file…' : 'Envoyer'} <kbd>Ctrl+Entrée</kbd>
        </button>
        <button type="button" className="secondary" onClick={props.onClose}>
          Annuler
        </button>
        <span className="hint small">Le message part par la file d’envoi : il reste « en attente » tant que l’opérateur ne l’a pas accepté.</span>
      </div>
    </section>
  );
}
