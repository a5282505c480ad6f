import { z } from 'zod';

/** Schemas of the messaging screen (MSSanté sending, outbox, receipts) that cross the IPC boundary. */

export const receiptKind = z.enum(['traite', 'erreur', 'lu', 'autre']);

/** A receipt (MDN) received for one of the practice's messages. */
export const mailReceipt = z.object({
  id: z.number().int(),
  receivedAt: z.string(),
  from: z.string().nullable(),
  mailbox: z.string(),
  kind: receiptKind,
  /** French: « Intégré par le destinataire », « Non intégré : Patient inconnu (PATIENT_INCONNU) », « Lu »… */
  label: z.string(),
  originalMessageId: z.string().nullable(),
  /** The practice's message it answers, when it is in the outbox. */
  outboxId: z.number().int().nullable(),
  /** Subject of the message it answers (or of the receipt when that message is unknown here). */
  subject: z.string(),
});
export type MailReceipt = z.infer<typeof mailReceipt>;

/** `en_attente` until the operator accepted it (including while it is being sent). */
export const outboxState = z.enum(['en_attente', 'envoye', 'echec', 'annule']);
export type OutboxState = z.infer<typeof outboxState>;

export const outboxMessage = z.object({
  id: z.number().int(),
  /** `mdn`: an integration receipt sent automatically to a sender who asked for one. */
  kind: z.enum(['message', 'mdn']),
  mailbox: z.string(),
  recipients: z.array(z.string()),
  /** As shown (without the `XDM/1.0/DDM+` prefix). */
  subject: z.string(),
  status: outboxState,
  /** « En attente », « Envoyé », « Échec », « Annulé ». */
  statusLabel: z.string(),
  /** French sentence: « Envoyé le 02/03/2026 à 10:15 », « Envoi en cours », « En attente (nouvel essai le … ; dernière erreur : …) », « Erreur : … ». */
  detail: z.string(),
  lastError: z.string().nullable(),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  patientId: z.number().int().nullable(),
  patientLabel: z.string().nullable(),
  attachments: z.array(z.string()),
  readReceipt: z.boolean(),
  receipts: z.array(mailReceipt),
  canRetry: z.boolean(),
  canCancel: z.boolean(),
});
export type OutboxMessage = z.infer<typeof outboxMessage>;

const address = z.string().trim().min(3).max(320);

export const sendMessageInput = z
  .object({
    /** Sending mailbox: one of the mailboxes visible to the user. */
    mailbox: address,
    /** Professional MSSanté addresses. */
    to: z.array(address).max(20).default([]),
    /** Also to the patient's mailbox `<INS>@patient.mssante.fr` (qualified identity only). */
    toPatient: z.boolean().default(false),
    patientId: z.number().int().positive().nullable().default(null),
    /** Free subject; with a structured document it becomes the document label of the XDM subject. */
    subject: z.string().trim().max(250).default(''),
    body: z.string().max(200_000).default(''),
    /** Documents of the patient's record. */
    documentIds: z.array(z.number().int().positive()).max(10).default([]),
    /** Ask for a read receipt (Disposition-Notification-To). */
    readReceipt: z.boolean().default(false),
  })
  .strict();

export const correspondent = z.object({
  address: z.string(),
  name: z.string().nullable(),
  lastAt: z.string().nullable(),
  /** `cabinet`: a mailbox of the practice; `envoi`: written to; `reception`: received from. */
  source: z.enum(['cabinet', 'envoi', 'reception']),
});
export type Correspondent = z.infer<typeof correspondent>;

/** A record document as it would be attached: structured (IHE_XDM.ZIP + PDF copy) or PDF only. */
export const attachableDocument = z.object({
  id: z.number().int(),
  title: z.string(),
  typeLabel: z.string().nullable(),
  date: z.string().nullable(),
  origin: z.enum(['mssante', 'dmp', 'local']),
  format: z.enum(['xdm', 'pdf', 'aucun']),
  /** « IHE_XDM.ZIP + PDF », « PDF seul (identité non qualifiée) », « Pas de copie PDF »… */
  formatLabel: z.string(),
});
export type AttachableDocument = z.infer<typeof attachableDocument>;
