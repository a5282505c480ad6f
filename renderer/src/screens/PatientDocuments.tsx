import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import type { PatientRecord, RecordDocument } from '../../../shared/domain';
import { ApiError, call } from '../api/client';
import { useAction, useQuery } from '../api/hooks';
import { frenchDate } from '../app/format';
import { DmpBadge } from '../components/DmpBadge';

const PdfViewer = lazy(() => import('../components/PdfViewer').then((m) => ({ default: m.PdfViewer })));

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const ORIGIN_LABEL = { mssante: 'reçu par MSSanté', local: 'produit au cabinet', dmp: 'DMP' } as const;

/** DMP status (no click), consent, the record's documents with one-click DMP upload, DMP consultation. */
export function PatientDocuments({ patient, role }: { patient: PatientRecord; role: 'doctor' | 'secretary' }) {
  const badges = useQuery('dmp.statuses', { patientIds: [patient.id] }, ['dmp.changed']);
  const consent = useQuery('dmp.consent', { patientId: patient.id }, ['dmp.changed']);
  const documents = useQuery('documents.list', { patientId: patient.id }, ['documents.changed', 'dmp.changed']);
  const types = useQuery('documents.types', {});
  const setConsent = useAction('dmp.setConsent');
  const addPdf = useAction('documents.addPdf');
  // The boxes answer the click at once; the server's answer then replaces this optimistic value.
  const [consentDraft, setConsentDraft] = useState<{ informed: boolean; opposed: boolean } | null>(null);
  useEffect(() => setConsentDraft(null), [consent.data]);
  const [dmpOpen, setDmpOpen] = useState(false);
  const dmpDocs = useQuery('dmp.documents', dmpOpen ? { patientId: patient.id } : null);
  const [viewing, setViewing] = useState<{ title: string; data: Uint8Array } | null>(null);
  const [typeCode, setTypeCode] = useState('11488-4');
  const [error, setError] = useState<string | null>(null);
  const [options, setOptions] = useState<number | null>(null);
  const [visibility, setVisibility] = useState({ hiddenFromProfessionals: false, invisibleToPatient: false, invisibleToLegalRepresentatives: false });
  const fileInput = useRef<HTMLInputElement>(null);
  const badge = badges.data?.[0];
  const qualified = patient.identityStatus === 'QUAL';

  const send = async (doc: RecordDocument, vis = {}) => {
    setError(null);
    try {
      await call('dmp.upload', { documentId: doc.id, visibility: vis });
      setOptions(null);
      documents.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  const open = async (doc: RecordDocument) => {
    const pdf = await call('documents.pdf', { id: doc.id });
    if (pdf.base64) setViewing({ title: doc.title, data: fromBase64(pdf.base64) });
  };
  const openDmp = async (uniqueId: string, repositoryUniqueId: string | null, title: string) => {
    setError(null);
    try {
      const doc = await call('dmp.retrieve', { patientId: patient.id, uniqueId, repositoryUniqueId: repositoryUniqueId ?? '' });
      if (doc.mimeType === 'application/pdf') setViewing({ title, data: fromBase64(doc.base64) });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  const sorted = useMemo(() => [...(documents.data ?? [])].sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '')), [documents.data]);

  return (
    <>
      <section className="dmp-panel" aria-label="DMP" data-testid="dmp-panel">
        <h3>
          DMP / Mon espace santé <DmpBadge badge={badge} />
        </h3>
        {badge?.latestDocuments.length ? (
          <p className="doc-meta">
            Derniers documents : {badge.latestDocuments.map((d) => `${d.typeLabel}${d.date ? ` (${frenchDate(d.date)})` : ''}`).join(' ; ')}
          </p>
        ) : null}
        {badge?.documentsByOthersSinceLastVisit ? (
          <p className="dmp-news" data-testid="dmp-news">
            {badge.documentsByOthersSinceLastVisit} nouveau{badge.documentsByOthersSinceLastVisit > 1 ? 'x' : ''} document
            {badge.documentsByOthersSinceLastVisit > 1 ? 's' : ''} d’autres professionnels depuis votre dernière consultation
          </p>
        ) : null}
        {!qualified && <p className="hint">Identité non qualifiée : le DMP ne peut être ni vérifié ni alimenté.</p>}
        {consent.data && (() => {
          const informed = consentDraft?.informed ?? !!consent.data.informedAt;
          const opposed = consentDraft?.opposed ?? consent.data.opposed;
          const save = (next: { informed: boolean; opposed: boolean }) => {
            setConsentDraft(next);
            void setConsent.run({ patientId: patient.id, ...next }).then((saved) => {
              if (saved) consent.reload();
              else setConsentDraft(null);
            });
          };
          return (
          <div className="consent">
            <label>
              <input
                type="checkbox"
                checked={informed}
                disabled={setConsent.pending}
                onChange={(e) => save({ informed: e.target.checked, opposed })}
              />
              Patient informé de l’alimentation de son DMP{consent.data.informedAt ? ` (le ${frenchDate(consent.data.informedAt)})` : ''}
            </label>
            <label>
              <input
                type="checkbox"
                checked={opposed}
                disabled={setConsent.pending}
                onChange={(e) => save({ informed, opposed: e.target.checked })}
              />
              S’oppose à l’alimentation
            </label>
          </div>
          );
        })()}
        {setConsent.error && <p className="error" role="alert">{setConsent.error.message}</p>}
        <div>
          <button className="secondary" onClick={() => setDmpOpen((o) => !o)} aria-expanded={dmpOpen}>
            {dmpOpen ? 'Masquer les documents du DMP' : 'Consulter le DMP'}
          </button>
        </div>
        {dmpOpen && (
          <div data-testid="dmp-documents">
            {dmpDocs.loading && <p className="hint">Interrogation du DMP…</p>}
            {dmpDocs.error && <p className="error" role="alert">{dmpDocs.error.message}</p>}
            {dmpDocs.data && dmpDocs.data.length === 0 && <p className="hint">Aucun document dans le DMP.</p>}
            <ul className="documents">
              {(dmpDocs.data ?? []).map((d) => (
                <li key={d.uniqueId}>
                  <span>
                    <strong>{d.title}</strong> {d.newSinceLastVisit && <span className="dmp-news">nouveau</span>}
                    <br />
                    <span className="doc-meta">
                      {d.typeLabel} · {d.creationTime ? frenchDate(d.creationTime) : '—'} · {d.author}
                      {d.visibilityLabels.length ? ` · ${d.visibilityLabels.join(', ')}` : ''}
                    </span>
                  </span>
                  <span className="doc-actions">
                    <button className="secondary" onClick={() => void openDmp(d.uniqueId, d.repositoryUniqueId, d.title)}>
                      Ouvrir
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>

      <section aria-label="Documents du dossier">
        <h3>Documents</h3>
        <div className="add-pdf">
          <select aria-label="Type du document" value={typeCode} onChange={(e) => setTypeCode(e.target.value)}>
            {(types.data ?? []).map((t) => (
              <option key={t.code} value={t.code}>{t.label}</option>
            ))}
          </select>
          <input
            ref={fileInput}
            type="file"
            accept="application/pdf"
            aria-label="Ajouter un PDF au dossier"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              const base64 = toBase64(await file.arrayBuffer());
              if (await addPdf.run({ patientId: patient.id, fileName: file.name, base64, typeCode })) documents.reload();
              if (fileInput.current) fileInput.current.value = '';
            }}
          />
        </div>
        {addPdf.error && <p className="error" role="alert">{addPdf.error.message}</p>}
        {error && <p className="error" role="alert">{error}</p>}
        {sorted.length === 0 && <p className="hint">Aucun document dans le dossier.</p>}
        <ul className="documents" data-testid="record-documents">
          {sorted.map((doc) => (
            <li key={doc.id}>
              <span>
                <button className="link" onClick={() => void open(doc)}>{doc.title}</button>
                <br />
                <span className="doc-meta">
                  {doc.typeLabel ?? 'Document'} · {doc.date ? frenchDate(doc.date) : '—'} · {ORIGIN_LABEL[doc.origin]}
                  {doc.sender ? ` · ${doc.sender}` : ''}
                  {doc.replaced ? ' · remplacé par une version plus récente' : ''}
                  {doc.deletedBySender ? ' · supprimé par l’émetteur' : ''}
                </span>
              </span>
              <span className="doc-actions">
                {doc.dmp && (
                  <span className={`upload-status status-${doc.dmp.status}`} data-testid="upload-status" title={doc.dmp.detail ?? ''}>
                    DMP : {doc.dmp.label}
                  </span>
                )}
                {role === 'doctor' && qualified && doc.origin !== 'dmp' && doc.dmp?.status !== 'envoye' && doc.dmp?.status !== 'en_attente' && doc.dmp?.status !== 'envoi' && (
                  <>
                    <button onClick={() => void send(doc)}>Envoyer au DMP</button>
                    <button className="link" onClick={() => setOptions(options === doc.id ? null : doc.id)} aria-expanded={options === doc.id}>
                      Visibilité…
                    </button>
                  </>
                )}
              </span>
              {options === doc.id && (
                <div className="visibility" style={{ gridColumn: '1 / -1' }}>
                  <label>
                    <input type="checkbox" checked={visibility.hiddenFromProfessionals} onChange={(e) => setVisibility({ ...visibility, hiddenFromProfessionals: e.target.checked })} />
                    Masqué aux professionnels
                  </label>
                  <label>
                    <input type="checkbox" checked={visibility.invisibleToPatient} onChange={(e) => setVisibility({ ...visibility, invisibleToPatient: e.target.checked })} />
                    Invisible au patient
                  </label>
                  <label>
                    <input type="checkbox" checked={visibility.invisibleToLegalRepresentatives} onChange={(e) => setVisibility({ ...visibility, invisibleToLegalRepresentatives: e.target.checked })} />
                    Invisible aux représentants légaux
                  </label>
                  <button onClick={() => void send(doc, visibility)}>Envoyer au DMP avec ces options</button>
                </div>
              )}
            </li>
          ))}
        </ul>
        {viewing && (
          <div className="dialog" role="dialog" aria-label={viewing.title}>
            <div className="actions">
              <strong>{viewing.title}</strong>
              <button className="secondary" onClick={() => setViewing(null)}>Fermer</button>
            </div>
            <Suspense fallback={<p className="hint">Chargement de la visionneuse…</p>}><PdfViewer data={viewing.data} title={viewing.title} /></Suspense>
          </div>
        )}
      </section>
    </>
  );
}
