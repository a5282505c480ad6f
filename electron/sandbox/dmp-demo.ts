import { createHash } from 'node:crypto';
import { generateTestSigningIdentity, type SigningIdentity } from '../services/dmp/test-identity';
import { createVihfSigner, type LpsInfo, type VihfSigner } from '../services/dmp/vihf';
import type { DmpStandInPatient } from './dmp-service';

/**
 * DMP side of the training sandbox: which demo patients have a DMP (and in which state), and the
 * throwaway signing identity of the practice's VIHF. Deterministic: the same patients always get
 * the same DMP statuses, whatever their order.
 */
export interface DmpDemoPatientInput {
  insMatricule: string | null;
  identityStatus: string;
}

function score(ins: string, salt: string): number {
  return createHash('sha256').update(`${salt}:${ins}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Every patient with an INS gets a DMP entry: ~15 % « NON_EXISTE », the rest « VALIDE » (about
 * half of them with Mon espace santé activated), except, among qualified identities, one or two
 * « INTERDIT » and one or two « EXPIRE » (two of each from 40 qualified identities on).
 */
export function dmpDemoPatients(patients: DmpDemoPatientInput[]): DmpStandInPatient[] {
  const withIns = [...new Set(patients.filter((p) => p.insMatricule).map((p) => p.insMatricule!))];
  const qualified = new Set(patients.filter((p) => p.insMatricule && p.identityStatus === 'QUAL').map((p) => p.insMatricule!));
  const out = new Map<string, DmpStandInPatient>();
  for (const ins of withIns) {
    out.set(ins, score(ins, 'dmp') < 0.15 ? { ins, status: 'NON_EXISTE' } : { ins, status: 'VALIDE', mesActivated: score(ins, 'mes') < 0.5 });
  }
  // Special statuses go to the qualified identities ranked first by a stable hash among those with a DMP.
  const ranked = [...qualified].filter((ins) => out.get(ins)!.status === 'VALIDE').sort((a, b) => score(a, 'rang') - score(b, 'rang'));
  const specials = qualified.size >= 40 ? 2 : 1;
  ranked.slice(0, specials).forEach((ins) => out.set(ins, { ins, status: 'INTERDIT' }));
  ranked.slice(specials, 2 * specials).forEach((ins) => out.set(ins, { ins, status: 'EXPIRE', mesActivated: true }));
  return [...out.values()];
}

export const SANDBOX_LPS: LpsInfo = { name: 'LGC Ségur', version: '0.1.0', homologationId: 'BAC-A-SABLE-LGC-0001' };

let identity: SigningIdentity | undefined;

/**
 * VIHF signer of training mode: a self-signed test certificate generated once per process (the
 * real DMP requires the practice's IGC-Santé seal certificate, see docs/dmp.md).
 */
export function sandboxVihfSigner(lps: LpsInfo = SANDBOX_LPS): VihfSigner {
  identity ??= generateTestSigningIdentity({ commonName: 'CABINET BAC A SABLE CACHET', organization: 'LGC Segur bac a sable' });
  return createVihfSigner({ ...identity, lps });
}
