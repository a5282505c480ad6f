import type { PatientSummary } from '../../../shared/domain';

export const STATUS_LABEL: Record<PatientSummary['identityStatus'], string> = {
  PROV: 'Provisoire',
  RECUP: 'Récupérée',
  VALI: 'Validée',
  QUAL: 'Qualifiée',
};

/** 1980-03-02 → 02/03/1980 */
export function frenchDate(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split('-');
  return `${d}/${m}/${y}`;
}

export function frenchDateTime(iso: string): string {
  return new Date(iso).toLocaleString('fr-FR', { dateStyle: 'short', timeStyle: 'short' });
}

export function ageOf(birthDate: string, now = new Date()): number {
  const b = new Date(birthDate);
  let age = now.getFullYear() - b.getFullYear();
  if (now.getMonth() < b.getMonth() || (now.getMonth() === b.getMonth() && now.getDate() < b.getDate())) age--;
  return age;
}

/** "DUPONT (MARTIN) Jeanne" — used name first as in the waiting room, birth name kept visible. */
export function patientName(p: Pick<PatientSummary, 'birthName' | 'usedName' | 'birthGivenNames' | 'usedGivenName' | 'sex'>): string {
  const born = p.sex === 'F' ? 'née' : 'né';
  const family = p.usedName && p.usedName !== p.birthName ? `${p.usedName} (${born} ${p.birthName})` : p.birthName;
  const given = p.usedGivenName ?? p.birthGivenNames[0] ?? '';
  return `${family} ${given}`.trim();
}
