import { useEffect, useState } from 'react';
import { useQuery } from '../api/hooks';
import { ageOf, frenchDate, frenchDateTime, patientName } from '../app/format';
import { IdentityBadge } from '../components/IdentityBadge';
import { PatientForm } from './PatientForm';
import { PatientDocuments } from './PatientDocuments';
import { QualificationDialog } from './QualificationDialog';

const ACTION_LABEL: Record<string, string> = {
  'patient.creation': 'Création du patient',
  'patient.modification': 'Modification de l’identité',
  'patient.consultation': 'Consultation du dossier',
  'identite.insi': 'Appel au téléservice INSi',
  'identite.qualification': 'Qualification de l’identité',
  'admin.sauvegarde': 'Sauvegarde',
  'dmp.envoi': 'Envoi au DMP',
  'dmp.consentement': 'Information / opposition DMP',
  'dmp.consultation': 'Consultation du DMP',
  'document.ajout': 'Ajout d’un document',
  'worklist.integration': 'Document reçu intégré',
};

export function PatientRecordView({ id }: { id: number }) {
  const record = useQuery('patients.get', { id }, ['patients.changed']);
  const audit = useQuery('audit.list', { patientId: id, limit: 50 }, ['patients.changed', 'documents.changed', 'dmp.changed']);
  const session = useQuery('auth.state', {});
  const [editing, setEditing] = useState(false);
  const [qualifying, setQualifying] = useState(false);
  const p = record.data;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (!typing && !e.altKey && !e.ctrlKey && e.key.toLowerCase() === 'q' && p && p.identityStatus !== 'QUAL') {
        e.preventDefault();
        setQualifying(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [p]);
  if (record.error) return <p className="error" role="alert">{record.error.message}</p>;
  if (!p) return <p className="hint">Chargement…</p>;
  if (editing) return <PatientForm existing={p} onDone={() => setEditing(false)} onOpenExisting={() => setEditing(false)} />;

  return (
    <article className="patient-record" data-testid="patient-record">
      <header className={`identity-banner status-${p.identityStatus}`}>
        <div>
          <h2>{patientName(p)}</h2>
          <div className="traits">
            {p.sex === 'F' ? 'Femme' : 'Homme'} · né{p.sex === 'F' ? 'e' : ''} le {frenchDate(p.birthDate)} ({ageOf(p.birthDate)} ans)
            {p.birthplaceCode && <> · lieu de naissance (COG) {p.birthplaceCode}</>}
          </div>
        </div>
        <IdentityBadge status={p.identityStatus} />
        {p.ins ? (
          <div className="ins" data-testid="ins">
            INS <strong>{p.ins}</strong>
          </div>
        ) : (
          <div className="ins ins-absent">INS non affichée (identité non qualifiée)</div>
        )}
        <div className="banner-actions">
          {p.identityStatus !== 'QUAL' && (
            <button onClick={() => setQualifying(true)} aria-keyshortcuts="Q">
              Qualifier l’identité <kbd>Q</kbd>
            </button>
          )}
          <button className="secondary" onClick={() => setEditing(true)}>Modifier l’identité</button>
        </div>
      </header>
      {qualifying && (
        <QualificationDialog
          patient={p}
          onClose={() => {
            setQualifying(false);
            record.reload();
            audit.reload();
          }}
        />
      )}

      <PatientDocuments patient={p} role={session.data?.user?.role ?? 'secretary'} />

      <section className="traits-table">
        <h3>Traits d’identité</h3>
        <dl>
          <dt>Nom de naissance</dt>
          <dd>{p.birthName}</dd>
          <dt>Prénoms de naissance</dt>
          <dd>{p.birthGivenNames.join(' ')}</dd>
          <dt>Nom utilisé</dt>
          <dd>{p.usedName ?? '—'}</dd>
          <dt>Prénom utilisé</dt>
          <dd>{p.usedGivenName ?? '—'}</dd>
          <dt>Date de naissance</dt>
          <dd>{frenchDate(p.birthDate)}</dd>
          <dt>Sexe</dt>
          <dd>{p.sex}</dd>
          <dt>Lieu de naissance (COG)</dt>
          <dd>{p.birthplaceCode ?? '—'}</dd>
        </dl>
      </section>

      <section>
        <h3>Historique de l’identité</h3>
        <ol className="history">
          {p.identityHistory.map((e, i) => (
            <li key={i}>
              {frenchDateTime(e.at)} — {e.reason} — par {e.by}
              {e.byRole ? ` (${e.byRole === 'doctor' ? 'médecin' : 'secrétariat'})` : ''}
            </li>
          ))}
        </ol>
      </section>

      <section>
        <h3>Traces</h3>
        <ol className="audit" data-testid="audit-entries">
          {(audit.data ?? []).map((a) => (
            <li key={a.id}>
              {frenchDateTime(a.at)} — {ACTION_LABEL[a.action] ?? a.action} — {a.actor}
            </li>
          ))}
        </ol>
      </section>
    </article>
  );
}
