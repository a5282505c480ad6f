import { useEffect, useRef, useState } from 'react';
import type { InsiOutcome, PatientRecord } from '../../../shared/domain';
import { useAction, useQuery } from '../api/hooks';
import { frenchDate } from '../app/format';

type IdDocument = 'CNI' | 'PASSEPORT' | 'TITRE_SEJOUR' | 'LIVRET_FAMILLE' | 'EXTRAIT_NAISSANCE';
const HIGH_TRUST: { type: IdDocument; label: string }[] = [
  { type: 'CNI', label: 'Carte d’identité vérifiée' },
  { type: 'PASSEPORT', label: 'Passeport vérifié' },
  { type: 'TITRE_SEJOUR', label: 'Titre de séjour vérifié' },
];

/**
 * Qualification in three interactions for a patient with a Vitale card: read the card (INSi),
 * then one click on the identity document checked. The secretary can do it under her own name.
 */
export function QualificationDialog({ patient, onClose }: { patient: PatientRecord; onClose: () => void }) {
  const cards = useQuery('identity.testVitaleCards', {});
  const search = useAction('identity.insiSearch');
  const qualify = useAction('identity.qualify');
  const [outcome, setOutcome] = useState<InsiOutcome | null>(null);
  const [birthplace, setBirthplace] = useState(patient.birthplaceCode ?? '');
  const [givenNames, setGivenNames] = useState(patient.birthGivenNames.join(' '));
  const first = useRef<HTMLButtonElement>(null);

  useEffect(() => first.current?.focus(), [cards.data, outcome]);

  const beneficiaries = (cards.data ?? []).flatMap((card) => card.beneficiaries.map((b) => ({ card, ...b })));
  // The card whose beneficiary has the patient's birth date is the likely one: offered first.
  beneficiaries.sort((a, b) => Number(b.birthDate === patient.birthDate) - Number(a.birthDate === patient.birthDate));

  const runSearch = async (request: Parameters<typeof search.run>[0]['request']) => {
    setOutcome(null);
    const result = await search.run({ patientId: patient.id, request });
    if (result) setOutcome(result);
  };
  const finish = async (idDocument: IdDocument | null) => {
    const insiResultId = outcome?.code === '00' ? outcome.resultId : null;
    if (await qualify.run({ patientId: patient.id, insiResultId, idDocument })) onClose();
  };
  const error = search.error ?? qualify.error;

  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="qualif-title" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <h3 id="qualif-title">Qualifier l’identité</h3>

      {!outcome && (
        <>
          <p className="hint">1. Interrogez le téléservice INSi avec la carte Vitale (ou les traits), 2. cliquez sur la pièce d’identité vérifiée.</p>
          {beneficiaries.length > 0 && (
            <div className="choices">
              {beneficiaries.map((b, i) => (
                <button key={`${b.card.nir}-${b.birthDate}`} ref={i === 0 ? first : undefined} disabled={search.pending}
                  onClick={() => void runSearch({ mode: 'vitale', nir: b.card.nir, birthDate: b.birthDate, rank: b.rank })}>
                  Lire la carte Vitale : {b.card.holderName} — bénéficiaire né(e) le {frenchDate(b.birthDate)}
                </button>
              ))}
            </div>
          )}
          <button className="secondary" ref={beneficiaries.length ? undefined : first} disabled={search.pending}
            onClick={() => void runSearch({ mode: 'traits' })}>
            Rechercher l’INS par les traits d’identité
          </button>
          <details>
            <summary>Sans appel INSi : pièce d’identité vérifiée seulement (identité validée)</summary>
            <div className="choices">
              {HIGH_TRUST.map((d) => (
                <button key={d.type} className="secondary" onClick={() => void finish(d.type)}>
                  {d.label}
                </button>
              ))}
            </div>
          </details>
        </>
      )}

      {search.pending && <p role="status">Interrogation du téléservice INSi…</p>}

      {outcome?.code === '00' && (
        <>
          <p role="status" className="ok-box">
            INSi a trouvé l’identité : <strong>{outcome.identity.birthName} {outcome.identity.birthGivenNames.join(' ')}</strong>, {outcome.identity.sex === 'F' ? 'née' : 'né'} le{' '}
            {frenchDate(outcome.identity.birthDate)} — INS {outcome.identity.matricule}
          </p>
          {outcome.differences.length > 0 && (
            <table className="grid differences" aria-label="Différences avec le dossier">
              <thead>
                <tr><th>Trait</th><th>Dossier</th><th>INSi (référence)</th></tr>
              </thead>
              <tbody>
                {outcome.differences.map((d) => (
                  <tr key={d.trait}><td>{d.trait}</td><td>{d.local}</td><td><strong>{d.insi}</strong></td></tr>
                ))}
              </tbody>
            </table>
          )}
          <p>Vérifiez la pièce d’identité du patient, puis :</p>
          <div className="choices">
            {HIGH_TRUST.map((d, i) => (
              <button key={d.type} ref={i === 0 ? first : undefined} disabled={qualify.pending} onClick={() => void finish(d.type)}>
                {d.label} : qualifier
              </button>
            ))}
            <button className="secondary" disabled={qualify.pending} onClick={() => void finish(null)}>
              Pièce non présentée : enregistrer l’INS (identité récupérée)
            </button>
          </div>
        </>
      )}

      {outcome && outcome.code !== '00' && (
        <div className="notice" role="alert">
          <p>{outcome.message}</p>
          {outcome.code === '02' || outcome.code === '01' ? (
            <form
              className="retry"
              onSubmit={(e) => {
                e.preventDefault();
                void runSearch({
                  mode: 'traits',
                  ...(birthplace.trim() ? { birthplaceCode: birthplace.trim() } : {}),
                  extraGivenNames: givenNames.trim().split(/\s+/),
                });
              }}
            >
              <label>
                Tous les prénoms de naissance
                <input value={givenNames} onChange={(e) => setGivenNames(e.target.value)} />
              </label>
              <label>
                Lieu de naissance (COG)
                <input value={birthplace} onChange={(e) => setBirthplace(e.target.value)} />
              </label>
              <button type="submit">Relancer INSi</button>
            </form>
          ) : null}
        </div>
      )}

      {error && <p className="error" role="alert">{error.message}</p>}
      <div className="actions">
        <button className="secondary" onClick={onClose}>Fermer (Échap)</button>
      </div>
    </div>
  );
}
