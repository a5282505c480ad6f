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
export type WorklistStatus = z.infer<typeof worklistStatus>;
export const matchRule = z.enum(['auto', 'proposed', 'conflict', 'none']);

export const worklistItem = z.object({
  id: z.number().int(),
  status: worklistStatus,
  rule: matchRule,
  receivedAt: z.string(),
  documentDate: z.string().nullable(),
  sender: z.string(),
  mailbox: z.string(),
  subject: z.string(),
  typeCode: z.string().nullable(),
  typeLabel: z.string().nullable(),
  patientId: z.number().int().nullable(),
  patientLabel: z.string().nullable(),
  candidateCount: z.number().int(),
  action: z.enum(['C', 'D']).nullable(),
  read: z.boolean(),
  /** Who confirmed (secretary or doctor) and who validated, as shown to both. */
  confirmedBy: z.string().nullable(),
  validatedBy: z.string().nullable(),
  needsValidation: z.boolean(),
  note: z.string().nullable(),
});
export type WorklistItem = z.infer<typeof worklistItem>;

export const worklistCandidate = z.object({
  patientId: z.number().int(),
  label: z.string(),
  birthDate: isoDate,
  identityStatus,
  score: z.number(),
  matched: z.array(z.string()),
});

export const worklistDetail = z.object({
  item: worklistItem,
  reasons: z.array(z.string()),
  candidates: z.array(worklistCandidate),
  conflict: z.array(z.object({ field: z.string(), document: z.string(), local: z.string() })),
  documentPatient: z
    .object({ birthName: z.string().nullable(), givenNames: z.array(z.string()), birthDate: z.string().nullable(), sex: z.string().nullable(), insPresent: z.boolean() })
    .nullable(),
  title: z.string().nullable(),
  author: z.string().nullable(),
  hasPdf: z.boolean(),
  narrative: z.array(z.object({ title: z.string(), text: z.string() })),
  history: z.array(z.object({ at: z.string(), actor: z.string(), action: z.string() })),
});
export type WorklistDetail = z.infer<typeof worklistDetail>;

export const worklistFilter = z
  .object({
    status: z.array(worklistStatus).optional(),
    mailbox: z.string().max(320).optional(),
    typeCode: z.string().max(64).optional(),
    unreadOnly: z.boolean().optional(),
    toValidate: z.boolean().optional(),
    sort: z.enum(['date', 'type', 'patient', 'status']).default('date'),
  })
  .strict();

export const sandboxService = z.object({ name: z.string(), label: z.string(), url: z.string() });

/** One bad key of the workstation's configuration, for the error screen. */
export const configProblem = z.object({
  key: z.string(),
  source: z.enum(['policy', 'machine', 'user', 'default']),
  message: z.string(),
  location: z.string().optional(),
});
export type ConfigProblemView = z.infer<typeof configProblem>;

/** The first-run checklist's services, in the order shown, with their labels. */
export const FIRST_RUN_CHECK_LABELS = {
  psc: 'Pro Santé Connect',
  mailbox: 'Messagerie MSSanté',
  dmp: 'DMP',
  insi: 'Téléservice INSi',
} as const;

/** One line of the first-run checklist of a configured workstation. */
export const firstRunCheck = z.object({
  id: z.enum(['psc', 'mailbox', 'dmp', 'insi']),
  label: z.string(),
  state: z.enum(['ok', 'error', 'skipped']),
  detail: z.string(),
});
export type FirstRunCheckView = z.infer<typeof firstRunCheck>;

export const appInfo = z.object({
  version: z.string(),
  mode: z.enum(['training', 'production']),
  practiceName: z.string(),
  host: z.enum(['electron', 'browser']),
  sandboxServices: z.array(sandboxService),
  /** Non-empty when the configuration was refused: the app shows only the error screen. */
  configurationProblems: z.array(configProblem),
  /** A configured workstation whose first-run checklist has not been seen yet. */
  firstRunPending: z.boolean(),
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

export const dmpBadgeState = z.enum(['actif', 'inexistant', 'interdit', 'expire', 'mes_active', 'non_verifiable']);
export const dmpBadge = z.object({
  patientId: z.number().int(),
  state: dmpBadgeState,
  label: z.string(),
  lastDocumentDate: z.string().nullable(),
  checkedAt: z.string().nullable(),
  pending: z.boolean(),
  lastKnown: z.object({ state: dmpBadgeState, label: z.string() }).nullable(),
  mesActivated: z.boolean().nullable(),
  detail: z.string().nullable(),
  latestDocuments: z.array(z.object({ typeCode: z.string(), typeLabel: z.string(), date: z.string().nullable() })),
  documentsByOthersSinceLastVisit: z.number().int().nullable(),
  lastVisitAt: z.string().nullable(),
});
export type DmpBadge = z.infer<typeof dmpBadge>;

export const dmpConsent = z.object({
  patientId: z.number().int(),
  informedAt: z.string().nullable(),
  opposed: z.boolean(),
  recordedAt: z.string().nullable(),
  recordedBy: z.string().nullable(),
  canSend: z.boolean(),
});

export const visibility = z
  .object({
    hiddenFromProfessionals: z.boolean().optional(),
    invisibleToPatient: z.boolean().optional(),
    invisibleToLegalRepresentatives: z.boolean().optional(),
  })
  .strict();

export const dmpUpload = z.object({
  id: z.number().int(),
  documentId: z.number().int(),
  status: z.enum(['en_attente', 'envoi', 'envoye', 'erreur']),
  label: z.string(),
  detail: z.string().nullable(),
  version: z.number().int(),
  sentAt: z.string().nullable(),
  visibility: z.object({ hiddenFromProfessionals: z.boolean(), invisibleToPatient: z.boolean(), invisibleToLegalRepresentatives: z.boolean() }),
});
export type DmpUpload = z.infer<typeof dmpUpload>;

export const recordDocument = z.object({
  id: z.number().int(),
  title: z.string(),
  typeCode: z.string().nullable(),
  typeLabel: z.string().nullable(),
  date: z.string().nullable(),
  origin: z.enum(['mssante', 'dmp', 'local']),
  sender: z.string().nullable(),
  replaced: z.boolean(),
  deletedBySender: z.boolean(),
  /** Latest DMP upload of this document, if any. */
  dmp: dmpUpload.nullable(),
});
export type RecordDocument = z.infer<typeof recordDocument>;

export const dmpDocument = z.object({
  uniqueId: z.string(),
  repositoryUniqueId: z.string().nullable(),
  typeCode: z.string(),
  typeLabel: z.string(),
  title: z.string(),
  creationTime: z.string().nullable(),
  author: z.string(),
  visibilityLabels: z.array(z.string()),
  byOthers: z.boolean(),
  newSinceLastVisit: z.boolean(),
  status: z.string().nullable(),
});
export type DmpDocument = z.infer<typeof dmpDocument>;

export const producedType = z.object({ code: z.string(), label: z.string() });
