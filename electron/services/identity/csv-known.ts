import type { Patient, PatientsRepo, Sex } from '../store/patients-repo';

/**
 * The identities already on record, held in memory for the duration of an import so that each
 * line is matched without three queries (id_externe, INS, birth date + sex). Loaded from the
 * patients repository; kept in step with what the import writes; reloaded by the import when
 * another connection has committed in between (PRAGMA data_version).
 */
export class KnownPatients {
  private readonly byExternalId = new Map<string, Patient>();
  private readonly byIns = new Map<string, Patient>();
  private readonly byBirth = new Map<string, Patient[]>();

  constructor(private readonly repo: PatientsRepo) {
    this.reload();
  }

  reload(): void {
    this.byExternalId.clear();
    this.byIns.clear();
    this.byBirth.clear();
    if (this.repo.count() === 0) return;
    for (const p of this.repo.iterateAll()) this.add(p);
  }

  findByExternalId(externalId: string): Patient | null {
    return this.byExternalId.get(externalId) ?? null;
  }

  findByIns(matricule: string): Patient | null {
    return this.byIns.get(matricule) ?? null;
  }

  findByBirthDateAndSex(birthDate: string, sex: Sex): readonly Patient[] {
    return this.byBirth.get(`${birthDate}|${sex}`) ?? [];
  }

  add(p: Patient): void {
    if (p.externalId) this.byExternalId.set(p.externalId, p);
    if (p.insMatricule) this.byIns.set(p.insMatricule, p);
    const key = `${p.birthDate}|${p.sex}`;
    const bucket = this.byBirth.get(key);
    if (bucket) bucket.push(p);
    else this.byBirth.set(key, [p]);
  }

  replace(before: Patient, after: Patient): void {
    if (before.externalId && this.byExternalId.get(before.externalId) === before) this.byExternalId.delete(before.externalId);
    if (before.insMatricule && this.byIns.get(before.insMatricule) === before) this.byIns.delete(before.insMatricule);
    const key = `${before.birthDate}|${before.sex}`;
    const bucket = this.byBirth.get(key);
    if (bucket) {
      const at = bucket.indexOf(before);
      if (at >= 0) bucket.splice(at, 1);
      if (bucket.length === 0) this.byBirth.delete(key);
    }
    this.add(after);
  }
}
