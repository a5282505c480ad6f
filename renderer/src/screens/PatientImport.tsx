import { useEffect, useRef, useState } from 'react';
import { CSV_IMPORT_MAX_BYTES, IMPORT_CSV_FIELDS, type ImportCsvField, type ImportReportView } from '../../../shared/import';
import { ApiError, call } from '../api/client';
import { frenchDate, patientName } from '../app/format';
import { IdentityBadge } from '../components/IdentityBadge';

/**
 * « Importer des patients (CSV) »: choose the file → automatic simulation (dry run) → report →
 * « Importer N patients » (Entrée) → final report. Nothing is written before the confirmation.
 * Same service and rules as `lgc import-patients` (docs/import-patients.md).
 */

interface Props {
  onClose: () => void;
  onOpenPatient: (id: number) => void;
}

interface ChosenFile {
  name: string;
  base64: string;
  /** Headers of the file (first line), for the column mapping. */
  headers: string[];
}

type Mapping = Partial<Record<ImportCsvField, string>>;

type Step =
  | { kind: 'choose' }
  | { kind: 'checking' }
  | { kind: 'preview'; report: ImportReportView }
  | { kind: 'importing'; report: ImportReportView }
  | { kind: 'done'; report: ImportReportView };

const FIELD_LABELS: Record<ImportCsvField, string> = {
  nom_naissance: 'Nom de naissance',
  prenoms_naissance: 'Prénoms de naissance',
  date_naissance: 'Date de naissance',
  sexe: 'Sexe',
  lieu_naissance: 'Lieu de naissance (COG)',
  nom_utilise: 'Nom utilisé',
  prenom_utilise: 'Prénom utilisé',
  ins: 'Matricule INS',
  ins_oid: 'OID de l’INS',
  statut_identite: 'Statut de l’identité',
  id_externe: 'Identifiant externe',
};
const REQUIRED: ReadonlySet<ImportCsvField> = new Set(['nom_naissance', 'prenoms_naissance', 'date_naissance', 'sexe']);
const ENCODING_LABEL: Record<ImportReportView['encoding'], string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16', 'windows-1252': 'Windows-1252' };
const DELIMITER_LABEL: Record<ImportReportView['delimiter'], string> = { ';': '« ; »', ',': '« , »', '\t': 'tabulation' };
/** Rows shown per table; the counts always give the full number. */
const MAX_ROWS = 200;

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Header line of the file (same encodings and delimiters as the service), for the mapping choices. */
export function readHeaders(bytes: Uint8Array): string[] {
  const head = bytes.subarray(0, 64 * 1024);
  let text: string;
  if (head[0] === 0xff && head[1] === 0xfe) text = new TextDecoder('utf-16le').decode(head.subarray(2), { stream: true });
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    } catch {
      text = new TextDecoder('windows-1252').decode(head);
    }
  }
  text = text.replace(/^\uFEFF/, '');
  const values: string[] = [];
  const counts = { ';': 0, ',': 0, '\t': 0 };
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && (c === ';' || c === ',' || c === '\t')) counts[c]++;
  }
  let delimiter: ';' | ',' | '\t' = ';';
  for (const d of [',', '\t'] as const) if (counts[d] > counts[delimiter]) delimiter = d;
  let current = '';
  quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      values.push(current.trim());
      current = '';
    } else if (c === '\n' || c === '\r') break;
    else current += c;
  }
  values.push(current.trim());
  return values.filter((v) => v !== '');
}

export function PatientImport({ onClose, onOpenPatient }: Props) {
  const [file, setFile] = useState<ChosenFile | null>(null);
  const [mapping, setMapping] = useState<Mapping>({});
  const [showMapping, setShowMapping] = useState(false);
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const doneHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => fileInput.current?.focus(), []);
  useEffect(() => {
    if (step.kind === 'preview') confirmButton.current?.focus();
    if (step.kind === 'done') doneHeading.current?.focus();
  }, [step.kind]);

  const mappingArg = (m: Mapping) => {
    const entries = Object.entries(m).filter(([, column]) => !!column);
    return entries.length ? (Object.fromEntries(entries) as Mapping) : undefined;
  };

  const check = async (chosen: ChosenFile, m: Mapping) => {
    setError(null);
    setStep({ kind: 'checking' });
    try {
      const mapped = mappingArg(m);
      const report = await call('patients.importCsv', { fileName: chosen.name, base64: chosen.base64, dryRun: true, ...(mapped ? { mapping: mapped } : {}) });
      setStep({ kind: 'preview', report });
    } catch (e) {
      setStep({ kind: 'choose' });
      setError(e instanceof ApiError ? e.message : String(e));
      // Columns the file names otherwise: offer the mapping.
      if (e instanceof ApiError && (e.code === 'BAD_INPUT' || e.code === 'VALIDATION') && chosen.headers.length > 0) setShowMapping(true);
    }
  };

  const choose = async (picked: File | undefined) => {
    if (!picked) return;
    setError(null);
    setShowMapping(false);
    setMapping({});
    setFile(null);
    if (picked.size > CSV_IMPORT_MAX_BYTES) {
      setError('Fichier trop volumineux : 50 Mo au plus. Découpez-le ou utilisez la commande lgc import-patients.');
      return;
    }
    if (picked.size === 0) {
      setError('Fichier vide.');
      return;
    }
    const bytes = new Uint8Array(await picked.arrayBuffer());
    const chosen = { name: picked.name, base64: toBase64(bytes), headers: readHeaders(bytes) };
    setFile(chosen);
    await check(chosen, {});
  };

  const confirm = async () => {
    if (step.kind !== 'preview' || !file) return;
    const preview = step.report;
    if (preview.created + preview.updated === 0) return;
    setError(null);
    setStep({ kind: 'importing', report: preview });
    try {
      const mapped = mappingArg(mapping);
      const report = await call('patients.importCsv', { fileName: file.name, base64: file.base64, dryRun: false, ...(mapped ? { mapping: mapped } : {}) });
      setStep({ kind: 'done', report });
    } catch (e) {
      setStep({ kind: 'preview', report: preview });
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const restart = () => {
    setFile(null);
    setMapping({});
    setShowMapping(false);
    setError(null);
    setStep({ kind: 'choose' });
    if (fileInput.current) fileInput.current.value = '';
    setTimeout(() => fileInput.current?.focus(), 0);
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape' && step.kind !== 'importing' && step.kind !== 'checking') {
      e.preventDefault();
      onClose();
      return;
    }
    const target = e.target as HTMLElement;
    const interactive = ['BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'A'].includes(target.tagName);
    if (e.key === 'Enter' && !interactive && step.kind === 'preview') {
      e.preventDefault();
      void confirm();
    }
  };

  const report = step.kind === 'preview' || step.kind === 'importing' || step.kind === 'done' ? step.report : null;
  const toImport = report ? report.created + report.updated : 0;
  const busy = step.kind === 'checking' || step.kind === 'importing';

  return (
    <section className="csv-import" aria-labelledby="csv-import-title" data-testid="csv-import" onKeyDown={onKeyDown}>
      <div className="compose-head">
        <h2 id="csv-import-title">Importer des patients (CSV)</h2>
        <button type="button" className="link" onClick={onClose} disabled={busy}>
          Fermer <kbd>Échap</kbd>
        </button>
      </div>
      <p className="hint small">
        Fichier exporté d’un autre logiciel de cabinet : en-tête <code>nom_naissance;prenoms_naissance;date_naissance;sexe;…</code> (UTF-8 ou
        Windows-1252, séparateur « ; » ou « , »). Le fichier est d’abord vérifié ; rien n’est enregistré avant votre confirmation.
      </p>

      {step.kind !== 'done' && (
        <div className="import-file">
          <label className={busy ? 'file-picker disabled' : 'file-picker'}>
            <input
              ref={fileInput}
              className="visually-hidden"
              type="file"
              aria-label="Fichier CSV"
              accept=".csv,.txt,text/csv,text/plain"
              disabled={busy}
              onChange={(e) => {
                const picked = e.target.files?.[0];
                e.target.value = ''; // the same file chosen again (corrected) is read again
                void choose(picked);
              }}
            />
            <span className="file-picker-button" aria-hidden="true">
              {file ? 'Choisir un autre fichier…' : 'Choisir le fichier CSV…'}
            </span>
          </label>
          <span className="file-name">{file ? file.name : 'Aucun fichier choisi'}</span>
          {file && file.headers.length > 0 && !showMapping && step.kind !== 'checking' && (
            <button type="button" className="link" onClick={() => setShowMapping(true)}>
              Correspondance des colonnes…
            </button>
          )}
        </div>
      )}

      {showMapping && file && step.kind !== 'done' && (
        <fieldset className="import-mapping" aria-label="Correspondance des colonnes">
          <legend>Correspondance des colonnes</legend>
          <p className="hint small">Pour chaque champ, la colonne du fichier qui le contient (« automatique » : colonne du même nom).</p>
          <div className="mapping-grid">
            {IMPORT_CSV_FIELDS.map((field) => (
              <label key={field}>
                <span>
                  {FIELD_LABELS[field]}
                  {REQUIRED.has(field) && <span className="required"> *</span>}
                </span>
                <select
                  value={mapping[field] ?? ''}
                  disabled={busy}
                  onChange={(e) => setMapping((m) => ({ ...m, [field]: e.target.value }))}
                >
                  <option value="">(automatique)</option>
                  {file.headers.map((h) => (
                    <option key={h} value={h}>
                      {h}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
          <div className="actions">
            <button type="button" disabled={busy} onClick={() => void check(file, mapping)}>
              Vérifier à nouveau
            </button>
          </div>
        </fieldset>
      )}

      {step.kind === 'checking' && (
        <p className="hint" role="status">
          Vérification du fichier…
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      {report && (
        <>
          {step.kind === 'done' ? (
            <div role="status">
              <h3 ref={doneHeading} tabIndex={-1} className="import-outcome ok-box">
                Import terminé : {plural(report.created, 'patient créé', 'patients créés')}, {plural(report.updated, 'mis à jour', 'mis à jour')}.
              </h3>
            </div>
          ) : (
            <p className="notice" role="status">
              Vérification de « {report.fileName} » : simulation, rien n’a encore été enregistré.
            </p>
          )}
          <ImportReportTables report={report} onOpenPatient={step.kind === 'done' ? onOpenPatient : null} />
        </>
      )}

      <div className="actions import-actions">
        {(step.kind === 'preview' || step.kind === 'importing') && (
          <>
            <button ref={confirmButton} type="button" disabled={toImport === 0 || step.kind === 'importing'} onClick={() => void confirm()}>
              {step.kind === 'importing'
                ? 'Import en cours…'
                : toImport === 0
                  ? 'Rien à importer'
                  : `Importer ${plural(toImport, 'patient', 'patients')}`}
              {step.kind === 'preview' && toImport > 0 && <kbd>Entrée</kbd>}
            </button>
            <button type="button" className="secondary" disabled={step.kind === 'importing'} onClick={onClose}>
              Annuler
            </button>
          </>
        )}
        {step.kind === 'done' && (
          <>
            <button type="button" onClick={onClose}>
              Fermer
            </button>
            <button type="button" className="secondary" onClick={restart}>
              Importer un autre fichier
            </button>
          </>
        )}
      </div>
    </section>
  );
}

function ImportReportTables({ report, onOpenPatient }: { report: ImportReportView; onOpenPatient: ((id: number) => void) | null }) {
  const dry = report.dryRun;
  const counts: [string, number, string][] = [
    [dry ? 'À créer' : 'Créés', report.created, 'created'],
    [dry ? 'À mettre à jour' : 'Mis à jour', report.updated, 'updated'],
    ['Inchangés (déjà présents)', report.unchanged, 'unchanged'],
    ['Doublons possibles (non importés)', report.duplicates.length, 'duplicates'],
    ['Lignes invalides (non importées)', report.invalidLines, 'invalid'],
  ];
  return (
    <div className="import-report" data-testid={dry ? 'import-preview' : 'import-result'}>
      <dl className="import-counts" data-testid="import-counts">
        {counts.map(([label, value, key]) => (
          <div key={key} className={`count count-${key}${value > 0 ? ' nonzero' : ''}`} data-testid={`count-${key}`}>
            <dt>{label}</dt>
            <dd>{value.toLocaleString('fr-FR')}</dd>
          </div>
        ))}
      </dl>
      <p className="import-file-info" data-testid="import-file-info">
        {plural(report.total, 'ligne lue', 'lignes lues')}
        {report.blankLines > 0 && ` (et ${plural(report.blankLines, 'ligne vide ignorée', 'lignes vides ignorées')})`} · encodage{' '}
        {ENCODING_LABEL[report.encoding]} · séparateur {DELIMITER_LABEL[report.delimiter]}
      </p>
      {report.ignoredColumns.length > 0 && (
        <p className="notice" data-testid="import-ignored">
          Colonnes ignorées (aucun champ ne les utilise) : {report.ignoredColumns.join(', ')}
        </p>
      )}

      {report.invalid.length > 0 && (
        <>
          <h4>Lignes invalides, non importées ({report.invalidLines.toLocaleString('fr-FR')})</h4>
          <table className="grid import-table" data-testid="import-invalid">
            <thead>
              <tr>
                <th scope="col">Ligne</th>
                <th scope="col">Colonne</th>
                <th scope="col">Motif</th>
              </tr>
            </thead>
            <tbody>
              {report.invalid.slice(0, MAX_ROWS).map((e, i) => (
                <tr key={`${e.line}-${e.field}-${i}`}>
                  <td>{e.line}</td>
                  <td>
                    <code>{e.field}</code>
                  </td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.invalid.length > MAX_ROWS && (
            <p className="hint small">… et {plural(report.invalid.length - MAX_ROWS, 'autre erreur', 'autres erreurs')} (rapport complet : lgc import-patients --json).</p>
          )}
        </>
      )}

      {report.duplicates.length > 0 && (
        <>
          <h4>Doublons possibles, non importés : à examiner ({report.duplicates.length.toLocaleString('fr-FR')})</h4>
          <table className="grid import-table" data-testid="import-duplicates">
            <thead>
              <tr>
                <th scope="col">Ligne</th>
                <th scope="col">Dossier existant</th>
                <th scope="col">Motif</th>
              </tr>
            </thead>
            <tbody>
              {report.duplicates.slice(0, MAX_ROWS).map((d, i) => (
                <tr key={`${d.line}-${i}`}>
                  <td>{d.line}</td>
                  <td>
                    {d.existing ? (
                      <span className="import-existing">
                        {onOpenPatient ? (
                          <button type="button" className="link" onClick={() => onOpenPatient(d.existing!.id)}>
                            {patientName(d.existing)}
                          </button>
                        ) : (
                          <strong>{patientName(d.existing)}</strong>
                        )}{' '}
                        <span className="patient-birth">
                          {frenchDate(d.existing.birthDate)} · n° {d.existing.id}
                        </span>{' '}
                        <IdentityBadge status={d.existing.identityStatus} />
                      </span>
                    ) : d.otherLine !== undefined ? (
                      `ligne ${d.otherLine} du fichier`
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{d.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.duplicates.length > MAX_ROWS && (
            <p className="hint small">… et {plural(report.duplicates.length - MAX_ROWS, 'autre doublon', 'autres doublons')} (rapport complet : lgc import-patients --json).</p>
          )}
        </>
      )}
    </div>
  );
}
