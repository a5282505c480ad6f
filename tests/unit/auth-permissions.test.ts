import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import {
  ALL_PERMISSIONS,
  PERMISSION_LABELS,
  ROLE_PERMISSIONS,
  can,
  permissionsOf,
  requirePermission,
  type Permission,
} from '../../electron/services/auth/permissions';

const doctor = { role: 'doctor' as const };
const secretary = { role: 'secretary' as const };

function thrown(fn: () => void): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a throw');
}

describe('roles and permissions', () => {
  it('gives the doctor every permission', () => {
    for (const p of ALL_PERMISSIONS) expect(can(doctor, p)).toBe(true);
    expect(ALL_PERMISSIONS).toHaveLength(11);
  });

  it('gives the secretary the delegated mailbox and identity work, nothing medical', () => {
    expect(permissionsOf('secretary').sort()).toEqual(
      ['identity.qualify', 'mail.send', 'mailbox.triage', 'patient.edit', 'worklist.file', 'worklist.propose'].sort(),
    );
    for (const p of ['worklist.validate', 'dmp.send', 'dmp.read', 'document.sign', 'admin.backup'] as Permission[]) {
      expect(can(secretary, p)).toBe(false);
    }
  });

  it('has a French label for every permission', () => {
    for (const p of ALL_PERMISSIONS) expect(PERMISSION_LABELS[p]).toMatch(/^[a-zé]/);
    expect(Object.keys(ROLE_PERMISSIONS)).toEqual(['doctor', 'secretary']);
  });

  it('refuses a doctor-only action to the secretary with a French message naming the action', () => {
    const err = thrown(() => requirePermission(secretary, 'dmp.send'));
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toBe('Action réservée au médecin : envoyer au DMP.');
    expect(err.details).toEqual({ permission: 'dmp.send', role: 'secretary' });
    expect(thrown(() => requirePermission(secretary, 'worklist.validate')).message).toMatch(/valider l'intégration/);
  });

  it('lets allowed actions through', () => {
    expect(() => requirePermission(secretary, 'mailbox.triage')).not.toThrow();
    expect(() => requirePermission(doctor, 'document.sign')).not.toThrow();
  });

  it('requires a signed-in user', () => {
    expect(can(null, 'mailbox.triage')).toBe(false);
    const err = thrown(() => requirePermission(null, 'patient.edit'));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/modifier un dossier patient/);
  });
});
