import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import {
  INS_OIDS,
  assertInsTransmissible,
  changedStrictTraits,
  checkIns,
  computeInsKey,
  formatInsCx,
  isHighTrustDocument,
  isInsOid,
  isValidIns,
  parseInsCx,
  statusAfterStrictTraitEdit,
  statusFrom,
} from '../../electron/services/identity/ins';

describe('INS key', () => {
  it.each([
    ['2360663220836', '56'],
    ['297022A020778', '78'],
    ['1090763220834', '89'],
    ['180032B020401', '23'],
  ])('computes the public check value of %s', (nir, key) => {
    expect(computeInsKey(nir)).toBe(key);
    expect(isValidIns(nir + key)).toBe(true);
  });

  it('rejects malformed NIRs with a VALIDATION error', () => {
    for (const bad of ['123', '29702ZA020778', '2970222A02077', '', '297022C020778']) {
      expect(() => computeInsKey(bad)).toThrowError(expect.objectContaining({ code: 'VALIDATION' }));
    }
  });

  it('explains why a matricule is refused, in French', () => {
    expect(checkIns('236066322083657')).toEqual({ ok: false, reason: expect.stringContaining('clé de contrôle incorrecte') });
    expect(checkIns('23606632208365')).toEqual({ ok: false, reason: expect.stringMatching(/15 caractères/) });
    expect(checkIns('23606632208X656')).toEqual({ ok: false, reason: expect.stringMatching(/caractères non autorisés/) });
    expect(checkIns('180032B02040123')).toEqual({ ok: true });
  });
});

describe('OIDs and CX', () => {
  it('knows the four assigning authorities and refuses look-alikes', () => {
    expect(Object.values(INS_OIDS)).toEqual(['1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.9', '1.2.250.1.213.1.4.10', '1.2.250.1.213.1.4.11']);
    expect(isInsOid('1.2.250.1.213.1.4.10')).toBe(true);
    expect(isInsOid('1.2.250.1.213.1.4.5')).toBe(false);
  });

  it('round-trips the HL7 CX form and tolerates whitespace', () => {
    const cx = formatInsCx('297022A02077878', INS_OIDS.NIR_TEST);
    expect(cx).toBe('297022A02077878^^^&1.2.250.1.213.1.4.10&ISO^NH');
    expect(parseInsCx(cx)).toEqual({ matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.10' });
    expect(parseInsCx(`  ${cx}\n`)).toEqual({ matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.10' });
    expect(parseInsCx('12345^^^&1.2.250.1.213.1.4.8&ISO^PI')).toBeNull();
    expect(parseInsCx('not a cx')).toBeNull();
  });
});

describe('identity status', () => {
  it('derives the status from the evidence', () => {
    expect(statusFrom({ insiVerified: false, highTrustDocumentChecked: false })).toBe('PROV');
    expect(statusFrom({ insiVerified: true, highTrustDocumentChecked: false })).toBe('RECUP');
    expect(statusFrom({ insiVerified: false, highTrustDocumentChecked: true })).toBe('VALI');
    expect(statusFrom({ insiVerified: true, highTrustDocumentChecked: true })).toBe('QUAL');
  });

  it('treats livret de famille and extrait de naissance as low-trust documents', () => {
    expect(['CNI', 'PASSEPORT', 'TITRE_SEJOUR'].every((t) => isHighTrustDocument(t as never))).toBe(true);
    expect(isHighTrustDocument('LIVRET_FAMILLE')).toBe(false);
    expect(isHighTrustDocument('EXTRAIT_NAISSANCE')).toBe(false);
  });

  it('detects strict-trait edits after normalisation and downgrades the status', () => {
    const before = { birthName: 'ECETINSI', birthGivenNames: ['PIERRE-ALAIN', 'MURIEL'], birthDate: '2009-07-14', sex: 'M', birthplaceCode: '63220' };
    expect(changedStrictTraits(before, { ...before, birthName: ' ecetinsi ', birthGivenNames: ['Pierre-Alain', 'muriel'] })).toEqual([]);
    expect(changedStrictTraits(before, { ...before, birthGivenNames: ['PIERRE-ALAIN'], birthplaceCode: '63113' })).toEqual([
      'birthGivenNames',
      'birthplaceCode',
    ]);
    expect(statusAfterStrictTraitEdit('QUAL')).toBe('VALI');
    expect(statusAfterStrictTraitEdit('RECUP')).toBe('PROV');
    expect(statusAfterStrictTraitEdit('VALI')).toBe('VALI');
    expect(statusAfterStrictTraitEdit('PROV')).toBe('PROV');
  });
});

describe('transmissibility', () => {
  it('allows only a qualified identity with a valid INS', () => {
    expect(() => assertInsTransmissible({ status: 'QUAL', insMatricule: '236066322083656' })).not.toThrow();
    for (const identity of [
      { status: 'RECUP' as const, insMatricule: '236066322083656' },
      { status: 'VALI' as const, insMatricule: '236066322083656' },
      { status: 'QUAL' as const, insMatricule: '236066322083657' },
      { status: 'QUAL' as const, insMatricule: null },
    ]) {
      let error: unknown;
      try {
        assertInsTransmissible(identity);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('IDENTITY_RULE');
      expect((error as AppError).message).toMatch(/INS|identité/);
    }
  });
});
