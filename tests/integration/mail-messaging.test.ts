import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoInsFor } from '../../electron/sandbox/demo-identities';
import { startMssOperator, type MssOperator } from '../../electron/sandbox/mss-operator';
import { simplePdf } from '../../electron/sandbox/mss-operator/pdf';
import { startPscStandIn, type PscStandIn } from '../../electron/sandbox/psc-provider';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import { createPatientService, type Actor } from '../../electron/services/identity/patients';
import { INS_OIDS } from '../../electron/services/identity/ins';
import { silentLogger } from '../../electron/services/log/logger';
import { createMailboxService, type MailboxService } from '../../electron/services/mail/mailbox-service';
import { createMessagingService, type MessagingService } from '../../electron/services/mail/messaging';
import { parseMssMessage } from '../../electron/services/mail/parse';
import { composeMssMessage } from '../../electron/services/mail/send/compose';
import { buildIntegrationMdn } from '../../electron/services/mail/send/mdn';
import type { MailUser } from '../../electron/services/mail/sync/types';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo, type PatientFields } from '../../electron/services/store/patients-repo';
import { createUsersRepo } from '../../electron/services/store/users-repo';
import { createBlobStore } from '../../electron/services/worklist/blob-store';
import { createPatientLookup } from '../../electron/services/worklist/lookup';
import { createWorklistService } from '../../electron/services/worklist/worklist-service';
import { pscAccessToken } from '../helpers/dovecot';
import { until as pollUntil } from '../helpers/until';

const until = (cond: () => boolean, timeoutMs = 15_000, what?: string) => pollUntil(cond, timeoutMs, what);

/**
 * Mailbox handling by the practice, on the real services: the sandbox MSSanté operator (IMAP +
 * SMTP, XOAUTH2 introspected at the PSC stand-in), SQLite in a temporary folder, the worklist.
 * Integration receipts owed to senders are sent once per message (error receipt for a rejected
 * document), never twice — not after more worklist changes, not after a restart, not after a
 * crash between the outbox write and the due row update; the secretary sends a record document
 * (IHE_XDM.ZIP + PDF) and sees the receipt it brings back; retry / cancel; patient address rules.
 */

const DOMAIN = 'cabinet-demo.mssante.fr';
const SECRETARIAT = `secretariat@${DOMAIN}`;
const MARTIN = `claire.martin@${DOMAIN}`;
const CARDIO = 'helene.roussel@cardio-jaude.mssante.fr';
const LABO = 'resultats@biomed-auvergne.mssante.fr';
const HOPITAL = 'sortie.medecine@ch-demo.mssante.fr';
const SOPHIE_NID = '599999999900017/SEC0001';

const QUAL: PatientFields = {
  birthName: 'DUPONT', birthGivenNames: ['Jeanne', 'Marie'], birthDate: '1950-03-14', sex: 'F', birthplaceCode: '63113',
  usedName: null, usedGivenName: null, insMatricule: demoInsFor('F', '1950-03-14', '63113', 1), insOid: INS_OIDS.NIR_DEMO, identityStatus: 'QUAL', externalId: null,
};
const PROV: PatientFields = {
  birthName: 'ROUX', birthGivenNames: ['Hugo'], birthDate: '2001-01-05', sex: 'M', birthplaceCode: null,
  usedName: null, usedGivenName: null, insMatricule: null, insOid: null, identityStatus: 'PROV', externalId: null,
};
const UNKNOWN = { birthName: 'LEBRETON', birthGivenNames: ['Odile'], birthDate: '1951-04-12', sex: 'F' as const, birthplaceCode: '35238' };

let psc: PscStandIn;
let op: MssOperator;
let token = '';
const dirs: string[] = [];

/** A document message as another practice's software sends it (CDA N1 + PDF in IHE_XDM.ZIP). */
async function incoming(from: string, p: { birthName: string; birthGivenNames: string[]; birthDate: string; sex: 'F' | 'M'; birthplaceCode?: string | null; ins: string },
  title: string, receipt: boolean, messageId?: string): Promise<Buffer> {
  const pdf = simplePdf({ title, subtitle: [`Patient : ${p.birthName} ${p.birthGivenNames[0]}`], paragraphs: ['Examen normal.'], footer: 'Test' });
  const cda = buildCdaN1({
    pdf, typeCode: '11488-4', title,
    patient: { insMatricule: p.ins, insOid: INS_OIDS.NIR_DEMO, identityStatus: 'QUAL', birthName: p.birthName, birthGivenNames: p.birthGivenNames, birthDate: p.birthDate, sex: p.sex, birthplaceCode: p.birthplaceCode ?? '63113', localId: 'IPP-1' },
    author: { nationalId: '810001234561', familyName: 'ROUSSEL', givenName: 'Hélène', professionCode: '10', specialtyCode: 'SM04' },
    practice: { name: 'Cabinet de cardiologie Jaude', structureId: '399999999900101', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE' },
  });
  const composed = await composeMssMessage({
    from: { address: from },
    to: [{ kind: 'professional', address: SECRETARIAT }],
    text: 'Ci-joint.',
    document: { cda: cda.xml, pdf, patient: { status: 'QUAL', insMatricule: p.ins, insOid: INS_OIDS.NIR_DEMO, birthName: p.birthName, birthGivenNames: p.birthGivenNames, birthDate: p.birthDate, sex: p.sex }, label: title },
    readReceipt: receipt,
    softwareReference: 'AutreLogiciel/1.0',
  });
  return messageId ? Buffer.from(composed.raw.toString('latin1').replace(composed.messageId, messageId), 'latin1') : composed.raw;
}

interface Running {
  db: Db;
  mail: MailboxService;
  messaging: MessagingService;
  worklist: ReturnType<typeof createWorklistService>;
  sophie: MailUser & Actor;
  patientId: number;
  provId: number;
  close(): Promise<void>;
}

/** The composition of app.ts, on a data folder (reopened by a "restart"). */
function boot(dir: string, options: { dispatch?: boolean } = {}): Running {
  const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
  const audit = createAuditRepo(db);
  const users = createUsersRepo(db);
  const u = users.upsert({ nationalId: SOPHIE_NID, familyName: 'DURAND', givenName: 'Sophie', role: 'secretary', professionCode: null, mssanteAddress: null });
  const sophie = { userId: u.id, displayName: 'Sophie DURAND', role: 'secretary' as const, nationalId: SOPHIE_NID };
  const patientsRepo = createPatientsRepo(db);
  const patients = createPatientService({ patients: patientsRepo, audit, transaction: (fn) => db.transaction(fn)() });
  const existing = db.prepare('SELECT id, birth_name FROM patients ORDER BY id').all() as { id: number; birth_name: string }[];
  const patientId = existing.find((p) => p.birth_name === QUAL.birthName)?.id ?? patientsRepo.insert(QUAL, null);
  const provId = existing.find((p) => p.birth_name === PROV.birthName)?.id ?? patientsRepo.insert(PROV, null);
  for (const id of [patientId, provId]) patients.index.upsert(patientsRepo.get(id)!);

  let messaging: MessagingService | null = null;
  const worklist = createWorklistService({
    db, patients: patientsRepo, audit, blobs: createBlobStore(dir),
    lookup: createPatientLookup({ patients: patientsRepo, index: patients.index, db }),
    extractPdfText: null,
    onChange: () => {
      if (options.dispatch !== false) void messaging?.dispatchMdns();
    },
  });
  const mail: MailboxService = createMailboxService({
    db, dataDir: dir, logger: silentLogger, audit,
    tokenProvider: async () => token,
    config: {
      imap: { host: op.imap.host, port: op.imap.port, sandboxPlaintext: true },
      smtp: { host: op.smtp.host, port: op.smtp.port, sandboxPlaintext: true },
      mailboxes: [
        { address: SECRETARIAT, kind: 'organisational', label: 'Secrétariat du cabinet' },
        { address: MARTIN, kind: 'personal', label: 'Dr Claire MARTIN', ownerNationalId: '810003456786' },
      ],
      softwareReference: 'LGC-Segur/test',
      retry: { minMs: 100, maxMs: 500 },
      outboxBackoff: { minMs: 100, maxMs: 500 },
    },
    onStored: async (row) => {
      const parsed = await parseMssMessage(await mail.readRaw(row.id));
      messaging!.recordReceipt(row.id, parsed);
      await worklist.ingestParsedMessage({ id: row.id }, parsed);
    },
  });
  messaging = createMessagingService({
    db, mail, patients: patientsRepo, blobs: createBlobStore(dir), logger: silentLogger,
    practiceMailboxes: [{ address: SECRETARIAT, label: 'Secrétariat du cabinet' }, { address: MARTIN, label: 'Dr Claire MARTIN' }],
  });
  mail.on('change', () => messaging!.outboxChanged());
  if (options.dispatch !== false) void messaging.dispatchMdns();
  return {
    db, mail, messaging, worklist, sophie, patientId, provId,
    async close() {
      await messaging!.stop();
      await mail.close();
      db.close();
    },
  };
}

const relayedMdns = () => op.relayed().filter((m) => /report-type=disposition-notification/.test(m.raw.toString('latin1')));
const outboxRows = (db: Db) => db.prepare("SELECT id, kind, status, related_received_id FROM mail_outbox ORDER BY id").all() as { id: number; kind: string; status: string; related_received_id: number | null }[];
const dueRows = (db: Db) => db.prepare('SELECT id, received_message_id, disposition, error_code, status, outbox_id FROM mdn_due ORDER BY id').all() as
  { id: number; received_message_id: number; disposition: string; error_code: string | null; status: string; outbox_id: number | null }[];

async function settle(r: Running): Promise<void> {
  await r.mail.processingIdle();
  await r.messaging.dispatchMdns();
}

beforeAll(async () => {
  psc = await startPscStandIn({ cibaIntervalSeconds: 1 });
  op = await startMssOperator({
    psc: { introspectionUrl: psc.introspection.url, clientId: psc.introspection.clientId, clientSecret: psc.introspection.clientSecret },
    mailboxes: [SECRETARIAT, MARTIN],
    access: { [SECRETARIAT]: ['claire.martin', 'sophie.durand'] },
    logger: silentLogger,
  });
  token = await pscAccessToken(psc, SOPHIE_NID);
}, 60_000);

afterAll(async () => {
  await op?.close();
  await psc?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('integration receipts owed to senders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lgc-messaging-'));
  dirs.push(dir);

  it('one receipt per message that asked for one, an error receipt for a rejected document, none twice — across restarts and a crash', async () => {
    const ins = QUAL.insMatricule!;
    op.deliver(SECRETARIAT, await incoming(CARDIO, { ...QUAL, ins }, 'Compte rendu de consultation de cardiologie', true, '<cr-1@cardio-jaude.mssante.fr>'));
    op.deliver(SECRETARIAT, await incoming(LABO, { ...UNKNOWN, ins: demoInsFor('F', UNKNOWN.birthDate, UNKNOWN.birthplaceCode, 905) }, 'Compte rendu de biologie', true, '<bio-1@biomed-auvergne.mssante.fr>'));
    op.deliver(SECRETARIAT, await incoming(HOPITAL, { ...QUAL, ins }, 'Lettre de liaison', false, '<ll-1@ch-demo.mssante.fr>'));

    let r = boot(dir);
    r.mail.start(r.sophie);
    await until(() => r.worklist.list({}).length === 3, 15_000, 'trois documents dans la liste de travail');
    await settle(r);
    expect(dueRows(r.db)).toEqual([]); // nothing is owed before the documents are dealt with

    const items = r.worklist.list({});
    const cardio = items.find((i) => i.sender.includes(CARDIO))!;
    const bio = items.find((i) => i.sender.includes(LABO))!;
    const lettre = items.find((i) => i.sender.includes(HOPITAL))!;
    expect(cardio).toMatchObject({ rule: 'auto', patientId: r.patientId });
    expect(bio.rule).toBe('none');
    r.worklist.accept(r.sophie, cardio.id);
    r.worklist.reject(r.sophie, bio.id, 'Patient inconnu du cabinet');
    r.worklist.accept(r.sophie, lettre.id);
    await settle(r);
    await until(() => relayedMdns().length === 2, 15_000, 'deux accusés relayés');
    await until(() => dueRows(r.db).every((d) => d.status === 'sent'), 5000, 'accusés marqués envoyés');

    const mdns = await Promise.all(relayedMdns().map(async (m) => ({ to: m.to, from: m.from, parsed: await parseMssMessage(m.raw) })));
    const byOriginal = new Map(mdns.map((m) => [m.parsed.mdn?.originalMessageId, m]));
    expect(byOriginal.get('<cr-1@cardio-jaude.mssante.fr>')).toMatchObject({ to: [CARDIO], from: SECRETARIAT, parsed: { isMdn: true, mdn: { dispositionType: 'processed' } } });
    expect(byOriginal.get('<cr-1@cardio-jaude.mssante.fr>')!.parsed.mdn!.errorCode).toBeUndefined();
    expect(byOriginal.get('<bio-1@biomed-auvergne.mssante.fr>')).toMatchObject({ to: [LABO], parsed: { mdn: { dispositionType: 'processed', errorCode: 'PATIENT_INCONNU' } } });
    expect(byOriginal.has('<ll-1@ch-demo.mssante.fr>')).toBe(false); // no receipt asked, none sent

    const due = dueRows(r.db);
    expect(due.map((d) => [d.disposition, d.error_code, d.status])).toEqual([['processed', null, 'sent'], ['error', 'PATIENT_INCONNU', 'sent']]);
    expect(outboxRows(r.db).filter((o) => o.kind === 'mdn').map((o) => o.id).sort()).toEqual(due.map((d) => d.outbox_id).sort());

    // The outbox shows them as automatic receipts, sent.
    const listed = r.messaging.outbox(r.sophie).filter((o) => o.kind === 'mdn');
    expect(listed).toHaveLength(2);
    expect(listed.every((o) => o.status === 'envoye' && o.statusLabel === 'Envoyé' && /^Envoyé le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}$/.test(o.detail))).toBe(true);
    expect(listed.find((o) => o.recipients[0] === CARDIO)!.patientLabel).toBe('DUPONT Jeanne');

    // More worklist changes on the same messages: the receipt already left, nothing is sent again.
    r.worklist.undo(r.sophie, bio.id);
    r.worklist.reject(r.sophie, bio.id, 'Toujours inconnu');
    await settle(r);
    await r.mail.processingIdle();
    expect(relayedMdns()).toHaveLength(2);
    expect(outboxRows(r.db).filter((o) => o.kind === 'mdn')).toHaveLength(2);
    await r.close();

    // Restart: the start pass finds nothing to send.
    r = boot(dir);
    r.mail.start(r.sophie);
    await settle(r);
    await new Promise((res) => setTimeout(res, 300));
    expect(relayedMdns()).toHaveLength(2);

    // A crash between the outbox write and the due row update: the due row is pending again,
    // without its outbox id. The next start links it to the receipt already in the outbox.
    const first = dueRows(r.db)[0]!;
    r.db.prepare("UPDATE mdn_due SET status = 'pending', outbox_id = NULL, queued_at = NULL WHERE id = ?").run(first.id);
    await r.close();
    r = boot(dir);
    r.mail.start(r.sophie);
    await settle(r);
    await new Promise((res) => setTimeout(res, 300));
    // Linked to the receipt already in the outbox (already delivered: `sent`), no second outbox row.
    expect(dueRows(r.db).find((d) => d.id === first.id)).toMatchObject({ status: 'sent', outbox_id: first.outbox_id });
    expect(outboxRows(r.db).filter((o) => o.kind === 'mdn')).toHaveLength(2);
    expect(relayedMdns()).toHaveLength(2);
    await r.close();

    // A receipt becomes due while nothing dispatches (e.g. filed from the command line): it is sent at the next start, once.
    op.deliver(SECRETARIAT, await incoming(CARDIO, { ...QUAL, ins }, 'Compte rendu de consultation (suite)', true, '<cr-2@cardio-jaude.mssante.fr>'));
    r = boot(dir, { dispatch: false });
    r.mail.start(r.sophie);
    await until(() => r.worklist.list({}).length === 4, 15_000, 'quatrième document');
    await r.mail.processingIdle();
    const suite = r.worklist.list({}).find((i) => i.status !== 'integre' && i.status !== 'rejete')!;
    r.worklist.accept(r.sophie, suite.id);
    expect(dueRows(r.db).at(-1)).toMatchObject({ status: 'pending', outbox_id: null });
    await r.close();
    expect(relayedMdns()).toHaveLength(2);

    r = boot(dir);
    r.mail.start(r.sophie);
    await settle(r);
    await until(() => relayedMdns().length === 3, 15_000, 'accusé repris au démarrage');
    await settle(r);
    await new Promise((res) => setTimeout(res, 300));
    expect(relayedMdns()).toHaveLength(3);
    expect((await parseMssMessage(relayedMdns().at(-1)!.raw)).mdn?.originalMessageId).toBe('<cr-2@cardio-jaude.mssante.fr>');
    await r.close();
  }, 90_000);
});

describe('sending from the practice mailbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lgc-messaging-send-'));
  dirs.push(dir);
  let r: Running;

  beforeAll(async () => {
    // A fresh practice on the same operator: the inbox starts empty.
    const inbox = op.store.folder(SECRETARIAT, 'INBOX')!;
    for (const m of inbox.messages) m.flags.add('\\Deleted');
    op.store.expunge(SECRETARIAT, 'INBOX');
    r = boot(dir);
    r.mail.start(r.sophie);
  });
  afterAll(async () => {
    await r?.close();
  });

  it('sends a record document as IHE_XDM.ZIP + PDF, then shows the receipt that comes back', async () => {
    const ins = QUAL.insMatricule!;
    op.deliver(SECRETARIAT, await incoming(CARDIO, { ...QUAL, ins }, 'Échographie cardiaque', false, '<echo-1@cardio-jaude.mssante.fr>'));
    await until(() => r.worklist.list({}).length === 1, 15_000, 'document reçu');
    await r.mail.processingIdle();
    r.worklist.accept(r.sophie, r.worklist.list({})[0]!.id);

    const docs = r.messaging.documents(r.sophie, r.patientId);
    expect(docs).toEqual([expect.objectContaining({ title: 'Échographie cardiaque', origin: 'mssante', format: 'xdm', formatLabel: 'Document structuré (IHE_XDM.ZIP) + copie PDF' })]);
    // Recent correspondents: the sender just received from, and the doctor's personal box.
    expect(r.messaging.correspondents(r.sophie, 'rous').map((c) => c.address)).toEqual([CARDIO]);
    expect(r.messaging.correspondents(r.sophie, '').map((c) => c.address)).toEqual(expect.arrayContaining([CARDIO, MARTIN]));

    const before = op.relayed().length;
    const sent = await r.messaging.send(r.sophie, {
      mailbox: SECRETARIAT, to: ['pneumologue@hopital-nord.mssante.fr'], toPatient: false, patientId: r.patientId,
      subject: '', body: 'Chère consœur,\n\nVoici l’échographie de notre patiente.\n', documentIds: [docs[0]!.id], readReceipt: true,
    });
    expect(sent).toMatchObject({ kind: 'message', recipients: ['pneumologue@hopital-nord.mssante.fr'], patientLabel: 'DUPONT Jeanne', readReceipt: true, attachments: ['IHE_XDM.ZIP', 'Échographie cardiaque.pdf'] });
    expect(sent.subject).toBe('Échographie cardiaque DUPONT Jeanne 14/03/1950');
    expect(['en_attente', 'envoye']).toContain(sent.status);
    await until(() => op.relayed().length === before + 1, 10_000, 'message relayé');
    await until(() => r.messaging.outbox(r.sophie).find((o) => o.id === sent.id)!.status === 'envoye', 5000, 'statut envoyé');

    const out = op.relayed().at(-1)!;
    const parsed = await parseMssMessage(out.raw);
    expect(parsed.subject).toBe('XDM/1.0/DDM+Échographie cardiaque DUPONT Jeanne 14/03/1950');
    expect(parsed.mss).toMatchObject({ insPresent: true, codeCda: ['11488-4'] });
    expect(parsed.dispositionNotificationTo).toContain(SECRETARIAT);
    expect(parsed.documents).toHaveLength(1);
    expect(parsed.documents[0]).toMatchObject({ source: 'xdm', entry: { patientId: expect.objectContaining({ id: ins }) } });
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['IHE_XDM.ZIP', 'Échographie cardiaque.pdf']);

    // The correspondent's software integrates it and answers with a receipt.
    const answer = buildIntegrationMdn({ from: 'pneumologue@hopital-nord.mssante.fr', to: SECRETARIAT, originalMessageId: parsed.messageId!, result: { ok: true }, softwareReference: 'DPI/1' });
    op.deliver(SECRETARIAT, answer.raw);
    r.mail.syncNow();
    await until(() => r.messaging.outbox(r.sophie).find((o) => o.id === sent.id)!.receipts.length === 1, 10_000, 'accusé reçu');
    expect(r.messaging.outbox(r.sophie).find((o) => o.id === sent.id)!.receipts[0]).toMatchObject({ kind: 'traite', label: 'Intégré par le destinataire', from: 'pneumologue@hopital-nord.mssante.fr' });
    expect(r.messaging.receipts(r.sophie)[0]).toMatchObject({ outboxId: sent.id, subject: 'Échographie cardiaque DUPONT Jeanne 14/03/1950' });
    expect(r.worklist.list({})).toHaveLength(1); // a receipt is not a document to file
  }, 60_000);

  it('writes to the patient only for a qualified identity; the secretary cannot send from a personal box', async () => {
    const before = op.relayed().length;
    const sent = await r.messaging.send(r.sophie, {
      mailbox: SECRETARIAT, to: [], toPatient: true, patientId: r.patientId, subject: 'Votre rendez-vous', body: 'Bonjour, votre rendez-vous est confirmé.', documentIds: [], readReceipt: false,
    });
    expect(sent.recipients).toEqual([`${QUAL.insMatricule}@patient.mssante.fr`]);
    await until(() => op.relayed().length === before + 1, 10_000, 'message au patient relayé');

    await expect(r.messaging.send(r.sophie, {
      mailbox: SECRETARIAT, to: [], toPatient: true, patientId: r.provId, subject: 'x', body: 'x', documentIds: [], readReceipt: false,
    })).rejects.toMatchObject({ code: 'IDENTITY_RULE' });
    await expect(r.messaging.send(r.sophie, {
      mailbox: SECRETARIAT, to: [`${QUAL.insMatricule}@patient.mssante.fr`], toPatient: false, patientId: null, subject: 'x', body: 'x', documentIds: [], readReceipt: false,
    })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(r.messaging.send(r.sophie, {
      mailbox: MARTIN, to: [CARDIO], toPatient: false, patientId: null, subject: 'x', body: 'x', documentIds: [], readReceipt: false,
    })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(r.messaging.send(r.sophie, {
      mailbox: SECRETARIAT, to: [], toPatient: false, patientId: null, subject: 'x', body: 'x', documentIds: [], readReceipt: false,
    })).rejects.toThrow('Indiquez au moins un destinataire.');
  }, 30_000);

  it('a message waiting in the outbox can be cancelled; a cancelled one cannot be retried', async () => {
    await r.mail.stop(); // no session: the outbox keeps what is queued
    const queued = await r.messaging.send(r.sophie, {
      mailbox: SECRETARIAT, to: [CARDIO], toPatient: false, patientId: null, subject: 'Rendez-vous de contrôle', body: 'Bonjour', documentIds: [], readReceipt: false,
    });
    expect(queued).toMatchObject({ status: 'en_attente', statusLabel: 'En attente', detail: 'En attente', canCancel: true, canRetry: true, attempts: 0 });
    expect(r.messaging.cancel(r.sophie, queued.id)).toMatchObject({ status: 'annule', statusLabel: 'Annulé', canCancel: false, canRetry: false });
    expect(() => r.messaging.retry(r.sophie, queued.id)).toThrow('Cet envoi a été annulé.');
    expect(() => r.messaging.cancel(r.sophie, queued.id)).toThrow(/ne peut plus être annulé/);
  });
});
