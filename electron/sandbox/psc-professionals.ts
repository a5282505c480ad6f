/**
 * Fictitious professionals of the sandbox Pro Santé Connect stand-in. None of these identifiers
 * exists in the RPPS: RPPS numbers start with `1000` and carry a valid Luhn key, the practice
 * SIRET `99999999900017` is made up.
 *
 * Sandbox convention for the secretary (no public PSC example was found for non-RPPS staff):
 * her national id follows the CPE pattern `5` + SIRET of the practice + `/` + local id, and her
 * `codeProfession` is `SECMED`, a sandbox-only code meaning "secrétaire médicale" (anything
 * other than `10` maps to the secretary role).
 */

export const SANDBOX_MSSANTE_DOMAIN = 'cabinet-demo.mssante.fr';
export const SANDBOX_PRACTICE_SIRET = '99999999900017';
export const SANDBOX_PRACTICE_NAME = 'Cabinet médical de démonstration';

export interface TestProfessional {
  /** Short key used by the card picker and by tests. */
  id: string;
  /** OIDC subject (Keycloak-style opaque id, distinct from the national id). */
  sub: string;
  /** `SubjectNameID`: `8` + RPPS for doctors, CPE-style id for the secretary. */
  nationalId: string;
  rpps?: string;
  givenName: string;
  familyName: string;
  codeCivilite: string;
  professionCode: string;
  professionLabel: string;
  categoryCode: string;
  savoirFaire?: string;
  mssanteAddress: string;
  /** Label of the authentication means shown on the card picker. */
  card: 'e-CPS' | 'CPS' | 'CPE';
  expectedRole: 'doctor' | 'secretary';
}

const practiceActivity = {
  raisonSocialeSite: SANDBOX_PRACTICE_NAME,
  identifiantStructure: `5${SANDBOX_PRACTICE_SIRET}`,
  numeroSiretSite: SANDBOX_PRACTICE_SIRET,
  codeSecteurDactivite: 'SA07',
  codeModeExercice: 'L',
  numeroVoie: '12',
  codeTypeDeVoie: 'R',
  libelleVoie: 'des Tilleuls',
  codePostal: '63000',
  codeCommune: '63113',
  codePays: '99000',
  telephone: '0400000000',
};

export const TEST_PROFESSIONALS: readonly TestProfessional[] = [
  {
    id: 'claire.martin',
    sub: 'f3a1c2d4-0001-4b5e-9a10-0000000000a1',
    nationalId: '810003456786',
    rpps: '10003456786',
    givenName: 'Claire',
    familyName: 'MARTIN',
    codeCivilite: 'DR',
    professionCode: '10',
    professionLabel: 'Médecin généraliste',
    categoryCode: 'C',
    savoirFaire: 'SM26',
    mssanteAddress: `claire.martin@${SANDBOX_MSSANTE_DOMAIN}`,
    card: 'e-CPS',
    expectedRole: 'doctor',
  },
  {
    id: 'karim.benali',
    sub: 'f3a1c2d4-0002-4b5e-9a10-0000000000a2',
    nationalId: '810004567896',
    rpps: '10004567896',
    givenName: 'Karim',
    familyName: 'BENALI',
    codeCivilite: 'DR',
    professionCode: '10',
    professionLabel: 'Médecin généraliste',
    categoryCode: 'C',
    savoirFaire: 'SM26',
    mssanteAddress: `karim.benali@${SANDBOX_MSSANTE_DOMAIN}`,
    card: 'CPS',
    expectedRole: 'doctor',
  },
  {
    id: 'sophie.durand',
    sub: 'f3a1c2d4-0003-4b5e-9a10-0000000000a3',
    nationalId: `5${SANDBOX_PRACTICE_SIRET}/SEC0001`,
    givenName: 'Sophie',
    familyName: 'DURAND',
    codeCivilite: 'MME',
    professionCode: 'SECMED',
    professionLabel: 'Secrétaire médicale',
    categoryCode: 'C',
    mssanteAddress: `sophie.durand@${SANDBOX_MSSANTE_DOMAIN}`,
    card: 'CPE',
    expectedRole: 'secretary',
  },
];

export function findTestProfessional(query: { id?: string; sub?: string; nationalId?: string }): TestProfessional | undefined {
  return TEST_PROFESSIONALS.find(
    (p) => (query.id !== undefined && p.id === query.id)
      || (query.sub !== undefined && p.sub === query.sub)
      || (query.nationalId !== undefined && p.nationalId === query.nationalId),
  );
}

/** Local part of the MSSanté address: what mail servers expect as `username` in introspection. */
export function mssanteLocalPart(p: TestProfessional): string {
  return p.mssanteAddress.slice(0, p.mssanteAddress.indexOf('@'));
}

/** Userinfo / ID token claims in the shape Pro Santé Connect returns for `scope_all`. */
export function pscClaimsFor(p: TestProfessional): Record<string, unknown> {
  return {
    sub: p.sub,
    SubjectNameID: p.nationalId,
    preferred_username: p.nationalId,
    given_name: p.givenName,
    family_name: p.familyName,
    // Not a documented PSC claim: the sandbox exposes the MSSanté address here for convenience.
    email: p.mssanteAddress,
    otherIds: p.rpps
      ? [{ identifiant: p.nationalId, origine: 'RPPS', qualite: 1 }]
      : [{ identifiant: p.nationalId, origine: 'CPE', qualite: 1 }],
    SubjectRefPro: {
      codeCivilite: p.codeCivilite,
      exercices: [
        {
          codeProfession: p.professionCode,
          codeCategorieProfessionnelle: p.categoryCode,
          codeCiviliteDexercice: p.codeCivilite,
          nomDexercice: p.familyName,
          prenomDexercice: p.givenName,
          codeTypeSavoirFaire: p.savoirFaire ? 'S' : '',
          codeSavoirFaire: p.savoirFaire ?? '',
          activities: [{ ...practiceActivity }],
        },
      ],
    },
  };
}
