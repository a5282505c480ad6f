import type { Db } from './db';

export interface AuditRecord {
  id: number;
  at: string;
  userId: number | null;
  actor: string;
  actorRole: 'doctor' | 'secretary' | null;
  action: string;
  patientId: number | null;
  detail: string | null;
}

export interface AuditActor {
  userId: number | null;
  displayName: string;
  role: 'doctor' | 'secretary' | null;
}

/** Append-only trace of every action (who, when, what, on which patient). Triggers forbid edits. */
export function createAuditRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO audit_log (at, user_id, actor, actor_role, action, patient_id, detail)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const list = db.prepare<[number | null, number | null, number], { id: number; at: string; user_id: number | null; actor: string;
    actor_role: 'doctor' | 'secretary' | null; action: string; patient_id: number | null; detail: string | null }>(
    `SELECT id, at, user_id, actor, actor_role, action, patient_id, detail FROM audit_log
      WHERE (? IS NULL OR patient_id = ?) ORDER BY id DESC LIMIT ?`,
  );
  const latestForPatient = db.prepare<[number], { at: string; user_id: number | null; action: string }>(
    'SELECT at, user_id, action FROM audit_log WHERE patient_id = ? ORDER BY id DESC LIMIT 1',
  );
  return {
    /** The most recent entry about a patient (any action, anyone). */
    latestForPatient(patientId: number): { at: string; userId: number | null; action: string } | null {
      const row = latestForPatient.get(patientId);
      return row ? { at: row.at, userId: row.user_id, action: row.action } : null;
    },
    append(actor: AuditActor, action: string, patientId: number | null, detail?: Record<string, unknown> | string | null): number {
      const text = detail == null ? null : typeof detail === 'string' ? detail : JSON.stringify(detail);
      return Number(
        insert.run(new Date().toISOString(), actor.userId, actor.displayName, actor.role, action, patientId, text).lastInsertRowid,
      );
    },
    list(filter: { patientId?: number; limit: number }): AuditRecord[] {
      const p = filter.patientId ?? null;
      return list.all(p, p, filter.limit).map((r) => ({
        id: r.id,
        at: r.at,
        userId: r.user_id,
        actor: r.actor,
        actorRole: r.actor_role,
        action: r.action,
        patientId: r.patient_id,
        detail: r.detail,
      }));
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;

/** The actor for actions the software takes by itself (sync, automatic filing). */
export const SYSTEM_ACTOR: AuditActor = { userId: null, displayName: 'LGC Ségur (automatique)', role: null };
