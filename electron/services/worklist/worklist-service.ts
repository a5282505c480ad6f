import { AppError } from '../../../shared/errors';
import type { PatientInput, WorklistDetail, WorklistItem, WorklistStatus } from '../../../shared/domain';
import { can, requirePermission } from '../auth/permissions';
import { parseCda } from '../cda/parse';
import type { CdaDocument, Ii } from '../cda/types';
import { isInsOid } from '../identity/ins';
import type { Actor } from '../identity/patients';
import { displaySubject } from '../mail/parse/mss-headers';
import type { ParsedMssMessage, ReceivedDocument } from '../mail/parse/types';
import { SYSTEM_ACTOR, type AuditActor, type AuditRepo } from '../store/audit-repo';
import type { Db } from '../store/db';
import type { Patient, PatientsRepo } from '../store/patients-repo';
import type { BlobStore } from './blob-store';
import { classifyDocument } from './classify';
import type { DocumentIdentity } from './identity';
import { matchDocument, patientLabel, type MatchCandidate, type MatchConflict, type MatchDecision, type MatchRule, type PatientLookup } from './match';
import { extractPdfText as defaultExtractPdfText } from './pdf-text';
import { createWorklistRepo, MUTABLE_COLUMNS, type DocumentRow, type ItemRow, type ItemSnapshot, type ListFilter, type ListedRow } from './worklist-repo';

/**
 * The worklist of received documents (issue #6): every document of every received message becomes
 * an item with a matching decision; people accept, change the patient, reject, undo; the doctor
 * validates when the practice asks for it. Filing creates the `documents` row of the patient file.
 * Every action is traced (audit log + item history) with who did it.
 */

export interface WorklistSettings {
  /** `direct`: a certain document is filed on reception; `confirm`: pre-attached, one keystroke files it. */
  autoIntegration: 'direct' | 'confirm';
  /** Documents filed by someone else than a doctor wait for a doctor's validation. */
  requireDoctorValidation: boolean;
}

export const DEFAULT_WORKLIST_SETTINGS: WorklistSettings = { autoIntegration: 'confirm', requireDoctorValidation: true };

const SETTING_KEYS = { autoIntegration: 'worklist.autoIntegration', requireDoctorValidation: 'worklist.requireDoctorValidation' } as const;

export interface WorklistServiceDeps {
  db: Db;
  patients: PatientsRepo;
  audit: AuditRepo;
  blobs: BlobStore;
  lookup: PatientLookup;
  /** Overrides the settings stored in the database (tests, CLI). */
  settings?: Partial<WorklistSettings>;
  /** Text of a plain PDF, to find its patient; null disables it. Default: pdf.js. */
  extractPdfText?: ((pdf: Buffer) => Promise<string>) | null;
  now?: () => Date;
  /** Called after anything changed (the lead emits `worklist.changed`). */
  onChange?: () => void;
}

/** The received message the documents come from (`received_messages.id`). */
export interface IngestMessageRow {
  id: number;
}

/** What the worklist stores in `decision` (JSON). */
interface StoredDecision {
  reasons: string[];
  conflict: MatchConflict[];
  identity: DocumentIdentity;
  insPresent: boolean;
}

type UndoPayload =
  | { kind: 'restore'; before: ItemSnapshot }
  | { kind: 'file'; before: ItemSnapshot; documentId: number; replaced: number[] }
  | { kind: 'refile'; before: ItemSnapshot; documentId: number; fromPatientId: number }
  | { kind: 'deletion'; before: ItemSnapshot; documentIds: number[]; items: { id: number; before: ItemSnapshot }[] };

export type ListOptions = ListFilter;

function joinNotes(current: string[], stored: string | null): string | null {
  const all = [...current, ...(stored ? [stored] : [])];
  return all.length ? all.join(' ') : null;
}

/** Document key of the item standing for a message without any readable document. */
const UNREADABLE_KEY = 'message:illisible';

/** A document's files, stored before its item is recorded. */
interface Prepared {
  contentSha: string | null;
  pdfSha: string | null;
  pdfText: string | undefined;
}

/** What identifies a document among versions. */
type VersionKey = Pick<ItemRow, 'parent_ids' | 'set_id' | 'version_number' | 'cda_id'>;

const iiString = (ii: Ii | undefined) => (ii ? (ii.extension ? `${ii.root}^${ii.extension}` : ii.root) : null);

export function documentKey(doc: ReceivedDocument): string {
  return doc.source === 'xdm' ? `xdm:${doc.index}:${doc.entry.uniqueId ?? doc.entry.entryUuid}` : `pdf:${doc.sha256}`;
}

function statusFor(rule: MatchRule): WorklistStatus {
  return rule === 'conflict' ? 'conflit' : rule === 'none' ? 'a_classer' : 'propose';
}

function authorOf(doc: ReceivedDocument): string | null {
  if (doc.source !== 'xdm') return null;
  const a = doc.cda?.authors[0];
  if (a && (a.familyName || a.givenName)) {
    const who = [a.givenName, a.familyName].filter(Boolean).join(' ');
    return a.organization?.name ? `${who} — ${a.organization.name}` : who;
  }
  const p = doc.entry.authors[0]?.person;
  const inst = doc.entry.authors[0]?.institutions[0]?.name;
  const who = p ? [p.givenName, p.familyName].filter(Boolean).join(' ') : '';
  return [who, inst].filter(Boolean).join(' — ') || null;
}

function safeFileName(title: string): string {
  return `${title.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80) || 'document'}.pdf`;
}

export function createWorklistService(deps: WorklistServiceDeps) {
  const { db, patients, audit, blobs, lookup } = deps;
  const repo = createWorklistRepo(db);
  const now = () => (deps.now ? deps.now() : new Date()).toISOString();
  const transaction = <T>(fn: () => T): T => db.transaction(fn)();
  const extractText = deps.extractPdfText === undefined ? defaultExtractPdfText : deps.extractPdfText;
  const changed = () => deps.onChange?.();

  // Read for every document filed: kept a moment (another process, e.g. the CLI, may change them).
  let cachedSettings: { value: WorklistSettings; at: number } | null = null;
  function settings(): WorklistSettings {
    if (cachedSettings && Date.now() - cachedSettings.at < 2000) return cachedSettings.value;
    const stored: Partial<WorklistSettings> = {};
    const a = repo.setting(SETTING_KEYS.autoIntegration);
    if (a === 'direct' || a === 'confirm') stored.autoIntegration = a;
    const v = repo.setting(SETTING_KEYS.requireDoctorValidation);
    if (v === 'true' || v === 'false') stored.requireDoctorValidation = v === 'true';
    const value = { ...DEFAULT_WORKLIST_SETTINGS, ...stored, ...deps.settings };
    cachedSettings = { value, at: Date.now() };
    return value;
  }

  const load = (id: number): ItemRow => {
    const row = repo.get(id);
    if (!row) throw new AppError('NOT_FOUND', 'Document introuvable dans la liste de travail.');
    return row;
  };

  const patientOrThrow = (id: number): Patient => {
    const p = patients.get(id);
    if (!p) throw new AppError('NOT_FOUND', 'Patient introuvable.');
    return p;
  };

  const snapshot = (row: ItemRow): ItemSnapshot => Object.fromEntries(MUTABLE_COLUMNS.map((c) => [c, row[c]])) as ItemSnapshot;

  const decisionOf = (row: ItemRow): StoredDecision =>
    row.decision ? (JSON.parse(row.decision) as StoredDecision) : { reasons: [], conflict: [], identity: { traitsSource: 'none', hasCda: false, givenNames: [] }, insPresent: false };
  const candidatesOf = (row: ItemRow): MatchCandidate[] => (row.candidates ? (JSON.parse(row.candidates) as MatchCandidate[]) : []);

  function addEvent(
    row: ItemRow,
    actor: AuditActor,
    action: string,
    label: string,
    after: Partial<ItemRow>,
    extra: { documentId?: number | null; undo?: UndoPayload | null; first?: boolean } = {},
  ) {
    repo.addEvent({
      item_id: row.id,
      at: now(),
      user_id: actor.userId,
      actor: actor.displayName,
      actor_role: actor.role,
      action,
      label,
      from_status: extra.first ? null : row.status,
      to_status: after.status ?? row.status,
      from_patient_id: extra.first ? null : row.patient_id,
      to_patient_id: after.patient_id === undefined ? row.patient_id : after.patient_id,
      document_id: extra.documentId ?? null,
      undo: extra.undo ? JSON.stringify(extra.undo) : null,
    });
  }

  // ------------------------------------------------------------------------------------------
  // Receipts (MDN) due to senders who asked for one: once every document of the message is dealt with.

  function refreshMdn(messageId: number, mdnTo: string | null): void {
    if (!mdnTo) return; // every item of a message carries the message's request, or none does
    const items = repo.byMessage(messageId);
    const to = items.find((i) => i.mdn_to)?.mdn_to;
    if (!to) return;
    const done = items.length > 0 && items.every((i) => i.status === 'integre' || i.status === 'rejete');
    if (!done) {
      repo.cancelMdn(messageId);
      return;
    }
    const rejected = items.find((i) => i.status === 'rejete');
    const error = rejected
      ? rejected.rule === 'none'
        ? { code: 'PATIENT_INCONNU', label: 'Patient inconnu du destinataire' }
        : rejected.rule === 'conflict'
          ? { code: 'INS_DISCORDANT', label: 'INS ne correspondant pas (numéro ou traits)' }
          : { code: 'NON_INTEGRE', label: 'Document non intégré par le destinataire' }
      : null;
    repo.upsertMdn({
      messageId,
      recipient: to,
      originalMessageId: repo.message(messageId)?.message_id ?? null,
      disposition: error ? 'error' : 'processed',
      errorCode: error?.code ?? null,
      errorLabel: error?.label ?? null,
      now: now(),
    });
  }

  // ------------------------------------------------------------------------------------------
  // Filing

  /** Filed documents this one replaces (RPLC parents, same setId with a lower version), still current. */
  function replacedDocuments(row: VersionKey): DocumentRow[] {
    const out = new Map<number, DocumentRow>();
    for (const parent of row.parent_ids ? (JSON.parse(row.parent_ids) as string[]) : []) {
      const d = repo.documentByCdaId(parent);
      if (d && d.replaced_by === null) out.set(d.id, d);
    }
    if (row.set_id && row.version_number !== null) {
      for (const d of repo.documentsOfSet(row.set_id)) {
        if (d.version_number !== null && d.version_number < row.version_number && d.replaced_by === null && d.cda_id !== row.cda_id) out.set(d.id, d);
      }
    }
    return [...out.values()];
  }

  function newerVersion(row: VersionKey): DocumentRow | null {
    if (!row.set_id || row.version_number === null) return null;
    const newer = repo.documentsOfSet(row.set_id).filter((d) => d.version_number !== null && d.version_number > row.version_number! && d.replaced_by === null);
    return newer.at(-1) ?? null;
  }

  const patientName = (id: number) => {
    const p = patients.get(id);
    return p ? patientLabel(p) : `patient n° ${id}`;
  };
  const frDateTime = (iso: string) => new Date(iso).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' });

  /** Files the item into the patient's record (in the caller's transaction). */
  function fileItem(row: ItemRow, patientId: number, actor: AuditActor, action: 'classement' | 'classement automatique', opts: { inIngest?: boolean } = {}): ItemRow {
    // An identity conflict settled by someone else than a doctor is always validated by one.
    const forceValidation = row.rule === 'conflict';
    const at = now();
    const before = snapshot(row);
    const byDoctor = actor.role === 'doctor';
    const confirm = { confirmed_by: actor.userId, confirmed_by_name: actor.displayName, confirmed_at: at };
    const existing = row.cda_id ? repo.documentByCdaId(row.cda_id) : null;
    if (existing) {
      const after: Partial<ItemRow> = {
        status: 'integre',
        patient_id: existing.patient_id,
        duplicate_of: existing.id,
        note: `Déjà intégré le ${frDateTime(existing.filed_at)} dans le dossier de ${patientName(existing.patient_id)}.`,
        ...confirm,
      };
      repo.update(row.id, after, at);
      addEvent(row, actor, 'doublon', 'Document déjà intégré : rien de plus à classer', after, { undo: { kind: 'restore', before } });
      audit.append(actor, 'worklist.doublon', existing.patient_id, { element: row.id, document: existing.id });
      return load(row.id);
    }
    const replaced = replacedDocuments(row);
    const elsewhere = replaced.find((d) => d.patient_id !== patientId);
    if (elsewhere) {
      throw new AppError(
        'CONFLICT',
        `La version précédente de ce document est classée dans le dossier de ${patientName(elsewhere.patient_id)} : vérifiez le patient avant de classer la nouvelle version.`,
        { documentId: elsewhere.id },
      );
    }
    const newer = newerVersion(row);
    const message = repo.message(row.received_message_id);
    const documentId = repo.insertDocument({
      patientId,
      receivedMessageId: row.received_message_id,
      cdaId: row.cda_id,
      setId: row.set_id,
      versionNumber: row.version_number,
      typeCode: row.type_code,
      typeLabel: row.type_label,
      title: row.title,
      documentDate: row.document_date,
      sender: message?.sender ?? null,
      contentSha256: row.content_sha256,
      mimeType: row.content_mime,
      replacedBy: newer?.id ?? null,
      filedAt: at,
      filedBy: actor.userId,
      worklistItemId: row.id,
    });
    repo.setReplacedBy(replaced.map((d) => d.id), documentId);
    const needsValidation = (settings().requireDoctorValidation || forceValidation) && !byDoctor;
    const notes: string[] = [];
    if (replaced.length) notes.push(`Remplace la version ${replaced.map((d) => d.version_number ?? '?').join(', ')} (historique conservé).`);
    if (newer) notes.push(`Version antérieure à la version ${newer.version_number ?? '?'} déjà intégrée : gardée dans l’historique.`);
    const after: Partial<ItemRow> = {
      status: 'integre',
      patient_id: patientId,
      document_id: documentId,
      duplicate_of: null,
      needs_validation: needsValidation ? 1 : 0,
      ...confirm,
      ...((settings().requireDoctorValidation || forceValidation) && byDoctor ? { validated_by: actor.userId, validated_by_name: actor.displayName, validated_at: at } : {}),
      ...(notes.length ? { note: notes.join(' ') } : {}),
    };
    repo.update(row.id, after, at);
    addEvent(row, actor, action, action === 'classement automatique' ? 'Classé automatiquement (INS qualifiée, traits concordants)' : `Classé dans le dossier de ${patientName(patientId)}`, after, {
      documentId,
      undo: { kind: 'file', before, documentId, replaced: replaced.map((d) => d.id) },
    });
    audit.append(actor, action === 'classement automatique' ? 'worklist.classement_automatique' : 'worklist.classement', patientId, {
      element: row.id,
      document: documentId,
      ...(replaced.length ? { remplace: replaced.map((d) => d.id) } : {}),
    });
    if (!opts.inIngest) refreshMdn(row.received_message_id, row.mdn_to);
    return load(row.id);
  }

  /** A certain decision is still certain: the patient is still QUAL with the document's INS. */
  function stillCertain(row: ItemRow): boolean {
    if (row.patient_id === null || !row.document_ins) return false;
    const p = patients.get(row.patient_id);
    return !!p && p.identityStatus === 'QUAL' && p.insMatricule === row.document_ins;
  }

  function downgrade(row: ItemRow): void {
    const d = decisionOf(row);
    d.reasons.push('L’identité du patient a changé depuis la réception (elle n’est plus qualifiée avec cet INS) : rattachement à confirmer.');
    repo.update(row.id, { rule: 'proposed', decision: JSON.stringify(d) }, now());
  }

  // ------------------------------------------------------------------------------------------
  // Reception

  /**
   * What an open item says about versions and deletion requests, worded from the current state
   * (another version may have been filed or deleted since the item arrived).
   */
  function openItemNotes(row: ItemRow): string[] {
    if (row.status === 'supprime_emetteur') {
      const target = row.cda_id ? repo.documentByCdaId(row.cda_id) : null;
      if (target && target.deleted_by_sender_at === null) {
        return [`L’émetteur demande la suppression du document « ${target.title ?? target.type_label ?? 'sans titre'} » classé le ${frDateTime(target.filed_at)} dans le dossier de ${patientName(target.patient_id)} : confirmez la suppression.`];
      }
      if (row.cda_id && repo.pendingWithCdaId(row.cda_id, row.id).length) return ['L’émetteur demande la suppression d’un document encore dans la liste de travail : confirmez pour le retirer.'];
      return ['L’émetteur demande la suppression d’un document qui n’a jamais été intégré ici : confirmez pour clore.'];
    }
    if (row.status !== 'a_classer' && row.status !== 'propose' && row.status !== 'conflit') return [];
    if (!row.parent_ids && row.action !== 'C' && (row.version_number === null || row.version_number <= 1)) return [];
    const notes: string[] = [];
    const replaced = replacedDocuments(row);
    const newer = newerVersion(row);
    if (replaced.length) {
      const prev = replaced[0]!;
      notes.push(`Nouvelle version du document classé le ${frDateTime(prev.filed_at)} (version ${prev.version_number ?? '?'}) : elle le remplacera, l’ancienne version reste consultable.`);
    } else if (row.action === 'C' || row.parent_ids) {
      const waiting = (row.parent_ids ? (JSON.parse(row.parent_ids) as string[]) : []).some((id) => repo.pendingWithCdaId(id, row.id).length > 0);
      notes.push(
        waiting
          ? 'Remplace une version encore dans la liste de travail : classez d’abord la version précédente, ou celle-ci seule.'
          : 'Remplacement demandé par l’émetteur, mais la version précédente n’a pas été intégrée ici : le document sera classé comme nouveau.',
      );
    }
    if (newer) notes.push(`Une version plus récente (version ${newer.version_number ?? '?'}) est déjà intégrée : celle-ci sera gardée dans l’historique.`);
    return notes;
  }

  /** At arrival: a new version goes to the record of the previous one, or is a conflict. */
  function analyseVersions(row: VersionKey & Pick<ItemRow, 'action'>, decision: MatchDecision): void {
    const replaced = replacedDocuments(row);
    if (replaced.length) {
      const prev = replaced[0]!;
      if (decision.patientId !== null && decision.patientId !== prev.patient_id) {
        decision.reasons.push(`La version précédente est classée dans le dossier de ${patientName(prev.patient_id)}, pas dans celui de ${patientName(decision.patientId)}.`);
        decision.conflict = [...(decision.conflict ?? []), { field: 'Dossier de la version précédente', document: patientName(decision.patientId), local: patientName(prev.patient_id) }];
        decision.rule = 'conflict';
      } else if (decision.patientId === null && decision.rule !== 'conflict') {
        decision.reasons.push(`Version précédente classée dans le dossier de ${patientName(prev.patient_id)} : rattachement proposé, à confirmer.`);
        decision.rule = 'proposed';
        decision.patientId = prev.patient_id;
        const existing = decision.candidates.find((c) => c.patientId === prev.patient_id);
        decision.candidates = [
          { patientId: prev.patient_id, score: existing?.score ?? 0, matched: ['version précédente du document', ...(existing?.matched ?? [])] },
          ...decision.candidates.filter((c) => c.patientId !== prev.patient_id),
        ];
      }
    }
  }

  async function ingestParsedMessage(message: IngestMessageRow, parsed: ParsedMssMessage): Promise<WorklistItem[]> {
    const msg = repo.message(message.id);
    if (!msg) throw new AppError('NOT_FOUND', 'Message reçu introuvable.');
    if (parsed.isMdn) return [];
    const subject = parsed.displaySubject || displaySubject(msg.subject ?? '');
    // Files and PDF texts first (asynchronous), then everything is recorded in one transaction.
    const prepared = new Map<number, Prepared>();
    for (const [i, doc] of parsed.documents.entries()) {
      if (repo.byKey(message.id, documentKey(doc))) continue;
      const content = doc.content;
      const pdf = doc.source === 'xdm' ? doc.pdf : doc.content;
      const [stored, pdfStored, pdfText] = await Promise.all([
        content ? blobs.putAsync(content) : null,
        pdf && pdf !== content ? blobs.putAsync(pdf) : null,
        doc.source === 'pdf' && extractText ? extractText(doc.content) : undefined,
      ]);
      prepared.set(i, { contentSha: stored?.sha256 ?? null, pdfSha: pdf ? (pdf === content ? (stored?.sha256 ?? null) : (pdfStored?.sha256 ?? null)) : null, pdfText });
    }
    const ids = transaction(() => {
      const out: number[] = [];
      if (!parsed.documents.length && parsed.problems.length) out.push(repo.byKey(message.id, UNREADABLE_KEY)?.id ?? ingestUnreadable(message.id, parsed, subject));
      for (const [i, doc] of parsed.documents.entries()) {
        const key = documentKey(doc);
        const existing = repo.byKey(message.id, key);
        if (existing) {
          out.push(existing.id);
          continue;
        }
        out.push(ingestDocument(message.id, parsed, doc, key, subject, prepared.get(i) ?? { contentSha: null, pdfSha: null, pdfText: undefined }));
      }
      refreshMdn(message.id, parsed.dispositionNotificationTo ?? null);
      return out;
    });
    if (ids.length) changed();
    return ids.map((id) => toItem(repo.getListed(id)!));
  }

  /**
   * A message whose attachments could not be read (hostile or broken archive, malformed MIME…)
   * and that yields no document: one item says so, so that nobody waits for a document that
   * never shows up. The raw message stays in the raw store; the item can only be rejected.
   */
  function ingestUnreadable(messageId: number, parsed: ParsedMssMessage, subject: string): number {
    const at = now();
    const problems = parsed.problems.map((p) => p.message);
    const stored_: StoredDecision = { reasons: problems, conflict: [], identity: { traitsSource: 'none', hasCda: false, givenNames: [] }, insPresent: false };
    const id = repo.insertItem(
      {
        received_message_id: messageId,
        document_key: UNREADABLE_KEY,
        action: null,
        cda_id: null,
        set_id: null,
        version_number: null,
        parent_ids: null,
        status: 'a_classer',
        patient_id: null,
        decision: JSON.stringify(stored_),
        type_code: null,
        type_label: null,
        rule: 'none',
        candidates: '[]',
        ins_qualified: 0,
        document_ins: null,
        title: subject ? `Pièce jointe illisible — ${subject}` : 'Pièce jointe illisible',
        author: null,
        document_date: null,
        type_confidence: null,
        class_code: null,
        file_name: null,
        content_sha256: null,
        content_mime: null,
        pdf_sha256: null,
        problems: JSON.stringify(parsed.problems),
        duplicate_of: null,
        note: `Aucun document lisible dans ce message : ${problems.join(' ; ')}. Le message d’origine est conservé ; demandez un nouvel envoi à l’émetteur, puis rejetez cet élément (R).`,
        mdn_to: parsed.dispositionNotificationTo ?? null,
      },
      at,
    );
    const row = load(id);
    addEvent(row, SYSTEM_ACTOR, 'reception', 'Reçu : pièce jointe illisible', { status: 'a_classer', patient_id: null }, { first: true });
    audit.append(SYSTEM_ACTOR, 'worklist.reception', null, { element: id, regle: 'none', statut: 'a_classer', problemes: parsed.problems.map((p) => p.code) });
    return id;
  }

  function ingestDocument(messageId: number, parsed: ParsedMssMessage, doc: ReceivedDocument, key: string, subject: string, files: Prepared): number {
    const at = now();
    const cda: CdaDocument | undefined = doc.source === 'xdm' ? doc.cda : undefined;
    const pdfText = files.pdfText;
    const classification = classifyDocument(doc, { subject, codeCda: parsed.mss.codeCda, ...(pdfText ? { text: pdfText } : {}) });
    const decision = matchDocument(doc, lookup, { subject, text: parsed.text, ...(pdfText ? { pdfText } : {}), messageProblems: parsed.problems });
    const action = doc.source === 'xdm' ? doc.entry.action : null;
    const cdaId = iiString(cda?.id) ?? (doc.source === 'xdm' ? (doc.entry.uniqueId ?? null) : null);
    const parentIds = (cda?.relatedDocuments ?? []).filter((r) => r.typeCode.toUpperCase() === 'RPLC').map((r) => iiString(r.parentId)!);
    const title = cda?.title ?? (doc.source === 'xdm' ? doc.entry.title : undefined) ?? (doc.source === 'pdf' ? doc.filename.replace(/\.pdf$/i, '') : undefined) ?? null;
    const documentDate = cda?.effectiveTime ?? (doc.source === 'xdm' ? (doc.entry.creationTime ?? doc.entry.serviceStartTime) : undefined) ?? null;
    const contentMime = doc.source === 'pdf' ? 'application/pdf' : (doc.entry.mimeType ?? (cda ? 'text/xml' : null));

    const base = {
      received_message_id: messageId,
      document_key: key,
      action,
      cda_id: cdaId,
      set_id: iiString(cda?.setId),
      version_number: cda?.versionNumber ?? null,
      parent_ids: parentIds.length ? JSON.stringify(parentIds) : null,
    };
    const notes: string[] = [];
    let status: WorklistStatus;
    let duplicateOf: number | null = null;
    let fileNow = false;

    if (action === 'D') {
      // Deletion request: nothing is filed; the target is removed after a person confirms.
      status = 'supprime_emetteur';
      const target = cdaId ? repo.documentByCdaId(cdaId) : null;
      const pending = cdaId ? repo.pendingWithCdaId(cdaId, -1) : [];
      if (target) decision.patientId = target.patient_id;
    } else {
      const filed = cdaId ? repo.documentByCdaId(cdaId) : null;
      if (filed) {
        status = 'integre';
        duplicateOf = filed.id;
        decision.patientId = filed.patient_id;
        notes.push(`Déjà intégré le ${frDateTime(filed.filed_at)} dans le dossier de ${patientName(filed.patient_id)}.`);
      } else {
        analyseVersions(base, decision); // its notes are worded when the item is shown (openItemNotes)
        if (cdaId && repo.pendingWithCdaId(cdaId, -1).length) notes.push('Même document déjà reçu dans un autre message, en attente dans la liste de travail.');
        status = statusFor(decision.rule);
        fileNow = decision.rule === 'auto' && settings().autoIntegration === 'direct';
      }
    }

    const stored_: StoredDecision = {
      reasons: decision.reasons,
      conflict: decision.conflict ?? [],
      identity: decision.identity,
      insPresent: isInsOid(decision.identity.patientId?.oid ?? ''),
    };
    const id = repo.insertItem(
      {
        ...base,
        status,
        patient_id: decision.patientId,
        decision: JSON.stringify(stored_),
        type_code: classification.typeCode,
        type_label: classification.typeLabel,
        rule: decision.rule,
        candidates: JSON.stringify(decision.candidates),
        ins_qualified: decision.insQualified ? 1 : 0,
        document_ins: decision.ins?.matricule ?? null,
        title,
        author: authorOf(doc),
        document_date: documentDate,
        type_confidence: classification.confidence,
        class_code: classification.classCode,
        file_name: doc.source === 'pdf' ? doc.filename : null,
        content_sha256: files.contentSha,
        content_mime: contentMime,
        pdf_sha256: files.pdfSha,
        problems: doc.problems.length ? JSON.stringify(doc.problems) : null,
        duplicate_of: duplicateOf,
        note: notes.length ? notes.join(' ') : null,
        mdn_to: parsed.dispositionNotificationTo ?? null,
      },
      at,
    );
    const row = load(id);
    addEvent(row, SYSTEM_ACTOR, 'reception', receptionLabel(decision.rule, status), { status, patient_id: decision.patientId }, { first: true });
    audit.append(SYSTEM_ACTOR, 'worklist.reception', decision.patientId, { element: id, regle: decision.rule, statut: status, type: classification.typeCode });
    if (fileNow && decision.patientId !== null) {
      try {
        fileItem(row, decision.patientId, SYSTEM_ACTOR, 'classement automatique', { inIngest: true });
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'CONFLICT')) throw e;
        repo.update(id, { rule: 'conflict', status: 'conflit', note: [row.note, e.message].filter(Boolean).join(' ') }, now());
      }
    }
    return id;
  }

  function receptionLabel(rule: MatchRule, status: WorklistStatus): string {
    if (status === 'supprime_emetteur') return 'Reçu : demande de suppression de l’émetteur';
    if (status === 'integre') return 'Reçu : document déjà intégré';
    return {
      auto: 'Reçu : rattachement certain (INS qualifiée)',
      proposed: 'Reçu : rattachement à confirmer',
      conflict: 'Reçu : conflit d’identité',
      none: 'Reçu : aucun patient correspondant',
    }[rule];
  }

  // ------------------------------------------------------------------------------------------
  // Views

  function toItem(r: ListedRow): WorklistItem {
    const patient =
      r.patient_id !== null && r.p_birth_name
        ? patientLabel({
            birthName: r.p_birth_name,
            usedName: r.p_used_name,
            birthGivenNames: r.p_birth_given_names ? (JSON.parse(r.p_birth_given_names) as string[]) : [],
            usedGivenName: r.p_used_given_name,
            birthDate: r.p_birth_date ?? '',
            sex: r.p_sex ?? 'F',
          })
        : null;
    return {
      id: r.id,
      status: r.status,
      rule: r.rule ?? 'none',
      receivedAt: r.received_at,
      documentDate: r.document_date,
      sender: r.sender ?? '',
      mailbox: r.mailbox,
      subject: displaySubject(r.subject ?? ''),
      typeCode: r.type_code,
      typeLabel: r.type_label,
      patientId: r.patient_id,
      patientLabel: patient,
      candidateCount: r.candidates ? (JSON.parse(r.candidates) as unknown[]).length : 0,
      action: r.action,
      read: r.read === 1,
      confirmedBy: r.confirmed_by_name,
      validatedBy: r.validated_by_name,
      needsValidation: r.needs_validation === 1,
      note: joinNotes(openItemNotes(r), r.note),
    };
  }

  const itemOf = (id: number): WorklistItem => toItem(repo.getListed(id)!);

  function narrativeOf(row: ItemRow): { title: string; text: string }[] {
    if (!row.content_sha256 || !row.content_mime || !/xml/i.test(row.content_mime)) return [];
    try {
      return parseCda(blobs.get(row.content_sha256)).narrative.map((s) => ({ title: s.title, text: s.text }));
    } catch {
      return [];
    }
  }

  // ------------------------------------------------------------------------------------------
  // Actions

  function refuseUnreadable(row: ItemRow): void {
    if (row.document_key === UNREADABLE_KEY) {
      throw new AppError('CONFLICT', 'Aucun document lisible dans ce message : rien à classer. Demandez un nouvel envoi à l’émetteur et rejetez cet élément.');
    }
  }

  function accept(actor: Actor, id: number): WorklistItem {
    requirePermission(actor, 'worklist.file');
    const result = transaction(() => {
      const row = load(id);
      refuseUnreadable(row);
      if (row.status !== 'a_classer' && row.status !== 'propose') {
        throw new AppError('CONFLICT', row.status === 'conflit'
          ? 'Conflit d’identité : choisissez explicitement le patient (« Changer de patient ») après vérification.'
          : 'Ce document n’est pas en attente de classement.');
      }
      if (row.patient_id === null) throw new AppError('VALIDATION', 'Aucun patient proposé : choisissez le patient du document.');
      if (row.rule === 'auto' && !stillCertain(row)) {
        downgrade(row);
        return { error: new AppError('CONFLICT', 'L’identité du patient a changé depuis la réception : vérifiez le rattachement avant de classer.') };
      }
      patientOrThrow(row.patient_id);
      fileItem(row, row.patient_id, actor, 'classement');
      return { error: null };
    });
    if (result.error) {
      changed();
      throw result.error;
    }
    changed();
    return itemOf(id);
  }

  function changePatient(actor: Actor, id: number, patientId: number): WorklistItem {
    requirePermission(actor, 'worklist.propose');
    transaction(() => {
      const row = load(id);
      refuseUnreadable(row);
      const patient = patientOrThrow(patientId);
      if (row.status === 'rejete') throw new AppError('CONFLICT', 'Document rejeté : annulez d’abord le rejet.');
      if (row.status === 'supprime_emetteur') throw new AppError('CONFLICT', 'L’émetteur a demandé la suppression de ce document : confirmez la suppression ou rejetez la demande.');
      const detail: Record<string, unknown> = { element: id, patientPrecedent: row.patient_id };
      // A document whose INS is another qualified identity's: only a doctor may overrule.
      if (row.document_ins && patient.identityStatus === 'QUAL' && patient.insMatricule && patient.insMatricule !== row.document_ins) {
        if (!can(actor, 'worklist.validate')) {
          throw new AppError('IDENTITY_RULE', 'Le document porte un INS différent de celui de l’identité qualifiée choisie : seul un médecin peut confirmer ce rattachement.');
        }
        detail.insDifferent = true;
      }
      if (row.status === 'integre') {
        if (row.duplicate_of !== null || row.document_id === null) throw new AppError('CONFLICT', 'Document déjà intégré par un autre message : changez le patient sur le document d’origine.');
        if (row.patient_id === patientId) return;
        requirePermission(actor, 'worklist.file');
        const before = snapshot(row);
        const at = now();
        repo.moveDocument(row.document_id, patientId);
        const needsValidation = settings().requireDoctorValidation && actor.role !== 'doctor';
        const after: Partial<ItemRow> = {
          patient_id: patientId,
          confirmed_by: actor.userId,
          confirmed_by_name: actor.displayName,
          confirmed_at: at,
          needs_validation: needsValidation ? 1 : 0,
          validated_by: needsValidation ? null : row.validated_by,
          validated_by_name: needsValidation ? null : row.validated_by_name,
          validated_at: needsValidation ? null : row.validated_at,
        };
        repo.update(id, after, at);
        addEvent(row, actor, 'changement_patient', `Déplacé dans le dossier de ${patientName(patientId)}`, after, {
          documentId: row.document_id,
          undo: { kind: 'refile', before, documentId: row.document_id, fromPatientId: row.patient_id! },
        });
        audit.append(actor, 'worklist.changement_patient', patientId, detail);
        if (row.patient_id !== null) audit.append(actor, 'worklist.changement_patient', row.patient_id, detail);
        return;
      }
      if (can(actor, 'worklist.file')) {
        fileItem({ ...row }, patientId, actor, 'classement');
        audit.append(actor, 'worklist.choix_patient', patientId, detail);
        return;
      }
      const before = snapshot(row);
      const after: Partial<ItemRow> = { status: 'propose', patient_id: patientId };
      repo.update(id, after, now());
      addEvent(row, actor, 'proposition', `Rattachement proposé au dossier de ${patientName(patientId)}`, after, { undo: { kind: 'restore', before } });
      audit.append(actor, 'worklist.proposition', patientId, detail);
    });
    changed();
    return itemOf(id);
  }

  function reject(actor: Actor, id: number, reason: string): WorklistItem {
    requirePermission(actor, 'worklist.file');
    const text = reason.trim();
    if (!text) throw new AppError('VALIDATION', 'Indiquez le motif du rejet.');
    transaction(() => {
      const row = load(id);
      if (row.status === 'integre') throw new AppError('CONFLICT', 'Document déjà classé : annulez d’abord le classement.');
      if (row.status === 'rejete') throw new AppError('CONFLICT', 'Document déjà rejeté.');
      const before = snapshot(row);
      const after: Partial<ItemRow> = { status: 'rejete', note: text, confirmed_by: actor.userId, confirmed_by_name: actor.displayName, confirmed_at: now() };
      repo.update(id, after, now());
      addEvent(row, actor, 'rejet', `Rejeté : ${text}`, after, { undo: { kind: 'restore', before } });
      audit.append(actor, 'worklist.rejet', row.patient_id, { element: id, motif: text });
      refreshMdn(row.received_message_id, row.mdn_to);
    });
    changed();
    return itemOf(id);
  }

  function validate(actor: Actor, id: number): WorklistItem {
    requirePermission(actor, 'worklist.validate');
    transaction(() => {
      const row = load(id);
      if (row.status !== 'integre' || row.needs_validation !== 1) throw new AppError('CONFLICT', 'Aucune validation en attente pour ce document.');
      const before = snapshot(row);
      const at = now();
      const after: Partial<ItemRow> = { needs_validation: 0, validated_by: actor.userId, validated_by_name: actor.displayName, validated_at: at };
      repo.update(id, after, at);
      addEvent(row, actor, 'validation', 'Intégration validée par le médecin', after, { undo: { kind: 'restore', before } });
      audit.append(actor, 'worklist.validation', row.patient_id, { element: id, document: row.document_id });
    });
    changed();
    return itemOf(id);
  }

  function confirmDeletion(actor: Actor, id: number): WorklistItem {
    requirePermission(actor, 'worklist.file');
    transaction(() => {
      const row = load(id);
      if (row.status !== 'supprime_emetteur') throw new AppError('CONFLICT', 'Aucune demande de suppression en attente pour ce document.');
      const at = now();
      const before = snapshot(row);
      const documentIds: number[] = [];
      const target = row.cda_id ? repo.documentByCdaId(row.cda_id) : null;
      if (target && !target.deleted_by_sender_at) {
        repo.markDeletedBySender(target.id, at, actor.userId);
        documentIds.push(target.id);
      }
      const items: { id: number; before: ItemSnapshot }[] = [];
      for (const pending of row.cda_id ? repo.pendingWithCdaId(row.cda_id, row.id) : []) {
        items.push({ id: pending.id, before: snapshot(pending) });
        const change: Partial<ItemRow> = { status: 'rejete', note: 'Supprimé à la demande de l’émetteur.', confirmed_by: actor.userId, confirmed_by_name: actor.displayName, confirmed_at: at };
        repo.update(pending.id, change, at);
        addEvent(pending, actor, 'suppression', 'Retiré : l’émetteur a supprimé ce document', change);
        refreshMdn(pending.received_message_id, pending.mdn_to);
      }
      const after: Partial<ItemRow> = {
        status: 'integre',
        note: documentIds.length ? 'Suppression confirmée : le document est retiré du dossier (trace conservée).' : 'Demande de suppression close.',
        confirmed_by: actor.userId,
        confirmed_by_name: actor.displayName,
        confirmed_at: at,
      };
      repo.update(id, after, at);
      addEvent(row, actor, 'suppression', documentIds.length ? 'Suppression confirmée' : 'Demande de suppression close', after, {
        undo: { kind: 'deletion', before, documentIds, items },
      });
      audit.append(actor, 'worklist.suppression_confirmee', target?.patient_id ?? row.patient_id, { element: id, documents: documentIds });
      refreshMdn(row.received_message_id, row.mdn_to);
    });
    changed();
    return itemOf(id);
  }

  function undo(actor: Actor, id: number): WorklistItem {
    requirePermission(actor, 'worklist.file');
    transaction(() => {
      const row = load(id);
      const event = repo.lastUndoable(id);
      if (!event?.undo) throw new AppError('CONFLICT', 'Rien à annuler pour ce document.');
      if (event.action === 'validation') requirePermission(actor, 'worklist.validate');
      const payload = JSON.parse(event.undo) as UndoPayload;
      const at = now();
      if (payload.kind === 'file') {
        const later = repo.documentsReplacedBy(payload.documentId).filter((d) => !payload.replaced.includes(d));
        const doc = repo.document(payload.documentId);
        if (doc && doc.replaced_by !== null) {
          throw new AppError('CONFLICT', 'Une version plus récente a déjà remplacé ce document : annulez d’abord son classement.');
        }
        repo.setReplacedBy([...payload.replaced, ...later], null);
        try {
          repo.update(id, { ...payload.before, document_id: null }, at);
          repo.deleteDocument(payload.documentId);
        } catch (e) {
          if (e instanceof Error && /FOREIGN KEY/i.test(e.message)) {
            throw new AppError('CONFLICT', 'Ce document a déjà été utilisé depuis le dossier (par exemple envoyé au DMP) : annulation impossible.');
          }
          throw e;
        }
      } else if (payload.kind === 'refile') {
        repo.moveDocument(payload.documentId, payload.fromPatientId);
        repo.update(id, payload.before, at);
      } else if (payload.kind === 'deletion') {
        for (const d of payload.documentIds) repo.markDeletedBySender(d, null, null);
        for (const it of payload.items) {
          repo.update(it.id, it.before, at);
          const restored = load(it.id);
          refreshMdn(restored.received_message_id, restored.mdn_to);
        }
        repo.update(id, payload.before, at);
      } else {
        repo.update(id, payload.before, at);
      }
      repo.markUndone(event.id, at);
      const after = load(id);
      addEvent(row, actor, 'annulation', `Annulé : ${event.label.charAt(0).toLowerCase()}${event.label.slice(1)}`, { status: after.status, patient_id: after.patient_id });
      audit.append(actor, 'worklist.annulation', row.patient_id ?? after.patient_id, { element: id, action: event.action });
      refreshMdn(row.received_message_id, row.mdn_to);
    });
    changed();
    return itemOf(id);
  }

  function acceptAllCertain(actor: Actor): { accepted: number; skipped: number } {
    requirePermission(actor, 'worklist.file');
    let accepted = 0;
    let skipped = 0;
    for (const row of repo.certainItems()) {
      try {
        transaction(() => {
          const fresh = load(row.id);
          if (fresh.status !== 'propose' || fresh.rule !== 'auto' || fresh.patient_id === null) return;
          if (!stillCertain(fresh)) {
            downgrade(fresh);
            skipped++;
            return;
          }
          fileItem(fresh, fresh.patient_id, actor, 'classement');
          accepted++;
        });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        skipped++;
      }
    }
    if (accepted || skipped) changed();
    audit.append(actor, 'worklist.acceptation_groupee', null, { acceptes: accepted, ecartes: skipped });
    return { accepted, skipped };
  }

  function get(actor: Actor, id: number, options: { markRead?: boolean } = {}): WorklistDetail {
    const row = load(id);
    if ((options.markRead ?? true) && row.read === 0) {
      repo.update(id, { read: 1 }, now());
      audit.append(actor, 'worklist.consultation', row.patient_id, { element: id });
    }
    const listed = repo.getListed(id)!;
    const d = decisionOf(row);
    const candidates = candidatesOf(row).flatMap((c) => {
      const p = patients.get(c.patientId);
      return p ? [{ patientId: p.id, label: patientLabel(p), birthDate: p.birthDate, identityStatus: p.identityStatus, score: c.score, matched: c.matched }] : [];
    });
    const id_ = d.identity;
    const problems = row.problems ? (JSON.parse(row.problems) as { message: string }[]).map((p) => p.message) : [];
    return {
      item: toItem(listed),
      reasons: [...new Set([...d.reasons, ...(row.note ? [row.note] : []), ...problems])],
      candidates,
      conflict: d.conflict,
      documentPatient:
        id_.traitsSource === 'none' && !id_.birthName
          ? null
          : { birthName: id_.birthName ?? null, givenNames: id_.givenNames, birthDate: id_.birthDate ?? null, sex: id_.sex ?? null, insPresent: d.insPresent },
      title: row.title,
      author: row.author,
      hasPdf: row.pdf_sha256 !== null,
      narrative: narrativeOf(row),
      history: repo.events(id).map((e) => ({ at: e.at, actor: e.actor, action: e.undone_at ? `${e.label} (annulé)` : e.label })),
    };
  }

  function pdf(actor: Actor, id: number): { base64: string | null; fileName: string } {
    void actor;
    const row = load(id);
    const fileName = row.file_name ?? safeFileName(row.title ?? row.type_label ?? 'document');
    if (!row.pdf_sha256) return { base64: null, fileName };
    return { base64: blobs.get(row.pdf_sha256).toString('base64'), fileName };
  }

  function setRead(actor: Actor, id: number, read: boolean): WorklistItem {
    void actor;
    load(id);
    repo.update(id, { read: read ? 1 : 0 }, now());
    changed();
    return itemOf(id);
  }

  /** Traits read from the document, to pre-fill "create patient" (never the INS: only INSi gives one). */
  function createPatientFromItem(actor: Actor, id: number): Partial<PatientInput> {
    requirePermission(actor, 'worklist.propose');
    const d = decisionOf(load(id)).identity;
    const out: Partial<PatientInput> = {};
    const birthName = d.birthName ?? d.usedName;
    if (birthName) out.birthName = birthName.trim().toUpperCase();
    if (d.givenNames.length) out.birthGivenNames = d.givenNames;
    if (d.birthDate) out.birthDate = d.birthDate;
    if (d.sex === 'F' || d.sex === 'M') out.sex = d.sex;
    if (d.birthplaceCode && /^(\d{5}|2[AB]\d{3})$/i.test(d.birthplaceCode)) out.birthplaceCode = d.birthplaceCode.toUpperCase();
    if (d.usedName && d.birthName && d.usedName.toUpperCase() !== d.birthName.toUpperCase()) out.usedName = d.usedName.toUpperCase();
    if (d.usedGivenName && d.usedGivenName !== d.givenNames[0]) out.usedGivenName = d.usedGivenName;
    return out;
  }

  function list(filter: ListOptions = {}): WorklistItem[] {
    return repo.list(filter).map(toItem);
  }

  function updateSettings(actor: Actor, patch: Partial<WorklistSettings>): WorklistSettings {
    requirePermission(actor, 'worklist.validate');
    if (patch.autoIntegration) repo.setSetting(SETTING_KEYS.autoIntegration, patch.autoIntegration);
    if (patch.requireDoctorValidation !== undefined) repo.setSetting(SETTING_KEYS.requireDoctorValidation, String(patch.requireDoctorValidation));
    cachedSettings = null;
    audit.append(actor, 'worklist.parametres', null, { ...patch });
    return settings();
  }

  return {
    ingestParsedMessage,
    list,
    get,
    pdf,
    setRead,
    accept,
    changePatient,
    reject,
    undo,
    acceptAllCertain,
    confirmDeletion,
    validate,
    createPatientFromItem,
    settings,
    updateSettings,
    /** Raw decision of an item (for the CLI and tests). */
    decision(id: number): {
      rule: MatchRule; patientId: number | null; candidates: MatchCandidate[]; reasons: string[]; conflict: MatchConflict[];
      identity: DocumentIdentity; documentId: string; problems: { code: string; message: string }[];
    } {
      const row = load(id);
      const d = decisionOf(row);
      return {
        rule: row.rule ?? 'none',
        patientId: row.patient_id,
        candidates: candidatesOf(row),
        reasons: d.reasons,
        conflict: d.conflict,
        identity: d.identity,
        documentId: row.cda_id ?? row.document_key,
        problems: row.problems ? (JSON.parse(row.problems) as { code: string; message: string }[]) : [],
      };
    },
  };
}

export type WorklistService = ReturnType<typeof createWorklistService>;
