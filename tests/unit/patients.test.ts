import { beforeEach, describe, expect, it } from 'vitest';
import type { PatientInput } from '../../shared/domain';
import { createPatientService, looksLikeSameIdentity, type Actor } from '../../electron/services/identity/patients';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';

const input = (over: Partial<PatientInput> = {}): PatientInput => ({
  birthName: 'Lefèvre',
  birthGivenNames: ['Hélène', 'Marie'],
  birthDate: '1961-04-03',
  sex: 'F',
  birthplaceCode: '63113',
  ...over,
});

describe('patient service', () => {
  let db: Db;
  let service: ReturnType<typeof createPatientService>;
  let secretary: Actor;
  let repo: ReturnType<typeof createPatientsRepo>;

  beforeEach(() => {
    db = openDatabase({ file: ':memory:' });
    const users = createUsersRepo(db);
    const u = users.upsert({ nationalId: 'SEC1', familyName: 'DURAND', givenName: 'Sophie', role: 'secretary', professionCode: null, mssanteAddress: null });
    secretary = { userId: u.id, displayName: 'Sophie DURAND', role: 'secretary' };
    repo = createPatientsRepo(db);
    service = createPatientService({ patients: repo, audit: createAuditRepo(db), transaction: (fn) => db.transaction(fn)() });
  });

  it('creates a provisional identity in capitals with its history and an audit entry', () => {
    const { created } = service.create(secretary, input());
    expect(created).toMatchObject({ birthName: 'LEFÈVRE', identityStatus: 'PROV', ins: null });
    expect(created!.identityHistory).toEqual([expect.objectContaining({ toStatus: 'PROV', by: 'Sophie DURAND', byRole: 'secretary' })]);
    const audit = createAuditRepo(db).list({ patientId: created!.id, limit: 10 });
    expect(audit.map((a) => a.action)).toEqual(['patient.creation']);
  });

  it('records one consultation per visit: refreshes of the open record by the same user are not new consultations', () => {
    const { created } = service.create(secretary, input());
    const id = created!.id;
    const users = createUsersRepo(db);
    const d = users.upsert({ nationalId: '810000000001', familyName: 'CHARLES', givenName: 'Pascal', role: 'doctor', professionCode: '10', mssanteAddress: null });
    const doctor: Actor = { userId: d.id, displayName: 'Dr Pascal CHARLES', role: 'doctor' };
    const actions = () => createAuditRepo(db).list({ patientId: id, limit: 50 }).map((a) => `${a.action}:${a.actor}`).reverse();
    service.get(secretary, id);
    service.get(secretary, id); // the screen reloads the record
    service.get(secretary, id);
    expect(actions()).toEqual(['patient.creation:Sophie DURAND', 'patient.consultation:Sophie DURAND']);
    service.get(doctor, id); // someone else opens it: a consultation of its own
    expect(actions().at(-1)).toBe('patient.consultation:Dr Pascal CHARLES');
    service.get(secretary, id); // back to the secretary after the doctor: traced again
    expect(actions().filter((a) => a === 'patient.consultation:Sophie DURAND')).toHaveLength(2);
  });

  it('never silently creates a second identity with the same birth traits', () => {
    const first = service.create(secretary, input()).created!;
    const again = service.create(secretary, input({ birthName: 'LEFEVRE', birthGivenNames: ['Helene'] }));
    expect(again.created).toBeNull();
    expect(again.possibleDuplicates.map((d) => d.id)).toEqual([first.id]);
    const typo = service.create(secretary, input({ birthName: 'Lefevbre' }));
    expect(typo.possibleDuplicates.map((d) => d.id)).toEqual([first.id]);
    // Different person (other first name): created. Confirmed twin: created.
    expect(service.create(secretary, input({ birthGivenNames: ['Paul'], sex: 'M' })).created).not.toBeNull();
    expect(service.create(secretary, input(), [first.id]).created).not.toBeNull();
    expect(repo.count()).toBe(3);
  });

  it('detects a married woman registered under her used name', () => {
    expect(
      looksLikeSameIdentity(
        { birthName: 'MOREAU', usedName: 'DUPONT', birthGivenNames: ['Anne'], birthDate: '1980-01-01', sex: 'F' },
        { birthName: 'DUPONT', usedName: null, birthGivenNames: ['Anne'], birthDate: '1980-01-01', sex: 'F' },
      ),
    ).toBe(true);
  });

  it('lowers a qualified identity when a strict trait changes, and says so', () => {
    const { created } = service.create(secretary, input());
    repo.update(created!.id, { ...repo.get(created!.id)!, identityStatus: 'QUAL', insMatricule: '236066322083656', insOid: '1.2.250.1.213.1.4.10' });
    service.index.upsert(repo.get(created!.id)!);
    expect(service.get(secretary, created!.id).ins).toBe('236066322083656');

    const usedNameOnly = service.update(secretary, created!.id, input({ usedName: 'Martin' }));
    expect(usedNameOnly.statusDowngraded).toBeNull();
    expect(usedNameOnly.patient.identityStatus).toBe('QUAL');

    const strict = service.update(secretary, created!.id, input({ usedName: 'Martin', birthDate: '1961-04-04' }));
    expect(strict.statusDowngraded).toEqual({ from: 'QUAL', to: 'VALI' });
    expect(strict.patient.ins).toBeNull(); // an INS is only shown and used for a QUAL identity
    expect(strict.patient.identityHistory.at(-1)).toMatchObject({ fromStatus: 'QUAL', toStatus: 'VALI', reason: expect.stringContaining('birthDate') });
  });

  it('searches through the index kept in step with the store', () => {
    service.create(secretary, input());
    expect(service.search(secretary, 'lefevr', 10).map((p) => p.birthName)).toEqual(['LEFÈVRE']);
  });

  it('refuses edits to someone without the permission', () => {
    const stranger = { userId: 0, displayName: 'X', role: 'visitor' } as unknown as Actor;
    expect(() => service.create(stranger, input())).toThrow(/non autorisée|réservée/);
  });
});
