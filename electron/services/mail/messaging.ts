import { AppError } from '../../../shared/errors';
import type { z } from 'zod';
import type { AttachableDocument, Correspondent, MailReceipt, OutboxMessage, sendMessageInput } from '../../../shared/mail';
import { requirePermission } from '../auth/permissions';
import type { Logger } from '../log/logger';
import type { Patient, PatientsRepo } from '../store/patients-repo';
import type { BlobStore } from '../worklist/blob-store';
import { patientLabel } from '../worklist/match';
import type { MailboxService } from './mailbox-service';
import { addressOf, createMdnDispatcher, type MdnDispatcher } from './mdn-dispatch';
import { createMessagingRepo, type AttachableDocumentRow, type OutboxListRow, type ReceiptRow } from './messaging-repo';
import type { ParsedMssMessage } from './parse/types';
import { displaySubject } from './parse/mss-headers';
import { PATIENT_MAIL_DOMAIN, type PatientIdentity, type Recipient } from './send/compose';
import { outboxLabel } from './send/outbox';
import type { MailUser } from './sync/types';
import type { Db } from '../store/db';

/**
 * What the practice does with its mailboxes beyond receiving (issue #5): write to a professional
 * or to the patient with documents of the record, follow the outbox (retry, cancel), see the
 * receipts received, and send the integration receipts the worklist owes to senders. Built on the
 * mailbox service (outbox, SMTP); imports nothing from Electron.
 */

export type SendMessageInput = z.output<typeof sendMessageInput>;

export interface MessagingDeps {
  db: Db;
  mail: MailboxService;
  patients: PatientsRepo;
  /** The record's document files (`<dataDir>/documents`), shared with the worklist and the DMP. */
  blobs: BlobStore;
  logger: Logger;
  /** Every mailbox of the practice (suggested as correspondents: a colleague's personal box). */
  practiceMailboxes?: { address: string; label: string }[];
  now?: () => Date;
}

const STATUS: Record<OutboxListRow['status'], { status: OutboxMessage['status']; label: string }> = {
  pending: { status: 'en_attente', label: 'En attente' },
  sending: { status: 'en_attente', label: 'En attente' },
  sent: { status: 'envoye', label: 'Envoyé' },
  error: { status: 'echec', label: 'Échec' },
  cancelled: { status: 'annule', label: 'Annulé' },
};

function safeFileName(title: string): string {
  return `${title.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80) || 'document'}.pdf`;
}

export function receiptLabel(r: Pick<ReceiptRow, 'disposition_type' | 'error_code' | 'error_label' | 'disposition'>): { kind: MailReceipt['kind']; label: string } {
  const type = (r.disposition_type ?? '').toLowerCase();
  if (r.error_code || r.error_label) {
    const what = r.error_label ?? 'raison non précisée';
    return { kind: 'erreur', label: `Non intégré par le destinataire : ${what}${r.error_code ? ` (${r.error_code})` : ''}` };
  }
  if (type === 'processed') return { kind: 'traite', label: 'Intégré par le destinataire' };
  if (type === 'displayed') return { kind: 'lu', label: 'Lu par le destinataire' };
  if (type === 'deleted') return { kind: 'autre', label: 'Supprimé sans avoir été lu' };
  return { kind: 'autre', label: `Accusé reçu${r.disposition ? ` (${r.disposition})` : ''}` };
}

/** `"Dr X" <x@y.fr>` → { name, address } */
function splitAddress(header: string): { address: string; name: string | null } | null {
  const address = addressOf(header);
  if (!address) return null;
  const name = header.replace(/<[^<>]*>/, '').replace(/^["'\s]+|["'\s]+$/g, '').trim();
  return { address, name: name && name !== address ? name : null };
}

export interface MessagingService {
  outbox(user: MailUser, limit?: number): OutboxMessage[];
  retry(user: MailUser, id: number): OutboxMessage;
  cancel(user: MailUser, id: number): OutboxMessage;
  send(user: MailUser, input: SendMessageInput): Promise<OutboxMessage>;
  correspondents(user: MailUser, query?: string, limit?: number): Correspondent[];
  documents(user: MailUser, patientId: number): AttachableDocument[];
  receipts(user: MailUser, limit?: number): MailReceipt[];
  /** A received message that is a receipt (MDN) is recorded with the message it answers; true when it was one. */
  recordReceipt(receivedMessageId: number, parsed: ParsedMssMessage): boolean;
  /** Queues the integration receipts due (start, after every worklist change). */
  dispatchMdns(): Promise<{ queued: number }>;
  /** After an outbox change: due receipts delivered become `sent`. */
  outboxChanged(): void;
  stop(): Promise<void>;
}

export function createMessagingService(deps: MessagingDeps): MessagingService {
  const { db, mail, patients, blobs, logger } = deps;
  const repo = createMessagingRepo(db);
  const log = logger.child('messagerie');
  const mdn: MdnDispatcher = createMdnDispatcher({ repo, enqueueMdn: (input, actor) => mail.enqueueMdn(input, actor), logger: log, ...(deps.now ? { now: deps.now } : {}) });

  const visible = (user: MailUser) => new Set(mail.visibleMailboxes(user).map((m) => m.address.toLowerCase()));

  const labelOfPatient = (() => {
    const cache = new Map<number, string | null>();
    return (id: number | null): string | null => {
      if (id === null) return null;
      if (!cache.has(id)) {
        const p = patients.get(id);
        cache.set(id, p ? patientLabel(p) : null);
      }
      return cache.get(id) ?? null;
    };
  })();

  const toReceipt = (r: ReceiptRow): MailReceipt => {
    const { kind, label } = receiptLabel(r);
    return {
      id: r.id,
      receivedAt: r.received_at,
      from: r.sender,
      mailbox: r.mailbox,
      kind,
      label,
      originalMessageId: r.original_message_id,
      outboxId: r.outbox_id,
      subject: displaySubject(r.original_subject ?? r.subject ?? ''),
    };
  };

  const toView = (r: OutboxListRow): OutboxMessage => {
    const s = STATUS[r.status];
    const detail = outboxLabel({ status: r.status, sentAt: r.sent_at, lastError: r.last_error, nextAttemptAt: r.next_attempt_at });
    return {
      id: r.id,
      kind: r.kind,
      mailbox: r.mailbox,
      recipients: JSON.parse(r.recipients) as string[],
      subject: displaySubject(r.subject),
      status: s.status,
      statusLabel: s.label,
      detail,
      lastError: r.last_error,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
      sentAt: r.sent_at,
      createdAt: r.created_at,
      createdBy: r.created_by,
      patientId: r.patient_id,
      patientLabel: labelOfPatient(r.patient_id),
      attachments: r.attachments ? (JSON.parse(r.attachments) as string[]) : [],
      readReceipt: r.read_receipt === 1,
      receipts: r.kind === 'message' ? repo.receiptsOf(r.id).map(toReceipt) : [],
      canRetry: r.status === 'pending' || r.status === 'error',
      canCancel: r.status === 'pending' || r.status === 'error',
    };
  };

  const visibleRow = (user: MailUser, id: number): OutboxListRow => {
    const row = repo.outboxById(id);
    if (!row || !visible(user).has(row.mailbox.toLowerCase())) throw new AppError('NOT_FOUND', 'Message introuvable dans la file d’envoi.');
    return row;
  };

  const identityOf = (p: Patient): PatientIdentity => ({
    status: p.identityStatus,
    insMatricule: p.insMatricule,
    insOid: p.insOid,
    birthName: p.birthName,
    birthGivenNames: p.birthGivenNames,
    birthDate: p.birthDate,
    sex: p.sex,
  });

  /** What attaching a record document means: its CDA (structured) and its PDF copy. */
  const filesOf = (d: AttachableDocumentRow, patient: Patient) => {
    const isXml = !!d.mime_type && /xml/i.test(d.mime_type);
    const cda = d.origin === 'local' ? d.upload_cda_sha256 : isXml ? d.content_sha256 : null;
    const pdf = d.origin === 'local' ? d.content_sha256 : (d.item_pdf_sha256 ?? (d.mime_type === 'application/pdf' ? d.content_sha256 : null));
    const qualified = patient.identityStatus === 'QUAL' && !!patient.insMatricule;
    let format: AttachableDocument['format'];
    let formatLabel: string;
    if (!pdf) {
      format = 'aucun';
      formatLabel = 'Pas de copie PDF : ne peut pas être joint';
    } else if (cda && qualified) {
      format = 'xdm';
      formatLabel = 'Document structuré (IHE_XDM.ZIP) + copie PDF';
    } else {
      format = 'pdf';
      formatLabel = cda ? 'PDF seul (identité non qualifiée : pas de document structuré)' : 'PDF seul';
    }
    const title = d.title ?? d.type_label ?? d.file_name ?? 'Document';
    return { cda: format === 'xdm' ? cda : null, pdf, format, formatLabel, title, fileName: d.file_name?.toLowerCase().endsWith('.pdf') ? d.file_name : safeFileName(title) };
  };

  const requirePatient = (id: number): Patient => {
    const p = patients.get(id);
    if (!p) throw new AppError('NOT_FOUND', 'Patient introuvable.');
    return p;
  };

  const service: MessagingService = {
    outbox(user, limit = 200) {
      const boxes = visible(user);
      return repo.outbox(Math.min(limit * 2, 1000)).filter((r) => boxes.has(r.mailbox.toLowerCase())).slice(0, limit).map(toView);
    },

    retry(user, id) {
      requirePermission(user, 'mail.send');
      const row = visibleRow(user, id);
      if (row.status !== 'pending' && row.status !== 'error') throw new AppError('CONFLICT', row.status === 'sent' ? 'Ce message est déjà envoyé.' : 'Cet envoi a été annulé.');
      mail.retryOutbox(id);
      return toView(repo.outboxById(id)!);
    },

    cancel(user, id) {
      requirePermission(user, 'mail.send');
      const row = visibleRow(user, id);
      if (!mail.cancelOutbox(user, id)) {
        throw new AppError('CONFLICT', row.status === 'sent' ? 'Ce message est déjà parti : il ne peut plus être annulé.' : 'Cet envoi ne peut plus être annulé.');
      }
      return toView(repo.outboxById(id)!);
    },

    async send(user, input) {
      requirePermission(user, 'mail.send');
      const box = mail.visibleMailboxes(user).find((m) => m.address.toLowerCase() === input.mailbox.trim().toLowerCase());
      if (!box) throw new AppError('PERMISSION_DENIED', `La boîte ${input.mailbox} ne vous est pas accessible (ni personnelle, ni déléguée, ni organisationnelle).`);
      const patient = input.patientId !== null ? requirePatient(input.patientId) : null;

      const to: Recipient[] = [];
      const seen = new Set<string>();
      for (const a of input.to) {
        const address = a.trim();
        if (address.toLowerCase().endsWith(`@${PATIENT_MAIL_DOMAIN}`)) {
          throw new AppError('VALIDATION', 'Pour écrire au patient, choisissez le patient puis « Envoyer aussi au patient » : son adresse se construit depuis son identité qualifiée.');
        }
        if (seen.has(address.toLowerCase())) continue;
        seen.add(address.toLowerCase());
        to.push({ kind: 'professional', address });
      }
      if (input.toPatient) {
        if (!patient) throw new AppError('VALIDATION', 'Choisissez le patient à qui écrire.');
        to.push({ kind: 'patient', patient: identityOf(patient) });
      }
      if (!to.length) throw new AppError('VALIDATION', 'Indiquez au moins un destinataire.');

      const ids = [...new Set(input.documentIds)];
      if (ids.length && !patient) throw new AppError('VALIDATION', 'Choisissez d’abord le patient dont vous joignez les documents.');
      const files = ids.map((id) => {
        const d = repo.document(id);
        if (!d || d.patient_id !== patient!.id) throw new AppError('NOT_FOUND', 'Document introuvable dans le dossier de ce patient.');
        const f = filesOf(d, patient!);
        if (f.format === 'aucun') throw new AppError('VALIDATION', `« ${f.title} » n’a pas de copie PDF : il ne peut pas être joint.`);
        return f;
      });
      const structured = files.filter((f) => f.format === 'xdm');
      if (structured.length > 1) {
        throw new AppError('VALIDATION', 'Un seul document structuré (CDA) par message : envoyez les autres dans un second message.');
      }
      const main = structured[0];
      const attachments = files.filter((f) => f !== main).map((f) => ({ filename: f.fileName, content: blobs.get(f.pdf!), contentType: 'application/pdf' }));

      const entry = await mail.send(user, {
        mailbox: box.address,
        fromName: box.label,
        to,
        ...(input.subject ? { subject: input.subject } : {}),
        text: input.body,
        attachments,
        ...(main
          ? {
              document: {
                cda: blobs.get(main.cda!),
                pdf: blobs.get(main.pdf!),
                pdfFilename: main.fileName,
                ...(input.subject ? { label: input.subject } : {}),
                patient: identityOf(patient!),
              },
            }
          : {}),
        readReceipt: input.readReceipt,
        patientId: patient?.id ?? null,
      });
      const names = [...(main ? ['IHE_XDM.ZIP', main.fileName] : []), ...attachments.map((a) => a.filename)];
      repo.setOutboxExtras(entry.id, names, input.readReceipt);
      log.info('Message mis en file', { id: entry.id, mailbox: box.address, documents: ids.length, structured: !!main });
      return toView(repo.outboxById(entry.id)!);
    },

    correspondents(user, query = '', limit = 20) {
      const own = mail.visibleMailboxes(user).map((m) => m.address.toLowerCase());
      const found = new Map<string, Correspondent>();
      const add = (address: string, name: string | null, at: string | null, source: Correspondent['source']) => {
        const key = address.toLowerCase();
        if (key.endsWith(`@${PATIENT_MAIL_DOMAIN}`)) return; // a patient is chosen as a patient, never typed
        const prev = found.get(key);
        if (!prev) found.set(key, { address, name, lastAt: at, source });
        else {
          if (!prev.name && name) prev.name = name;
          if (at && (!prev.lastAt || at > prev.lastAt)) prev.lastAt = at;
          if (prev.source === 'reception' && source === 'envoi') prev.source = 'envoi';
        }
      };
      // Only the correspondents of the mailboxes this user may read (a personal box's correspondents stay its owner's).
      for (const r of repo.sentRecipients()) {
        if (own.includes(r.mailbox.toLowerCase())) for (const a of JSON.parse(r.recipients) as string[]) add(a, null, r.at, 'envoi');
      }
      for (const r of repo.receivedSenders()) {
        if (!own.includes(r.mailbox.toLowerCase())) continue;
        const s = splitAddress(r.sender ?? '');
        if (s) add(s.address, s.name, r.at, 'reception');
      }
      // The practice's other mailboxes (a colleague's personal box), not the ones the user writes from.
      for (const m of deps.practiceMailboxes ?? []) {
        const key = m.address.toLowerCase();
        if (own.includes(key)) continue;
        const prev = found.get(key);
        if (prev) {
          prev.source = 'cabinet';
          prev.name ??= m.label;
        } else found.set(key, { address: m.address, name: m.label, lastAt: null, source: 'cabinet' });
      }
      const q = query.trim().toLowerCase();
      const list = [...found.values()].filter((c) => !q || c.address.toLowerCase().includes(q) || (c.name ?? '').toLowerCase().includes(q));
      const starts = (c: Correspondent) => (q && (c.address.toLowerCase().startsWith(q) || (c.name ?? '').toLowerCase().split(/\s+/).some((w) => w.startsWith(q))) ? 0 : 1);
      list.sort((a, b) => starts(a) - starts(b) || (b.lastAt ?? '').localeCompare(a.lastAt ?? '') || a.address.localeCompare(b.address));
      return list.slice(0, limit);
    },

    documents(user, patientId) {
      void user;
      const patient = requirePatient(patientId);
      return repo
        .documentsOf(patientId)
        .filter((d) => d.replaced_by === null && d.deleted_by_sender_at === null)
        .map((d) => {
          const f = filesOf(d, patient);
          return { id: d.id, title: f.title, typeLabel: d.type_label, date: d.document_date ?? d.filed_at, origin: d.origin, format: f.format, formatLabel: f.formatLabel };
        });
    },

    receipts(user, limit = 100) {
      const boxes = visible(user);
      return repo.receipts(limit * 2).filter((r) => boxes.has(r.mailbox.toLowerCase())).slice(0, limit).map(toReceipt);
    },

    recordReceipt(receivedMessageId, parsed) {
      if (!parsed.isMdn) return false;
      const info = parsed.mdn ?? {};
      const created = repo.insertReceipt({
        receivedMessageId,
        originalMessageId: info.originalMessageId ?? parsed.inReplyTo ?? null,
        disposition: info.disposition ?? null,
        dispositionType: info.dispositionType ?? null,
        errorCode: info.errorCode ?? null,
        errorLabel: info.errorLabel ?? null,
      });
      if (created) log.info('Accusé reçu', { receivedMessageId, disposition: info.dispositionType ?? null });
      return true;
    },

    dispatchMdns: () => mdn.dispatch(),
    outboxChanged() {
      mdn.reconcile();
    },
    stop: () => mdn.stop(),
  };

  return service;
}
