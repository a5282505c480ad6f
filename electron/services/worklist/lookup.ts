import type { Statement } from 'better-sqlite3';
import type { PatientSearchIndex } from '../identity/search-index';
import type { Db } from '../store/db';
import type { Patient, PatientsRepo } from '../store/patients-repo';
import { nameKeys, type PatientLookup } from './match';

export interface WorklistPatientLookup extends PatientLookup {
  /** Keeps the phonetic name keys in step with a created or edited patient (call it on `patients.changed`). */
  upsert(patient: Patient): void;
  /** Builds the name keys now (otherwise built on first need: about 2 s for 100,000 patients). */
  warm(): void;
}

/** At most this many patients per name lookup (a very common name and first name). */
const MAX_PER_LOOKUP = 200;

/**
 * The matching rules' view of the practice's patients: the store for INS and birth date (always
 * fresh), the search index for typed text, and phonetic name keys kept in memory for the rare
 * documents whose birth date is unusable. The keys are refreshed from `patients.updated_at` at
 * most every `refreshEveryMs` when `db` is given, and by `upsert`.
 */
export function createPatientLookup(deps: {
  patients: PatientsRepo;
  index: PatientSearchIndex;
  db?: Db;
  refreshEveryMs?: number;
}): WorklistPatientLookup {
  const postings = new Map<string, number[]>();
  const keysOf = new Map<number, string[]>();
  let built = false;
  let lastCheck = 0;
  let lastUpdatedAt = '';
  const refreshEvery = deps.refreshEveryMs ?? 10_000;
  const changedSince = deps.db?.prepare<[string], { id: number; updated_at: string }>('SELECT id, updated_at FROM patients WHERE updated_at > ?');

  const remove = (id: number) => {
    for (const k of keysOf.get(id) ?? []) {
      const ids = postings.get(k);
      if (!ids) continue;
      const i = ids.indexOf(id);
      if (i >= 0) ids.splice(i, 1);
      if (!ids.length) postings.delete(k);
    }
    keysOf.delete(id);
  };

  const add = (p: Patient) => {
    remove(p.id);
    const keys = nameKeys([p.birthName, p.usedName], [...p.birthGivenNames.slice(0, 2), p.usedGivenName]);
    keysOf.set(p.id, keys);
    for (const k of keys) {
      const ids = postings.get(k);
      if (ids) ids.push(p.id);
      else postings.set(k, [p.id]);
    }
    if (p.updatedAt > lastUpdatedAt) lastUpdatedAt = p.updatedAt;
  };

  const ensure = () => {
    if (!built) {
      for (const p of deps.patients.iterateAll()) add(p);
      built = true;
      lastCheck = Date.now();
      return;
    }
    if (changedSince && Date.now() - lastCheck > refreshEvery) {
      lastCheck = Date.now();
      for (const row of changedSince.all(lastUpdatedAt)) {
        const p = deps.patients.get(row.id);
        if (p) add(p);
      }
    }
  };

  const patient = (id: number): Patient | null => deps.index.get(id) ?? deps.patients.get(id);
  // Candidates by birth date: ids from the store (indexed), patients from the in-memory index.
  // The INS lookup, which decides automatic filing, always reads the store.
  const idsByDate = deps.db?.prepare<[string], { id: number }>('SELECT id FROM patients WHERE birth_date = ?');
  const idsByDates = new Map<number, Statement<string[], { id: number }>>();
  const patientsOf = (rows: { id: number }[]) => rows.map((r) => patient(r.id)).filter((p): p is Patient => p !== null);

  return {
    byIns: (matricule) => deps.patients.findByIns(matricule),
    byBirthDate: (date) =>
      idsByDate ? patientsOf(idsByDate.all(date)) : [...deps.patients.findByBirthDateAndSex(date, 'F'), ...deps.patients.findByBirthDateAndSex(date, 'M')],
    byBirthDates(dates) {
      if (!deps.db || !dates.length) return dates.flatMap((d) => this.byBirthDate(d));
      let stmt = idsByDates.get(dates.length);
      if (!stmt) {
        stmt = deps.db.prepare<string[], { id: number }>(`SELECT id FROM patients WHERE birth_date IN (${dates.map(() => '?').join(', ')})`);
        idsByDates.set(dates.length, stmt);
      }
      return patientsOf(stmt.all(...dates));
    },
    search: (text, limit) => deps.index.search(text, limit).map((h) => h.patient),
    byNameKeys(keys) {
      ensure();
      const ids = new Set<number>();
      for (const k of keys) {
        for (const id of postings.get(k) ?? []) {
          ids.add(id);
          if (ids.size >= MAX_PER_LOOKUP) break;
        }
      }
      return [...ids].map(patient).filter((p): p is Patient => p !== null);
    },
    upsert(p) {
      if (built) add(p);
    },
    warm: ensure,
  };
}
