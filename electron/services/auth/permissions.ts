import { AppError } from '../../../shared/errors';

export type Role = 'doctor' | 'secretary';

export type Permission =
  | 'mailbox.triage'
  | 'worklist.propose'
  | 'worklist.file'
  | 'worklist.validate'
  | 'identity.qualify'
  | 'patient.edit'
  | 'dmp.send'
  | 'dmp.read'
  | 'document.sign'
  | 'mail.send'
  | 'admin.backup';

/** French labels, written to complete « Action réservée au médecin : … ». */
export const PERMISSION_LABELS: Readonly<Record<Permission, string>> = {
  'mailbox.triage': 'trier la messagerie du cabinet',
  'worklist.propose': 'proposer le rattachement d\'un document à un patient',
  'worklist.file': 'classer un document dans le dossier patient (en attente de validation)',
  'worklist.validate': 'valider l\'intégration d\'un document',
  'identity.qualify': 'qualifier une identité INS',
  'patient.edit': 'modifier un dossier patient',
  'dmp.send': 'envoyer au DMP',
  'dmp.read': 'consulter le DMP',
  'document.sign': 'signer un document',
  'mail.send': 'envoyer un message MSSanté',
  'admin.backup': 'gérer les sauvegardes',
};

export const ALL_PERMISSIONS = Object.keys(PERMISSION_LABELS) as Permission[];

/**
 * The secretary acts under her own identity: she triages, proposes and files documents (the
 * doctor validates), prepares INS qualification, edits patient files and sends mail from the
 * practice's organisational mailbox (which mailbox is enforced by the mail service).
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  doctor: new Set(ALL_PERMISSIONS),
  secretary: new Set<Permission>([
    'mailbox.triage',
    'worklist.propose',
    'worklist.file',
    'identity.qualify',
    'patient.edit',
    'mail.send',
  ]),
};

export const ROLE_LABELS: Readonly<Record<Role, string>> = { doctor: 'médecin', secretary: 'secrétariat' };

export function can(user: { role: Role } | null | undefined, permission: Permission): boolean {
  return !!user && (ROLE_PERMISSIONS[user.role]?.has(permission) ?? false);
}

export function permissionsOf(role: Role): Permission[] {
  return ALL_PERMISSIONS.filter((p) => ROLE_PERMISSIONS[role].has(p));
}

export function requirePermission(user: { role: Role } | null | undefined, permission: Permission): void {
  const label = PERMISSION_LABELS[permission];
  if (!user) {
    throw new AppError('UNAUTHENTICATED', `Connexion Pro Santé Connect requise pour ${label}.`, { permission });
  }
  if (can(user, permission)) return;
  const allowed = (Object.keys(ROLE_PERMISSIONS) as Role[]).filter((r) => ROLE_PERMISSIONS[r].has(permission));
  const message = allowed.length === 1 && allowed[0] === 'doctor'
    ? `Action réservée au médecin : ${label}.`
    : `Action non autorisée pour le rôle ${ROLE_LABELS[user.role]} : ${label}.`;
  throw new AppError('PERMISSION_DENIED', message, { permission, role: user.role });
}
