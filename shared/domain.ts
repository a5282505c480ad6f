import { z } from 'zod';

/** Schemas of the data that crosses the IPC boundary. Dates are ISO strings (YYYY-MM-DD or full). */

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date attendue au format AAAA-MM-JJ');
export const sex = z.enum(['F', 'M']);
export const identityStatus = z.enum(['PROV', 'RECUP', 'VALI', 'QUAL']);
export const role = z.enum(['doctor', 'secretary']);
export const idDocumentType = z.enum(['CNI', 'PASSEPORT', 'TITRE_SEJOUR', 'LIVRET_FAMILLE', 'EXTRAIT_NAISSANCE']);

export const userSummary = z.object({
  id: z.number().int(),
  nationalId: z.string(),
  displayName: z.string(),
  role,
});
export type UserSummary = z.infer<typeof userSummary>;

export const patientSummary = z.object({
  id: z.number().int(),
  birthName: z.string(),
  birthGivenNames: z.array(z.string()),
  usedName: z.string().nullable(),
  usedGivenName: z.string().nullable(),
  birthDate: isoDate,
  sex,
  identityStatus,
  /** Only present when the identity is QUAL: an INS may not be shown or used otherwise. */
  ins: z.string().nullable(),
  /** Why this patient matched a search (French, short), when coming from a search. */
  matchedOn: z.string().optional(),
});
export type PatientSummary = z.infer<typeof patientSummary>;

export const identityEvent = z.object({
  at: z.string(),
  by: z.string(),
  byRole: role.nullable(),
  fromStatus: identityStatus.nullable(),
  toStatus: identityStatus,
  reason: z.string(),
  evidence: z.string().nullable(),
});
export type IdentityEvent = z.infer<typeof identityEvent>;

export const patientRecord = patientSummary.extend({
  birthplaceCode: z.string().nullable(),
  insOid: z.string().nullable(),
  externalId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  identityHistory: z.array(identityEvent),
});
export type PatientRecord = z.infer<typeof patientRecord>;

export const patientInput = z.object({
  birthName: z.string().trim().min(1, 'nom de naissance obligatoire').max(100),
  birthGivenNames: z.array(z.string().trim().min(1).max(60)).min(1, 'au moins un prénom de naissance').max(10),
  birthDate: isoDate,
  sex,
  birthplaceCode: z.string().trim().regex(/^(\d{5}|2[AB]\d{3})$/i, 'code lieu de naissance (COG) sur 5 caractères').nullable().optional(),
  usedName: z.string().trim().max(100).nullable().optional(),
  usedGivenName: z.string().trim().max(60).nullable().optional(),
  externalId: z.string().trim().max(64).nullable().optional(),
});
export type PatientInput = z.infer<typeof patientInput>;

export const auditEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  actorRole: role.nullable(),
  action: z.string(),
  patientId: z.number().int().nullable(),
  detail: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

export const mailboxStatus = z.object({
  address: z.string(),
  label: z.string(),
  kind: z.enum(['personal', 'organisational']),
  state: z.enum(['connected', 'syncing', 'offline', 'error', 'not-configured']),
  detail: z.string().nullable(),
});
export type MailboxStatus = z.infer<typeof mailboxStatus>;

export const worklistStatus = z.enum(['a_classer', 'propose', 'integre', 'conflit', 'rejete', 'supprime_emetteur']);
export const worklistItem = z.object({
  id: z.number().int(),
  status: worklistStatus,
  receivedAt: z.string(),
  sender: z.string(),
  mailbox: z.string(),
  subject: z.string(),
  typeLabel: z.string().nullable(),
  patientId: z.number().int().nullable(),
  patientLabel: z.string().nullable(),
  read: z.boolean(),
});
export type WorklistItem = z.infer<typeof worklistItem>;

export const sandboxService = z.object({ name: z.string(), label: z.string(), url: z.string() });

export const appInfo = z.object({
  version: z.string(),
  mode: z.enum(['training', 'production']),
  practiceName: z.string(),
  host: z.enum(['electron', 'browser']),
  sandboxServices: z.array(sandboxService),
});
export type AppInfo = z.infer<typeof appInfo>;

export const insiIdentity = z.object({
  matricule: z.string(),
  oid: z.string(),
  birthName: z.string(),
  birthGivenNames: z.array(z.string()),
  birthDate: isoDate,
  sex,
  birthplaceCode: z.string(),
});

export const insiRequest = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('vitale'),
    nir: z.string().trim().regex(/^[12]\d{4}(\d{2}|2[AB])\d{6}(\d{2})?$/i, 'NIR de la carte Vitale invalide'),
    birthDate: isoDate,
    rank: z.number().int().min(1).max(9).optional(),
  }).strict(),
  z.object({
    mode: z.literal('traits'),
    birthplaceCode: z.string().trim().regex(/^(\d{5}|2[AB]\d{3})$/i, 'code COG sur 5 caractères').optional(),
    extraGivenNames: z.array(z.string().trim().min(1).max(60)).max(10).optional(),
  }).strict(),
]);

export const insiOutcome = z.discriminatedUnion('code', [
  z.object({
    code: z.literal('00'),
    resultId: z.string(),
    identity: insiIdentity,
    differences: z.array(z.object({ trait: z.string(), local: z.string(), insi: z.string() })),
  }),
  z.object({ code: z.enum(['01', '02']), message: z.string() }),
]);
export type InsiOutcome = z.infer<typeof insiOutcome>;

export const vitaleCard = z.object({
  nir: z.string(),
  holderName: z.string(),
  beneficiaries: z.array(z.object({ birthDate: isoDate, rank: z.number().int() })),
});
export type VitaleCard = z.infer<typeof vitaleCard>;
