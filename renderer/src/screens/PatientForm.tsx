import { useState } from 'react';
import type { PatientInput, PatientRecord, PatientSummary } from '../../../shared/domain';
import { useAction } from '../api/hooks';
import { frenchDate, patientName, STATUS_LABEL } from '../app/format';

interface Props {
  existing?: PatientRecord;
  /** Traits read from a received document, to pre-fill a new patient. */
  draft?: Partial<PatientInput>;
  onDone: (id: number | null) => void;
  onOpenExisting: (id: number) => void;
}

/** jj/mm/aaaa → AAAA-MM-JJ, or null when not a real date. */
function parseFrenchDate(value: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value.trim());
  if (!m) return null;
  const iso = `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso && d <= new Date() ? iso : null;
}

export function PatientForm({ existing, draft, onDone, onOpenExisting }: Props) {
  const source = existing ?? draft;
  const [birthName, setBirthName] = useState(source?.birthName ?? '');
  const [givenNames, setGivenNames] = useState(source?.birthGivenNames?.join(' ') ?? '');
  const [birthDate, setBirthDate] = useState(source?.birthDate ? frenchDate(source.birthDate) : '');
  const [sex, setSex] = useState<'F' | 'M' | ''>(source?.sex ?? '');
  const [birthplace, setBirthplace] = useState(source?.birthplaceCode ?? '');
  const [usedName, setUsedName] = useState(source?.usedName ?? '');
  const [usedGivenName, setUsedGivenName] = useState(source?.usedGivenName ?? '');
  const [duplicates, setDuplicates] = useState<PatientSummary[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const create = useAction('patients.create');
  const update = useAction('patients.update');
  const [touched, setTouched] = useState(false);

  const isoBirth = parseFrenchDate(birthDate);
  const errors = {
    birthName: birthName.trim() ? null : 'Nom de naissance obligatoire',
    givenNames: givenNames.trim() ? null : 'Au moins un prénom de naissance',
    birthDate: isoBirth ? null : 'Date au format jj/mm/aaaa',
    sex: sex ? null : 'Sexe obligatoire',
    birthplace: !birthplace.trim() || /^(\d{5}|2[AB]\d{3})$/i.test(birthplace.trim()) ? null : 'Code COG sur 5 caractères (ex. 63220, 2B020)',
  };
  const valid = Object.values(errors).every((e) => e === null);

  const submit = async (confirmNotDuplicateOf: number[] = []) => {
    setTouched(true);
    if (!valid) return;
    const patient = {
      birthName,
      birthGivenNames: givenNames.trim().split(/\s+/),
      birthDate: isoBirth!,
      sex: sex as 'F' | 'M',
      birthplaceCode: birthplace.trim() || null,
      usedName: usedName.trim() || null,
      usedGivenName: usedGivenName.trim() || null,
    };
    if (existing) {
      const result = await update.run({ id: existing.id, patient });
      if (result?.statusDowngraded) {
        setNotice(`Trait strict modifié : l’identité repasse de « ${STATUS_LABEL[result.statusDowngraded.from]} » à « ${STATUS_LABEL[result.statusDowngraded.to]} ». Une nouvelle qualification sera nécessaire.`);
        return;
      }
      if (result) onDone(existing.id);
      return;
    }
    const result = await create.run({ patient, confirmNotDuplicateOf });
    if (!result) return;
    if (result.created) onDone(result.created.id);
    else setDuplicates(result.possibleDuplicates);
  };

  const error = create.error ?? update.error;
  const show = (key: keyof typeof errors) => touched && errors[key] ? <span className="field-error">{errors[key]}</span> : null;

  return (
    <form
      className="patient-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => e.key === 'Escape' && onDone(existing?.id ?? null)}
      aria-label={existing ? 'Modifier l’identité' : 'Nouveau patient'}
    >
      <h2>{existing ? 'Modifier l’identité' : 'Nouveau patient'}</h2>
      <p className="hint">Traits stricts : recopiez-les depuis la pièce d’identité (nom et prénoms de naissance, date, sexe, lieu).</p>
      <label>
        Nom de naissance
        <input autoFocus value={birthName} onChange={(e) => setBirthName(e.target.value)} />
        {show('birthName')}
      </label>
      <label>
        Prénoms de naissance (tous, dans l’ordre)
        <input value={givenNames} onChange={(e) => setGivenNames(e.target.value)} />
        {show('givenNames')}
      </label>
      <label>
        Date de naissance (jj/mm/aaaa)
        <input value={birthDate} onChange={(e) => setBirthDate(e.target.value)} inputMode="numeric" placeholder="jj/mm/aaaa" />
        {show('birthDate')}
      </label>
      <fieldset>
        <legend>Sexe</legend>
        <label className="inline">
          <input type="radio" name="sex" checked={sex === 'F'} onChange={() => setSex('F')} /> Féminin
        </label>
        <label className="inline">
          <input type="radio" name="sex" checked={sex === 'M'} onChange={() => setSex('M')} /> Masculin
        </label>
        {show('sex')}
      </fieldset>
      <label>
        Lieu de naissance (code COG)
        <input value={birthplace} onChange={(e) => setBirthplace(e.target.value)} placeholder="ex. 75056, 99134 (étranger)" />
        {show('birthplace')}
      </label>
      <label>
        Nom utilisé
        <input value={usedName} onChange={(e) => setUsedName(e.target.value)} />
      </label>
      <label>
        Prénom utilisé
        <input value={usedGivenName} onChange={(e) => setUsedGivenName(e.target.value)} />
      </label>

      {duplicates.length > 0 && (
        <div className="duplicates" role="alert">
          <p>
            <strong>Doublon possible :</strong> ces patients ont les mêmes traits de naissance. Ouvrez le bon dossier plutôt que d’en créer un
            second.
          </p>
          <ul>
            {duplicates.map((d) => (
              <li key={d.id}>
                <button type="button" className="link" onClick={() => onOpenExisting(d.id)}>
                  {patientName(d)} — {frenchDate(d.birthDate)}
                </button>
              </li>
            ))}
          </ul>
          <button type="button" className="secondary" onClick={() => void submit(duplicates.map((d) => d.id))}>
            Ce n’est pas la même personne : créer quand même
          </button>
        </div>
      )}
      {notice && <p className="notice" role="status">{notice}</p>}
      {error && <p className="error" role="alert">{error.message}</p>}
      <div className="actions">
        <button type="submit" disabled={create.pending || update.pending}>
          Enregistrer
        </button>
        <button type="button" className="secondary" onClick={() => onDone(existing?.id ?? null)}>
          Annuler (Échap)
        </button>
      </div>
    </form>
  );
}
