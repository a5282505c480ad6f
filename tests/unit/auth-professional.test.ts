import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { toProfessional } from '../../electron/services/auth/professional';
import { TEST_PROFESSIONALS, pscClaimsFor } from '../../electron/sandbox/psc-professionals';
import { acrSatisfies, assertAcr } from '../../electron/services/auth/acr';

describe('PSC userinfo → Professional', () => {
  it('maps a doctor (codeProfession 10)', () => {
    const pro = toProfessional({
      sub: 'x',
      SubjectNameID: '810003456786',
      given_name: 'Claire',
      family_name: 'MARTIN',
      SubjectRefPro: {
        codeCivilite: 'DR',
        exercices: [{
          codeProfession: '10',
          codeCategorieProfessionnelle: 'C',
          codeSavoirFaire: 'SM26',
          activities: [{ raisonSocialeSite: 'Cabinet A', identifiantStructure: '499999999', codeSecteurDactivite: 'SA07', codePostal: '63000' }],
        }],
      },
    });
    expect(pro).toEqual({
      nationalId: '810003456786',
      rpps: '10003456786',
      familyName: 'MARTIN',
      givenName: 'Claire',
      professionCode: '10',
      savoirFaire: 'SM26',
      activities: [{ structureId: '499999999', name: 'Cabinet A', sectorCode: 'SA07' }],
      role: 'doctor',
    });
  });

  it('maps anything else to the secretary role, without RPPS', () => {
    const pro = toProfessional({ SubjectNameID: '599999999900017/SEC0001', given_name: 'Sophie', family_name: 'DURAND', SubjectRefPro: { exercices: [{ codeProfession: 'SECMED', activities: [] }] } });
    expect(pro).toMatchObject({ role: 'secretary', professionCode: 'SECMED', activities: [] });
    expect(pro.rpps).toBeUndefined();
    expect(toProfessional({ SubjectNameID: '812345678901' }).role).toBe('secretary');
  });

  it('prefers the doctor exercice when there are several, and flattens activities', () => {
    const pro = toProfessional({
      SubjectNameID: '810004567896',
      SubjectRefPro: { exercices: [
        { codeProfession: '60', activities: [{ raisonSocialeSite: 'Autre' }] },
        { codeProfession: '10', codeSavoirFaire: 'SM26', activities: [{ raisonSocialeSite: 'Cabinet' }] },
      ] },
    });
    expect(pro).toMatchObject({ role: 'doctor', professionCode: '10', savoirFaire: 'SM26' });
    expect(pro.activities.map((a) => a.name)).toEqual(['Autre', 'Cabinet']);
  });

  it('takes the MSSanté address from options or from an mssante.fr email only', () => {
    expect(toProfessional({ SubjectNameID: '8', email: 'a@gmail.com' }).mssanteAddress).toBeUndefined();
    expect(toProfessional({ SubjectNameID: '8', email: 'a.b@cabinet-demo.mssante.fr' }).mssanteAddress).toBe('a.b@cabinet-demo.mssante.fr');
    expect(toProfessional({ SubjectNameID: '8' }, { mssanteAddress: 'x@y.mssante.fr' }).mssanteAddress).toBe('x@y.mssante.fr');
  });

  it('tolerates malformed optional parts but requires SubjectNameID', () => {
    expect(toProfessional({ SubjectNameID: '810003456786', SubjectRefPro: 'garbage', given_name: 3 })).toMatchObject({ givenName: '', activities: [] });
    expect(() => toProfessional({ given_name: 'X' })).toThrow(AppError);
    expect(() => toProfessional(null)).toThrow(/identifiant national/);
  });

  it('maps every sandbox professional to the role it is meant to have', () => {
    for (const p of TEST_PROFESSIONALS) {
      const pro = toProfessional(pscClaimsFor(p));
      expect(pro.role).toBe(p.expectedRole);
      expect(pro.nationalId).toBe(p.nationalId);
      expect(pro.mssanteAddress).toMatch(/^[a-z]+\.[a-z]+@cabinet-demo\.mssante\.fr$/);
      if (p.rpps) expect(p.rpps).toMatch(/^1000\d{7}$/);
    }
    expect(TEST_PROFESSIONALS.filter((p) => p.expectedRole === 'doctor')).toHaveLength(2);
  });
});

describe('acr ranking', () => {
  it('accepts eidas1 and above, refuses lower or unknown levels', () => {
    expect(acrSatisfies('eidas1')).toBe(true);
    expect(acrSatisfies('eidas3')).toBe(true);
    expect(acrSatisfies('eidas1', 'eidas2')).toBe(false);
    for (const low of [undefined, '0', '1', 'low', '']) expect(acrSatisfies(low)).toBe(false);
    expect(() => assertAcr('1')).toThrowError(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => assertAcr('eidas2')).not.toThrow();
  });
});
