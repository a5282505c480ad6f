import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import {
  BADGE_LABELS,
  badgeState,
  frenchDateTime,
  isTransientFailure,
  refusalForStatus,
  retryDelayMs,
  uploadLabel,
} from '../../electron/services/dmp-app/policy';
import { dmpDemoPatients, sandboxVihfSigner } from '../../electron/sandbox/dmp-demo';
import { createIdentityGenerator } from '../../electron/sandbox/demo-identities';
import { verifyVihf } from '../../electron/services/dmp/vihf';

describe('DMP badge mapping', () => {
  it('maps every TD0.2 status to a badge state and its French label', () => {
    expect(badgeState('VALIDE', false)).toBe('actif');
    expect(badgeState('VALIDE', true)).toBe('mes_active');
    expect(badgeState('NON_EXISTE', false)).toBe('inexistant');
    expect(badgeState('INTERDIT', true)).toBe('interdit');
    expect(badgeState('EXPIRE', false)).toBe('expire');
    expect(BADGE_LABELS).toEqual({
      actif: 'DMP actif',
      mes_active: 'Mon espace santé activé',
      inexistant: 'Pas de DMP',
      interdit: 'Accès interdit',
      expire: 'Accès expiré',
    });
  });

  it('refuses uploads for a missing, forbidden or expired DMP only', () => {
    expect(refusalForStatus('NON_EXISTE')?.message).toBe('Ce patient n’a pas de DMP : envoi impossible.');
    expect(refusalForStatus('INTERDIT')?.message).toBe('Accès au DMP de ce patient interdit : envoi impossible.');
    expect(refusalForStatus('EXPIRE')?.message).toBe('Accès au DMP de ce patient expiré : envoi impossible.');
    expect(refusalForStatus('VALIDE')).toBeNull();
    expect(refusalForStatus(null)).toBeNull();
  });
});

describe('upload queue policy', () => {
  it('backs off exponentially from 15 s up to one hour', () => {
    const schedule = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50].map((n) => retryDelayMs(n) / 1000);
    expect(schedule).toEqual([15, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect(retryDelayMs(0)).toBe(15_000);
    expect(retryDelayMs(3, { baseMs: 100, maxMs: 250 })).toBe(250);
  });

  it('retries network, time-out, HTTP 5xx, server faults and busy registries; not functional refusals', () => {
    expect(isTransientFailure(new AppError('NETWORK', 'DMP injoignable'))).toBe(true);
    expect(isTransientFailure(new AppError('TIMEOUT', 'délai'))).toBe(true);
    expect(isTransientFailure(new AppError('REMOTE_SERVICE', 'HTTP', { httpStatus: 503 }))).toBe(true);
    expect(isTransientFailure(new AppError('REMOTE_SERVICE', 'faute', { fault: { code: 'soap:Receiver' } }))).toBe(true);
    expect(isTransientFailure(new AppError('REMOTE_SERVICE', 'occupé', { errors: [{ errorCode: 'XDSRegistryBusy' }] }))).toBe(true);
    expect(isTransientFailure(new AppError('REMOTE_SERVICE', 'hash', { errors: [{ errorCode: 'XDSNonIdenticalHash' }] }))).toBe(false);
    expect(isTransientFailure(new AppError('REMOTE_SERVICE', 'faute', { fault: { code: 'soap:Sender' } }))).toBe(false);
    expect(isTransientFailure(new AppError('REMOTE_SERVICE', 'HTTP', { httpStatus: 404 }))).toBe(false);
    expect(isTransientFailure(new AppError('PERMISSION_DENIED', 'refusé'))).toBe(false);
    expect(isTransientFailure(new AppError('UNAUTHENTICATED', 'VIHF'))).toBe(false);
    expect(isTransientFailure(new Error('bug'))).toBe(false);
  });

  it('labels uploads in French with the Paris time', () => {
    expect(frenchDateTime('2025-03-12T09:15:00.000Z')).toBe('12/03/2025 à 10:15');
    expect(frenchDateTime('2025-07-01T09:15:00.000Z')).toBe('01/07/2025 à 11:15');
    expect(uploadLabel({ status: 'envoye', sentAt: '2025-03-12T09:15:00.000Z', lastError: null, version: 1 })).toBe('envoyé le 12/03/2025 à 10:15');
    expect(uploadLabel({ status: 'envoye', sentAt: '2025-03-12T09:15:00.000Z', lastError: null, version: 2 })).toBe('envoyé le 12/03/2025 à 10:15 (version 2)');
    expect(uploadLabel({ status: 'en_attente', sentAt: null, lastError: 'DMP injoignable', version: 1 })).toBe('en attente');
    expect(uploadLabel({ status: 'envoi', sentAt: null, lastError: null, version: 1 })).toBe('envoi en cours');
    expect(uploadLabel({ status: 'erreur', sentAt: null, lastError: 'Accès au DMP de ce patient refusé.', version: 1 })).toBe('erreur : Accès au DMP de ce patient refusé.');
  });
});

describe('sandbox DMP demo data', () => {
  const next = createIdentityGenerator(20261123);
  const identities = Array.from({ length: 200 }, () => next());

  it('gives most qualified identities a valid DMP, some none, two forbidden and two expired, deterministically', () => {
    const a = dmpDemoPatients(identities);
    const b = dmpDemoPatients([...identities].reverse());
    const byIns = (l: typeof a) => Object.fromEntries(l.map((p) => [p.ins, p]));
    expect(byIns(b)).toEqual(byIns(a));
    expect(a).toHaveLength(new Set(identities.filter((i) => i.insMatricule).map((i) => i.insMatricule)).size);

    const qualified = new Set(identities.filter((i) => i.identityStatus === 'QUAL').map((i) => i.insMatricule!));
    const q = a.filter((p) => qualified.has(p.ins));
    const count = (s: string) => q.filter((p) => p.status === s).length;
    expect(count('VALIDE') / q.length).toBeGreaterThan(0.6);
    expect(count('NON_EXISTE')).toBeGreaterThan(0);
    expect(count('INTERDIT')).toBe(2);
    expect(count('EXPIRE')).toBe(2);
    const mes = q.filter((p) => p.status === 'VALIDE' && p.mesActivated).length;
    expect(mes).toBeGreaterThan(0);
    expect(mes).toBeLessThan(count('VALIDE'));
    expect(dmpDemoPatients([{ insMatricule: null, identityStatus: 'PROV' }])).toEqual([]);
  });

  it('signs VIHF assertions with a test identity', () => {
    const signer = sandboxVihfSigner();
    const xml = signer.sign({
      professional: { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' },
      practice: { name: 'Cabinet', structureId: '312345678900011', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE' },
      patient: { matricule: '236066322083656', oid: '1.2.250.1.213.1.4.10' },
    });
    expect(verifyVihf(xml).valid).toBe(true);
    expect(sandboxVihfSigner().issuer).toBe(signer.issuer);
  });
});
