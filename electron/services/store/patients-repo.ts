import type { Db } from './db';

export type Sex = 'F' | 'M';
export type IdentityStatusValue = 'PROV' | 'RECUP' | 'VALI' | 'QUAL';

export interface Patient {
  id: number;
  birthName: string;
  birthGivenNames: string[];
  birthDate: string;
  sex: Sex;
  birthplaceCode: string | null;
  usedName: string | null;
  usedGivenName: string | null;
  insMatricule: string | null;
  insOid: string | null;
  identityStatus: IdentityStatusValue;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
  lastSeenAt: string | null;
}

export type PatientFields = Omit<Patient, 'id' | 'createdAt' | 'updatedAt' | 'lastSeenAt'>;

interface PatientRow {
  id: number;
  birth_name: string;
  birth_given_names: string;
  birth_date: string;
  sex: Sex;
  birthplace_code: string | null;
  used_name: string | null;
  used_given_name: string | null;
  ins_matricule: string | null;
  ins_oid: string | null;
  identity_status: IdentityStatusValue;
  external_id: string | null;
  created_at: string;
  updated_at: string;
  last_seen_at: string | null;
}

const COLUMNS = `id, birth_name, birth_given_names, birth_date, sex, birthplace_code, used_name, used_given_name,
  ins_matricule, ins_oid, identity_status, external_id, created_at, updated_at, last_seen_at`;

function fromRow(row: PatientRow): Patient {
  return {
    id: row.id,
    birthName: row.birth_name,
    birthGivenNames: JSON.parse(row.birth_given_names) as string[],
    birthDate: row.birth_date,
    sex: row.sex,
    birthplaceCode: row.birthplace_code,
    usedName: row.used_name,
    usedGivenName: row.used_given_name,
    insMatricule: row.ins_matricule,
    insOid: row.ins_oid,
    identityStatus: row.identity_status,
    externalId: row.external_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSeenAt: row.last_seen_at,
  };
}

function toParams(fields: PatientFields) {
  return {
    birth_name: fields.birthName,
    birth_given_names: JSON.stringify(fields.birthGivenNames),
    birth_date: fields.birthDate,
    sex: fields.sex,
    birthplace_code: fields.birthplaceCode,
    used_name: fields.usedName,
    used_given_name: fields.usedGivenName,
    ins_matricule: fields.insMatricule,
    ins_oid: fields.insOid,
    identity_status: fields.identityStatus,
    external_id: fields.externalId,
  };
}

export interface IdentityEventRow {
  at: string;
  userId: number | null;
  actor: string | null;
  actorRole: 'doctor' | 'secretary' | null;
  fromStatus: IdentityStatusValue | null;
  toStatus: IdentityStatusValue;
  reason: string;
  evidence: string | null;
}

/** Typed access to patients, their identity history and the agenda. The only place with patient SQL. */
export function createPatientsRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO patients (birth_name, birth_given_names, birth_date, sex, birthplace_code,
      used_name, used_given_name, ins_matricule, ins_oid, identity_status, external_id, created_at, updated_at, created_by)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const update = db.prepare(`UPDATE patients SET birth_name = @birth_name, birth_given_names = @birth_given_names,
      birth_date = @birth_date, sex = @sex, birthplace_code = @birthplace_code, used_name = @used_name,
      used_given_name = @used_given_name, ins_matricule = @ins_matricule, ins_oid = @ins_oid,
      identity_status = @identity_status, external_id = @external_id, updated_at = @now WHERE id = @id`);
  const byId = db.prepare<[number], PatientRow>(`SELECT ${COLUMNS} FROM patients WHERE id = ?`);
  const byIns = db.prepare<[string], PatientRow>(`SELECT ${COLUMNS} FROM patients WHERE ins_matricule = ?`);
  const byExternalId = db.prepare<[string], PatientRow>(`SELECT ${COLUMNS} FROM patients WHERE external_id = ?`);
  const byBirth = db.prepare<[string, Sex], PatientRow>(`SELECT ${COLUMNS} FROM patients WHERE birth_date = ? AND sex = ?`);
  const everyone = db.prepare<[], PatientRow>(`SELECT ${COLUMNS} FROM patients ORDER BY id`);
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM patients');
  const seen = db.prepare('UPDATE patients SET last_seen_at = ? WHERE id = ?');
  const recent = db.prepare<[number], PatientRow>(
    `SELECT ${COLUMNS} FROM patients WHERE last_seen_at IS NOT NULL ORDER BY last_seen_at DESC LIMIT ?`,
  );
  const onDay = db.prepare<[string, string], PatientRow & { starts_at: string }>(
    `SELECT ${COLUMNS.split(',').map((c) => `p.${c.trim()}`).join(', ')}, a.starts_at FROM appointments a
      JOIN patients p ON p.id = a.patient_id WHERE a.starts_at >= ? AND a.starts_at < ? ORDER BY a.starts_at`,
  );
  const addAppointment = db.prepare('INSERT INTO appointments (patient_id, starts_at, reason) VALUES (?, ?, ?)');
  const insertEvent = db.prepare(`INSERT INTO identity_events (patient_id, at, user_id, from_status, to_status, reason, evidence)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const events = db.prepare<[number], { at: string; user_id: number | null; actor: string | null; actor_role: 'doctor' | 'secretary' | null;
    from_status: IdentityStatusValue | null; to_status: IdentityStatusValue; reason: string; evidence: string | null }>(
    `SELECT e.at, e.user_id, u.given_name || ' ' || u.family_name AS actor, u.role AS actor_role, e.from_status,
      e.to_status, e.reason, e.evidence FROM identity_events e LEFT JOIN users u ON u.id = e.user_id
      WHERE e.patient_id = ? ORDER BY e.id`,
  );

  return {
    insert(fields: PatientFields, createdBy: number | null, now = new Date().toISOString()): number {
      // Positional binding: the bulk path of CSV imports (named binding costs about as much as the insert).
      const f = fields;
      return Number(
        insert.run(f.birthName, JSON.stringify(f.birthGivenNames), f.birthDate, f.sex, f.birthplaceCode, f.usedName, f.usedGivenName, f.insMatricule, f.insOid, f.identityStatus, f.externalId, now, now, createdBy)
          .lastInsertRowid,
      );
    },
    update(id: number, fields: PatientFields, now = new Date().toISOString()): void {
      update.run({ ...toParams(fields), id, now });
    },
    get(id: number): Patient | null {
      const row = byId.get(id);
      return row ? fromRow(row) : null;
    },
    findByIns(matricule: string): Patient | null {
      const row = byIns.get(matricule);
      return row ? fromRow(row) : null;
    },
    findByExternalId(externalId: string): Patient | null {
      const row = byExternalId.get(externalId);
      return row ? fromRow(row) : null;
    },
    findByBirthDateAndSex(birthDate: string, sex: Sex): Patient[] {
      return byBirth.all(birthDate, sex).map(fromRow);
    },
    *iterateAll(): Generator<Patient> {
      for (const row of everyone.iterate()) yield fromRow(row);
    },
    all(): Patient[] {
      return everyone.all().map(fromRow);
    },
    count(): number {
      return count.get()!.n;
    },
    markSeen(id: number, at = new Date().toISOString()): void {
      seen.run(at, id);
    },
    recent(limit: number): Patient[] {
      return recent.all(limit).map(fromRow);
    },
    appointmentsBetween(fromIso: string, toIso: string): (Patient & { startsAt: string })[] {
      return onDay.all(fromIso, toIso).map((row) => ({ ...fromRow(row), startsAt: row.starts_at }));
    },
    addAppointment(patientId: number, startsAt: string, reason: string | null): void {
      addAppointment.run(patientId, startsAt, reason);
    },
    addIdentityEvent(patientId: number, event: Omit<IdentityEventRow, 'actor' | 'actorRole'>): void {
      insertEvent.run(patientId, event.at, event.userId, event.fromStatus, event.toStatus, event.reason, event.evidence);
    },
    identityEvents(patientId: number): IdentityEventRow[] {
      return events.all(patientId).map((r) => ({
        at: r.at,
        userId: r.user_id,
        actor: r.actor,
        actorRole: r.actor_role,
        fromStatus: r.from_status,
        toStatus: r.to_status,
        reason: r.reason,
        evidence: r.evidence,
      }));
    },
  };
}

export type PatientsRepo = ReturnType<typeof createPatientsRepo>;
