import { AppError } from '../../../shared/errors';
import type { PatientInput, PatientRecord, PatientSummary } from '../../../shared/domain';
import { foldName, withinOneEdit } from '../../../shared/text/normalize';
import { requirePermission } from '../auth/permissions';
import type { AuditActor, AuditRepo } from '../store/audit-repo';
import type { Patient, PatientFields, PatientsRepo } from '../store/patients-repo';
import { changedStrictTraits, IDENTITY_STATUS_LABELS, statusAfterStrictTraitEdit } from './ins';
import { PatientSearchIndex } from './search-index';

export interface Actor extends AuditActor {
  userId: number;
  role: 'doctor' | 'secretary';
  /** National professional id (8+RPPS...), for teleservice calls made on the actor's behalf. */
  nationalId?: string;
}

const CONSULTATION_COALESCE_MS = 10 * 60 * 1000;

export function toSummary(p: Patient, matchedOn?: string): PatientSummary {
  return {
    id: p.id,
    birthName: p.birthName,
    birthGivenNames: p.birthGivenNames,
    usedName: p.usedName,
    usedGivenName: p.usedGivenName,
    birthDate: p.birthDate,
    sex: p.sex,
    identityStatus: p.identityStatus,
    ins: p.identityStatus === 'QUAL' ? p.insMatricule : null,
    ...(matchedOn ? { matchedOn } : {}),
  };
}

function cleanName(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toUpperCase();
}

function cleanGiven(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** Canonical stored form: birth and used names in capitals (as on ID documents), COG upper-cased. */
export function fieldsFromInput(input: PatientInput): Omit<PatientFields, 'insMatricule' | 'insOid' | 'identityStatus'> {
  return {
    birthName: cleanName(input.birthName),
    birthGivenNames: input.birthGivenNames.map(cleanGiven).filter(Boolean),
    birthDate: input.birthDate,
    sex: input.sex,
    birthplaceCode: input.birthplaceCode ? input.birthplaceCode.trim().toUpperCase() : null,
    usedName: input.usedName ? cleanName(input.usedName) : null,
    usedGivenName: input.usedGivenName ? cleanGiven(input.usedGivenName) : null,
    externalId: input.externalId?.trim() || null,
  };
}

/** Same birth date and sex, birth (or used) name and first first-name equal or one typo apart. */
export function looksLikeSameIdentity(
  a: Pick<Patient, 'birthName' | 'usedName' | 'birthGivenNames' | 'birthDate' | 'sex'>,
  b: Pick<Patient, 'birthName' | 'usedName' | 'birthGivenNames' | 'birthDate' | 'sex'>,
): boolean {
  if (a.birthDate !== b.birthDate || a.sex !== b.sex) return false;
  const names = (p: typeof a) => [p.birthName, p.usedName].filter((n): n is string => !!n).map((n) => foldName(n).replace(/ /g, ''));
  const sameName = names(a).some((x) => names(b).some((y) => withinOneEdit(x, y)));
  const first = (p: typeof a) => foldName(p.birthGivenNames[0] ?? '').replace(/ /g, '');
  return sameName && withinOneEdit(first(a), first(b));
}

export interface PatientServiceDeps {
  patients: PatientsRepo;
  audit: AuditRepo;
  transaction: <T>(fn: () => T) => T;
}

export function createPatientService({ patients, audit, transaction }: PatientServiceDeps) {
  const index = new PatientSearchIndex();
  for (const p of patients.iterateAll()) index.upsert(p);

  const reload = (id: number): Patient => {
    const p = patients.get(id);
    if (!p) throw new AppError('NOT_FOUND', 'Patient introuvable.');
    index.upsert(p);
    return p;
  };

  const possibleDuplicates = (fields: Pick<Patient, 'birthName' | 'usedName' | 'birthGivenNames' | 'birthDate' | 'sex'>, ins: string | null) => {
    const found = new Map<number, Patient>();
    if (ins) {
      const same = patients.findByIns(ins);
      if (same) found.set(same.id, same);
    }
    for (const p of patients.findByBirthDateAndSex(fields.birthDate, fields.sex)) if (looksLikeSameIdentity(fields, p)) found.set(p.id, p);
    return [...found.values()];
  };

  const record = (p: Patient): PatientRecord => ({
    ...toSummary(p),
    birthplaceCode: p.birthplaceCode,
    insOid: p.identityStatus === 'QUAL' ? p.insOid : null,
    externalId: p.externalId,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    identityHistory: patients.identityEvents(p.id).map((e) => ({
      at: e.at,
      by: e.actor ?? 'LGC Ségur (automatique)',
      byRole: e.actorRole,
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      reason: e.reason,
      evidence: e.evidence,
    })),
  });

  return {
    index,

    /** The record as the screens show it, without tracing a consultation (after an action). */
    recordOf(id: number): PatientRecord {
      return record(reload(id));
    },

    today(actor: Actor, now = new Date()): PatientSummary[] {
      const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
      const end = new Date(start.getTime() + 24 * 3600 * 1000);
      const booked = patients.appointmentsBetween(start.toISOString(), end.toISOString());
      const seen = new Set(booked.map((p) => p.id));
      const recent = patients.recent(20).filter((p) => !seen.has(p.id));
      void actor;
      return [...booked, ...recent].map((p) => toSummary(p));
    },

    search(actor: Actor, query: string, limit: number): PatientSummary[] {
      void actor;
      return index.search(query, limit).map((hit) => toSummary(hit.patient, hit.matchedOn));
    },

    get(actor: Actor, id: number): PatientRecord {
      const p = patients.get(id);
      if (!p) throw new AppError('NOT_FOUND', 'Patient introuvable.');
      patients.markSeen(id);
      // A screen refreshing the record it shows is not a new consultation: one entry per user and
      // record until someone does something else with it, or for 10 minutes.
      const latest = audit.latestForPatient(id);
      const sameVisit = latest?.action === 'patient.consultation' && latest.userId === actor.userId && Date.now() - Date.parse(latest.at) < CONSULTATION_COALESCE_MS;
      if (!sameVisit) audit.append(actor, 'patient.consultation', id);
      return record(reload(id));
    },

    /** Creates a patient unless it looks like one we already have (returned for the user to decide). */
    create(actor: Actor, input: PatientInput, confirmNotDuplicateOf: number[] = []): { created: PatientRecord | null; possibleDuplicates: PatientSummary[] } {
      requirePermission(actor, 'patient.edit');
      const fields = fieldsFromInput(input);
      if (fields.externalId && patients.findByExternalId(fields.externalId)) {
        throw new AppError('CONFLICT', `Un patient porte déjà l’identifiant externe ${fields.externalId}.`);
      }
      const duplicates = possibleDuplicates({ ...fields }, null).filter((d) => !confirmNotDuplicateOf.includes(d.id));
      if (duplicates.length > 0) return { created: null, possibleDuplicates: duplicates.map((d) => toSummary(d)) };
      const id = transaction(() => {
        const newId = patients.insert({ ...fields, insMatricule: null, insOid: null, identityStatus: 'PROV' }, actor.userId);
        patients.addIdentityEvent(newId, {
          at: new Date().toISOString(),
          userId: actor.userId,
          fromStatus: null,
          toStatus: 'PROV',
          reason: 'Création de l’identité',
          evidence: null,
        });
        audit.append(actor, 'patient.creation', newId, confirmNotDuplicateOf.length ? { confirmedNotDuplicateOf: confirmNotDuplicateOf } : null);
        return newId;
      });
      return { created: record(reload(id)), possibleDuplicates: [] };
    },

    /** Edits the identity; changing a strict trait of a RECUP/QUAL identity lowers its status, recorded and returned. */
    update(actor: Actor, id: number, input: PatientInput) {
      requirePermission(actor, 'patient.edit');
      const before = patients.get(id);
      if (!before) throw new AppError('NOT_FOUND', 'Patient introuvable.');
      const fields = fieldsFromInput(input);
      const changed = changedStrictTraits(before, fields);
      const newStatus = changed.length ? statusAfterStrictTraitEdit(before.identityStatus) : before.identityStatus;
      transaction(() => {
        patients.update(id, {
          ...fields,
          // The INS stays on record (history) but only a QUAL identity may use it; a new INSi call re-qualifies.
          insMatricule: before.insMatricule,
          insOid: before.insOid,
          identityStatus: newStatus,
        });
        if (newStatus !== before.identityStatus) {
          patients.addIdentityEvent(id, {
            at: new Date().toISOString(),
            userId: actor.userId,
            fromStatus: before.identityStatus,
            toStatus: newStatus,
            reason: `Trait strict modifié (${changed.join(', ')}) : ${IDENTITY_STATUS_LABELS[before.identityStatus].toLowerCase()} → ${IDENTITY_STATUS_LABELS[newStatus].toLowerCase()}`,
            evidence: null,
          });
        }
        audit.append(actor, 'patient.modification', id, { traitsStricts: changed });
      });
      return {
        patient: record(reload(id)),
        statusDowngraded: newStatus !== before.identityStatus ? { from: before.identityStatus, to: newStatus } : null,
      };
    },
  };
}

export type PatientService = ReturnType<typeof createPatientService>;
