import type { Db } from '../services/store/db';
import { createAuditRepo, SYSTEM_ACTOR } from '../services/store/audit-repo';
import { createPatientsRepo, type PatientFields } from '../services/store/patients-repo';
import { createUsersRepo } from '../services/store/users-repo';
import { createIdentityGenerator, seededRandom } from './demo-identities';
import { CNAM_TEST_IDENTITIES, SANDBOX_HOMONYM_IDENTITIES, type InsiSandboxIdentity } from './insi-identities';
import { TEST_PROFESSIONALS } from './psc-professionals';

export interface SeedResult {
  patients: number;
  /** Identities the INSi stand-in must know so that demo patients can be (re)qualified. */
  insiIdentities: InsiSandboxIdentity[];
}

export interface SeedOptions {
  patients?: number;
  seed?: number;
  now?: Date;
}

export const DEMO_SEED = 20261123;
export const DEMO_PATIENT_COUNT = 200;

/** The demo practice's patients, always the same for a seed (the sandbox DMP and INSi know them too). */
export function demoPracticeIdentities(count = DEMO_PATIENT_COUNT, seed = DEMO_SEED): PatientFields[] {
  const next = createIdentityGenerator(seed);
  return Array.from({ length: count }, () => {
    const fields = next();
    return { ...fields, birthGivenNames: fields.birthGivenNames.map(titleCase) };
  });
}

function titleCase(value: string): string {
  return value.toLowerCase().replace(/(^|[\s-])\p{L}/gu, (m) => m.toUpperCase());
}

/**
 * Seeds the demo practice of the training sandbox: its professionals, ~200 patients with
 * realistic identities (half qualified), today's appointments, and the public CNAM test
 * identities left provisional so that a trainee can qualify them through INSi. Idempotent: an
 * already seeded database is left as it is.
 */
export function seedDemoPractice(db: Db, options: SeedOptions = {}): SeedResult {
  const patients = createPatientsRepo(db);
  const users = createUsersRepo(db);
  const audit = createAuditRepo(db);
  const now = options.now ?? new Date();
  const identities = demoPracticeIdentities(options.patients ?? DEMO_PATIENT_COUNT, options.seed ?? DEMO_SEED);
  const rand = seededRandom((options.seed ?? DEMO_SEED) + 1);

  const staff = TEST_PROFESSIONALS.map((p) =>
    users.upsert({
      nationalId: p.nationalId,
      familyName: p.familyName,
      givenName: p.givenName,
      role: p.expectedRole,
      professionCode: p.professionCode,
      mssanteAddress: p.mssanteAddress,
    }),
  );
  const secretary = staff.find((u) => u.role === 'secretary') ?? staff[0]!;

  const insiIdentities: InsiSandboxIdentity[] = [];
  if (patients.count() > 0) return { patients: 0, insiIdentities: existingQualifiable(db) };

  db.transaction(() => {
    const ids: number[] = [];
    const createdAt = new Date(now.getTime() - 90 * 24 * 3600 * 1000).toISOString();
    const add = (fields: PatientFields) => {
      const id = patients.insert(fields, secretary.id, createdAt);
      patients.addIdentityEvent(id, { at: createdAt, userId: secretary.id, fromStatus: null, toStatus: 'PROV', reason: 'Création de l’identité', evidence: null });
      if (fields.identityStatus !== 'PROV') {
        const evidence =
          fields.identityStatus === 'QUAL'
            ? { insi: '00', pieceIdentite: 'CNI' }
            : fields.identityStatus === 'RECUP'
              ? { insi: '00' }
              : { pieceIdentite: 'PASSEPORT' };
        patients.addIdentityEvent(id, {
          at: createdAt,
          userId: secretary.id,
          fromStatus: 'PROV',
          toStatus: fields.identityStatus,
          reason: 'Reprise de l’historique du cabinet',
          evidence: JSON.stringify(evidence),
        });
      }
      ids.push(id);
      return id;
    };

    for (const fields of identities) {
      add(fields);
      if (fields.insMatricule && fields.insOid) {
        insiIdentities.push({
          matricule: fields.insMatricule,
          oid: fields.insOid,
          birthName: fields.birthName,
          birthGivenNames: fields.birthGivenNames.map((g) => g.toUpperCase()),
          birthDate: fields.birthDate,
          sex: fields.sex,
          birthplaceCode: fields.birthplaceCode!,
        });
      }
    }
    // Public test identities, provisional: the trainee qualifies them with INSi. The homonym is
    // recorded with her first first name only, as often at the desk, so INSi answers 02.
    const homonym = { ...SANDBOX_HOMONYM_IDENTITIES[0]!, birthGivenNames: SANDBOX_HOMONYM_IDENTITIES[0]!.birthGivenNames.slice(0, 1) };
    for (const t of [...CNAM_TEST_IDENTITIES, homonym]) {
      add({
        birthName: t.birthName,
        birthGivenNames: t.birthGivenNames.map(titleCase),
        birthDate: t.birthDate,
        sex: t.sex,
        birthplaceCode: null,
        usedName: null,
        usedGivenName: null,
        insMatricule: null,
        insOid: null,
        identityStatus: 'PROV',
        externalId: null,
      });
    }

    // Today's agenda: a dozen appointments from 8:30, every 20 minutes, test identities first.
    const day = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 8, 30);
    const agenda = [...ids.slice(-5), ...ids.slice(0, 200).filter(() => rand() < 0.05)].slice(0, 12);
    agenda.forEach((patientId, i) => {
      patients.addAppointment(patientId, new Date(day.getTime() + i * 20 * 60 * 1000).toISOString(), 'Consultation');
    });
    audit.append(SYSTEM_ACTOR, 'sandbox.seed', null, { patients: ids.length, appointments: agenda.length });
  })();
  return { patients: patients.count(), insiIdentities };
}

function existingQualifiable(db: Db): InsiSandboxIdentity[] {
  const patients = createPatientsRepo(db);
  const out: InsiSandboxIdentity[] = [];
  for (const p of patients.iterateAll()) {
    if (!p.insMatricule || !p.insOid || !p.birthplaceCode) continue;
    out.push({
      matricule: p.insMatricule,
      oid: p.insOid,
      birthName: p.birthName,
      birthGivenNames: p.birthGivenNames.map((g) => g.toUpperCase()),
      birthDate: p.birthDate,
      sex: p.sex,
      birthplaceCode: p.birthplaceCode,
    });
  }
  return out;
}
