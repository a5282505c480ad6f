import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInsiClient } from '../../electron/services/identity/insi';
import { createPatientService, type Actor } from '../../electron/services/identity/patients';
import { createQualificationService } from '../../electron/services/identity/qualification';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';
import { SANDBOX_INSI_IDENTITIES, SANDBOX_VITALE_CARDS } from '../../electron/sandbox/insi-identities';
import { startInsiStandIn, type InsiStandIn } from '../../electron/sandbox/insi-service';

describe('identity qualification against the INSi stand-in', () => {
  let insi: InsiStandIn;
  let db: Db;
  let service: ReturnType<typeof createQualificationService>;
  let patients: ReturnType<typeof createPatientService>;
  let secretary: Actor & { nationalId: string };

  beforeAll(async () => {
    insi = await startInsiStandIn({ identities: [...SANDBOX_INSI_IDENTITIES], vitaleCards: [...SANDBOX_VITALE_CARDS] });
  });
  afterAll(() => insi.close());

  beforeEach(() => {
    db = openDatabase({ file: ':memory:' });
    const u = createUsersRepo(db).upsert({ nationalId: 'SEC1', familyName: 'DURAND', givenName: 'Sophie', role: 'secretary', professionCode: null, mssanteAddress: null });
    secretary = { userId: u.id, displayName: 'Sophie DURAND', role: 'secretary', nationalId: 'SEC1' };
    const repo = createPatientsRepo(db);
    const audit = createAuditRepo(db);
    const transaction = <T>(fn: () => T) => db.transaction(fn)();
    patients = createPatientService({ patients: repo, audit, transaction });
    service = createQualificationService({ patients: repo, audit, transaction, insi: createInsiClient({ endpoint: insi.url }), onPatientChanged: (p) => patients.index.upsert(p) });
  });

  const tchitchi = () =>
    patients.create(secretary, { birthName: 'Tchitchi', birthGivenNames: ['Catarina'], birthDate: '1936-06-21', sex: 'F' }).created!;

  it('Vitale card + identity card → QUAL, INSi traits become the reference, evidence recorded', async () => {
    const p = tchitchi();
    const outcome = await service.searchInsi(secretary, p.id, { mode: 'vitale', nir: '2360663220836', birthDate: '1936-06-21' });
    expect(outcome.code).toBe('00');
    if (outcome.code !== '00') return;
    expect(outcome.differences.map((d) => d.trait)).toEqual(['Prénoms de naissance', 'Lieu de naissance']);
    const after = service.qualify(secretary, p.id, { insiResultId: outcome.resultId, idDocument: 'CNI' });
    expect(after).toMatchObject({ identityStatus: 'QUAL', insMatricule: '236066322083656', insOid: '1.2.250.1.213.1.4.10', birthGivenNames: ['Catarina', 'Bella'], birthplaceCode: '63220' });
    const record = patients.recordOf(p.id);
    expect(record.ins).toBe('236066322083656');
    expect(JSON.parse(record.identityHistory.at(-1)!.evidence!)).toEqual({ insi: '00', pieceIdentite: 'CNI' });
    const actions = createAuditRepo(db).list({ patientId: p.id, limit: 10 }).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['identite.insi', 'identite.qualification']));
  });

  it('INSi alone gives RECUP, a document alone VALI; the missing evidence later completes to QUAL', async () => {
    const p = tchitchi();
    const outcome = await service.searchInsi(secretary, p.id, { mode: 'traits' });
    if (outcome.code !== '00') throw new Error('expected 00');
    expect(service.qualify(secretary, p.id, { insiResultId: outcome.resultId, idDocument: null }).identityStatus).toBe('RECUP');
    expect(service.qualify(secretary, p.id, { insiResultId: null, idDocument: 'PASSEPORT' }).identityStatus).toBe('QUAL');

    const other = patients.create(secretary, { birthName: 'Corse', birthGivenNames: ['Anthony'], birthDate: '1980-03-02', sex: 'M' }).created!;
    expect(service.qualify(secretary, other.id, { insiResultId: null, idDocument: 'CNI' }).identityStatus).toBe('VALI');
    // A low-trust document (livret de famille) is recorded but does not validate an adult identity.
    const third = patients.create(secretary, { birthName: 'Adrtrois', birthGivenNames: ['Dominique'], birthDate: '1997-02-26', sex: 'F' }).created!;
    expect(service.qualify(secretary, third.id, { insiResultId: null, idDocument: 'LIVRET_FAMILLE' }).identityStatus).toBe('PROV');
  });

  it('reports 01 and 02 with the French guidance and qualifies nothing', async () => {
    const unknown = patients.create(secretary, { birthName: 'Inconnu', birthGivenNames: ['Personne'], birthDate: '1970-01-01', sex: 'M' }).created!;
    const none = await service.searchInsi(secretary, unknown.id, { mode: 'traits' });
    expect(none).toMatchObject({ code: '01', message: expect.stringMatching(/vérifi/i) });
    const homonym = patients.create(secretary, { birthName: 'Duboisinsi', birthGivenNames: ['Marie'], birthDate: '1985-05-12', sex: 'F' }).created!;
    const several = await service.searchInsi(secretary, homonym.id, { mode: 'traits' });
    expect(several).toMatchObject({ code: '02', message: expect.stringMatching(/prénoms|lieu de naissance/i) });
    const found = await service.searchInsi(secretary, homonym.id, { mode: 'traits', birthplaceCode: '75056' });
    expect(found.code).toBe('00');
    expect(patients.recordOf(homonym.id).identityStatus).toBe('PROV');
  });

  it('refuses a forged or foreign INSi reference and an INS already held by another record', async () => {
    const p = tchitchi();
    expect(() => service.qualify(secretary, p.id, { insiResultId: 'forged', idDocument: 'CNI' })).toThrow(/introuvable ou expiré/);
    const twin = patients.create(secretary, { birthName: 'Tchitchi', birthGivenNames: ['Catarina'], birthDate: '1936-06-21', sex: 'F' }, [p.id]).created!;
    const first = await service.searchInsi(secretary, p.id, { mode: 'traits' });
    const second = await service.searchInsi(secretary, twin.id, { mode: 'traits' });
    if (first.code !== '00' || second.code !== '00') throw new Error('expected 00');
    expect(() => service.qualify(secretary, twin.id, { insiResultId: first.resultId, idDocument: 'CNI' })).toThrow(/introuvable/);
    service.qualify(secretary, p.id, { insiResultId: first.resultId, idDocument: 'CNI' });
    expect(() => service.qualify(secretary, twin.id, { insiResultId: second.resultId, idDocument: 'CNI' })).toThrow(/déjà portée par un autre dossier/);
  });
});
