import type { InsiIdentity } from '../services/identity/insi/types';
import { INS_OIDS, computeInsKey } from '../services/identity/ins';

/** An identity known to the INSi stand-in; same shape as what INSi returns. */
export type InsiSandboxIdentity = InsiIdentity;

export interface VitaleCard {
  /** Holder (ouvrant droit) NIR, 13 characters. */
  nir: string;
  holderName: string;
  beneficiaries: { birthDate: string; rank: number; matricule: string }[];
}

const TEST = INS_OIDS.NIR_TEST;

/**
 * The four public CNAM/ANS test identities (domain.md §2). Full first-name lists as published
 * in the CNAM test kit fixtures (ECETINSI's second and third names included).
 */
export const CNAM_TEST_IDENTITIES: readonly InsiSandboxIdentity[] = [
  { matricule: '236066322083656', oid: TEST, birthName: 'TCHITCHI', birthGivenNames: ['CATARINA', 'BELLA'], birthDate: '1936-06-21', sex: 'F', birthplaceCode: '63220' },
  { matricule: '297022A02077878', oid: TEST, birthName: 'ADRTROIS', birthGivenNames: ['DOMINIQUE'], birthDate: '1997-02-26', sex: 'F', birthplaceCode: '2A020' },
  { matricule: '109076322083489', oid: TEST, birthName: 'ECETINSI', birthGivenNames: ['PIERRE-ALAIN', 'MURIEL', 'FLORIANT'], birthDate: '2009-07-14', sex: 'M', birthplaceCode: '63220' },
  { matricule: '180032B02040123', oid: TEST, birthName: 'CORSE', birthGivenNames: ['ANTHONY'], birthDate: '1980-03-02', sex: 'M', birthplaceCode: '2B020' },
];

const withKey = (nir13: string): string => nir13 + computeInsKey(nir13);

/**
 * Sandbox-only homonyms: same birth name, first first name, date and sex; they differ by
 * birthplace (Paris 75056 / Lyon 69123) and second first name, so a search on the minimal
 * traits answers 02 and adding the birthplace or the full first-name list answers 00.
 */
export const SANDBOX_HOMONYM_IDENTITIES: readonly InsiSandboxIdentity[] = [
  { matricule: withKey('2850575056123'), oid: TEST, birthName: 'DUBOISINSI', birthGivenNames: ['MARIE', 'LOUISE'], birthDate: '1985-05-12', sex: 'F', birthplaceCode: '75056' },
  { matricule: withKey('2850569123047'), oid: TEST, birthName: 'DUBOISINSI', birthGivenNames: ['MARIE', 'CLAIRE'], birthDate: '1985-05-12', sex: 'F', birthplaceCode: '69123' },
];

export const SANDBOX_INSI_IDENTITIES: readonly InsiSandboxIdentity[] = [...CNAM_TEST_IDENTITIES, ...SANDBOX_HOMONYM_IDENTITIES];

/** A traits search on this birth name makes the stand-in answer a soap:Receiver fault (insi_102). */
export const SANDBOX_UNAVAILABLE_BIRTH_NAME = 'INSIINDISPONIBLE';

/** Sandbox Vitale cards: one per CNAM test identity; CORSE's card also carries ECETINSI. */
export const SANDBOX_VITALE_CARDS: readonly VitaleCard[] = [
  { nir: '2360663220836', holderName: 'TCHITCHI CATARINA', beneficiaries: [{ birthDate: '1936-06-21', rank: 1, matricule: '236066322083656' }] },
  { nir: '297022A020778', holderName: 'ADRTROIS DOMINIQUE', beneficiaries: [{ birthDate: '1997-02-26', rank: 1, matricule: '297022A02077878' }] },
  {
    nir: '180032B020401',
    holderName: 'CORSE ANTHONY',
    beneficiaries: [
      { birthDate: '1980-03-02', rank: 1, matricule: '180032B02040123' },
      { birthDate: '2009-07-14', rank: 1, matricule: '109076322083489' },
    ],
  },
];
