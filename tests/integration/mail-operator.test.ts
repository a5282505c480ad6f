import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoInsFor } from '../../electron/sandbox/demo-identities';
import { demoMessages, type DemoPatient } from '../../electron/sandbox/mss-operator/demo-messages';
import { startMssOperator, type MssOperator } from '../../electron/sandbox/mss-operator';
import { startPscStandIn, type PscStandIn } from '../../electron/sandbox/psc-provider';
import { silentLogger } from '../../electron/services/log/logger';
import { createMailboxService, type MailboxService } from '../../electron/services/mail/mailbox-service';
import { parseMssMessage } from '../../electron/services/mail/parse';
import type { MailUser, StoredMessageRow } from '../../electron/services/mail/sync/types';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { pscAccessToken } from '../helpers/dovecot';
import { until } from '../helpers/until';

/**
 * The sandbox MSSanté operator end to end: imapflow and nodemailer against it (XOAUTH2 checked by
 * introspection against the PSC stand-in), then the whole mailbox service (sync, IDLE, actions,
 * outbox) on the demo messages built from demo patients.
 */

const DOMAIN = 'cabinet-demo.mssante.fr';
const MARTIN = `claire.martin@${DOMAIN}`;
const BENALI = `karim.benali@${DOMAIN}`;
const SECRETARIAT = `secretariat@${DOMAIN}`;
const DR_MARTIN: MailUser = { userId: null, displayName: 'Dr Claire MARTIN', role: 'doctor', nationalId: '810003456786' };
const SOPHIE: MailUser = { userId: null, displayName: 'Sophie DURAND', role: 'secretary', nationalId: '599999999900017/SEC0001' };

let psc: PscStandIn;
let op: MssOperator;
const tokens: Record<string, string> = {};
const dirs: string[] = [];

const PATIENTS: DemoPatient[] = [
  { birthName: 'DUPONT', birthGivenNames: ['Jeanne', 'Marie'], birthDate: '1950-03-14', sex: 'F', insMatricule: demoInsFor('F', '1950-03-14', '63113', 1), insOid: '1.2.250.1.213.1.4.11', identityStatus: 'QUAL', birthplaceCode: '63113' },
  { birthName: 'MARTIN', birthGivenNames: ['Louis'], birthDate: '1972-11-02', sex: 'M', insMatricule: demoInsFor('M', '1972-11-02', '75056', 1), insOid: '1.2.250.1.213.1.4.11', identityStatus: 'QUAL', birthplaceCode: '75056' },
  { birthName: 'PETIT', birthGivenNames: ['Chloé'], birthDate: '1999-06-20', sex: 'F', insMatricule: demoInsFor('F', '1999-06-20', '35238', 1), insOid: '1.2.250.1.213.1.4.11', identityStatus: 'QUAL', birthplaceCode: '35238' },
  { birthName: 'ROUX', birthGivenNames: ['Hugo'], birthDate: '2001-01-05', sex: 'M', insMatricule: null, insOid: null, identityStatus: 'PROV' },
  { birthName: 'GIRARD', birthGivenNames: ['Léa'], birthDate: '1985-08-09', sex: 'F', insMatricule: demoInsFor('F', '1985-08-09', '34172', 1), insOid: '1.2.250.1.213.1.4.11', identityStatus: 'RECUP', birthplaceCode: '34172' },
];

function imap(user: string, auth: { accessToken?: string; pass?: string }): ImapFlow {
  return new ImapFlow({ host: op.imap.host, port: op.imap.port, secure: false, doSTARTTLS: false, auth: { user, ...auth }, logger: false });
}

beforeAll(async () => {
  psc = await startPscStandIn({ cibaIntervalSeconds: 1 });
  op = await startMssOperator({
    psc: { introspectionUrl: psc.introspection.url, clientId: psc.introspection.clientId, clientSecret: psc.introspection.clientSecret },
    mailboxes: [MARTIN, BENALI, SECRETARIAT],
    access: { [SECRETARIAT]: ['claire.martin', 'karim.benali', 'sophie.durand'] },
    passwords: { [BENALI]: 'mot-de-passe-bac-a-sable' },
    logger: silentLogger,
  });
  tokens.martin = await pscAccessToken(psc, DR_MARTIN.nationalId);
  tokens.sophie = await pscAccessToken(psc, SOPHIE.nationalId);
}, 60_000);

afterAll(async () => {
  await op?.close();
  await psc?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('sandbox MSSanté operator with imapflow and nodemailer', () => {
  it('authenticates XOAUTH2 by PSC introspection and refuses a bad token or a foreign mailbox', async () => {
    const ok = imap(MARTIN, { accessToken: tokens.martin });
    await ok.connect();
    expect(ok.authenticated).toBeTruthy();
    await ok.logout();

    const bad = imap(MARTIN, { accessToken: 'pas-un-jeton' });
    const err = await bad.connect().then(() => null, (e: { authenticationFailed?: boolean; oauthError?: unknown }) => e);
    expect(err?.authenticationFailed).toBe(true);
    // imapflow on its own picks OAUTHBEARER (RFC 7628 error JSON); the sync engine forces XOAUTH2.
    expect(['401', 'invalid_token']).toContain((err?.oauthError as { status?: string } | undefined)?.status);

    // The secretary's token opens the organisational box (access list), not a doctor's personal box.
    const org = imap(SECRETARIAT, { accessToken: tokens.sophie });
    await org.connect();
    await org.logout();
    const foreign = imap(MARTIN, { accessToken: tokens.sophie });
    expect(await foreign.connect().then(() => 'ok', () => 'refused')).toBe('refused');

    const pw = imap(BENALI, { pass: 'mot-de-passe-bac-a-sable' });
    await pw.connect();
    await pw.logout();
  });

  it('serves what imapflow uses: SELECT, UID FETCH (envelope, source, partial), SEARCH, STORE, MOVE, EXPUNGE, APPEND, IDLE', async () => {
    const raw = Buffer.from(`From: "Dr Jean Dupont" <jean.dupont@hopital.mssante.fr>\r\nTo: ${BENALI}\r\nSubject: =?utf-8?Q?R=C3=A9sultat?=\r\nMessage-ID: <op-1@hopital.mssante.fr>\r\nDate: Mon, 02 Mar 2026 09:30:00 +0100\r\n\r\nCorps du message.\r\n`);
    op.deliver(BENALI, raw);
    op.deliver(BENALI, Buffer.from(raw.toString().replace('op-1@', 'op-2@')));
    const c = imap(BENALI, { pass: 'mot-de-passe-bac-a-sable' });
    await c.connect();
    const box = await c.mailboxOpen('INBOX');
    expect(box.exists).toBe(2);
    expect(Number(box.uidValidity)).toBeGreaterThan(0);
    expect(box.uidNext).toBe(3);
    const all = await c.fetchAll('1:*', { uid: true, envelope: true, size: true, flags: true, internalDate: true, source: true }, { uid: true });
    expect(all.map((m) => m.uid)).toEqual([1, 2]);
    expect(all[0]!.envelope).toMatchObject({ subject: 'Résultat', messageId: '<op-1@hopital.mssante.fr>', from: [{ name: 'Dr Jean Dupont', address: 'jean.dupont@hopital.mssante.fr' }] });
    expect(all[0]!.source!.equals(raw)).toBe(true);
    expect(all[0]!.size).toBe(raw.length);
    const partial = await c.download('1', undefined, { uid: true, chunkSize: 16 });
    const chunks: Buffer[] = [];
    for await (const ch of partial.content!) chunks.push(ch as Buffer);
    expect(Buffer.concat(chunks).equals(raw)).toBe(true);
    expect(await c.search({ seen: false }, { uid: true })).toEqual([1, 2]);
    await c.messageFlagsAdd('1', ['\\Seen'], { uid: true });
    expect(await c.search({ seen: true }, { uid: true })).toEqual([1]);
    expect(await c.search({ header: { 'message-id': 'op-2@' } }, { uid: true })).toEqual([2]);
    await c.mailboxCreate('Traités');
    const moved = await c.messageMove('2', 'Traités', { uid: true });
    expect(moved && moved.uidMap?.get(2)).toBe(1);
    const appended = await c.append('INBOX', raw, ['\\Flagged']);
    expect(appended && appended.uid).toBe(3);
    await c.messageDelete('3', { uid: true });
    expect(await c.search({ all: true }, { uid: true })).toEqual([1]);

    let exists = 0;
    c.on('exists', (e: { count: number }) => { exists = e.count; });
    const idle = c.idle();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    op.deliver(BENALI, raw);
    await until(() => exists === 2, 3000, 'EXISTS pendant IDLE');
    expect(Date.now() - t0).toBeLessThan(1000);
    await c.noop();
    await idle;
    await c.logout();
  });

  it('accepts SMTP submission with XOAUTH2, delivers locally, relays the rest, refuses spoofing and bad tokens', async () => {
    const transport = nodemailer.createTransport({ host: op.smtp.host, port: op.smtp.port, secure: false, ignoreTLS: true, auth: { type: 'OAuth2', user: MARTIN, accessToken: tokens.martin } });
    const info = await transport.sendMail({ from: MARTIN, to: [BENALI, '236066322083656@patient.mssante.fr'], subject: 'Test', text: 'Bonjour' });
    expect(info.accepted).toHaveLength(2);
    expect(op.store.folder(BENALI, 'INBOX')!.messages.some((m) => m.raw.includes('Subject: Test'))).toBe(true);
    expect(op.relayed().at(-1)!.to).toEqual(['236066322083656@patient.mssante.fr']);
    const spoof = await transport.sendMail({ from: BENALI, to: [MARTIN], subject: 'x', text: 'x' }).then(() => null, (e: { responseCode?: number }) => e);
    expect(spoof?.responseCode).toBe(553);
    transport.close();
    const bad = nodemailer.createTransport({ host: op.smtp.host, port: op.smtp.port, secure: false, ignoreTLS: true, auth: { type: 'OAuth2', user: MARTIN, accessToken: 'mauvais' } });
    expect(await bad.sendMail({ from: MARTIN, to: [BENALI], subject: 'x', text: 'x' }).then(() => 'ok', (e: { code?: string }) => e.code)).toBe('EAUTH');
    bad.close();
  });
});

describe('mailbox service against the sandbox operator', () => {
  let db: Db;
  let service: MailboxService;
  const stored: StoredMessageRow[] = [];
  const parsedSubjects: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lgc-mailsvc-'));
    dirs.push(dir);
    db = openDatabase({ file: join(dir, 'lgc.sqlite') });
    const demo = await demoMessages(PATIENTS, { to: MARTIN });
    for (const m of demo) op.deliver(MARTIN, m.raw);
    service = createMailboxService({
      db,
      dataDir: dir,
      logger: silentLogger,
      audit: createAuditRepo(db),
      tokenProvider: async () => tokens.martin!,
      config: {
        imap: { host: op.imap.host, port: op.imap.port, sandboxPlaintext: true },
        smtp: { host: op.smtp.host, port: op.smtp.port, sandboxPlaintext: true },
        mailboxes: [
          { address: MARTIN, kind: 'personal', label: 'Dr Claire Martin', ownerNationalId: DR_MARTIN.nationalId },
          { address: BENALI, kind: 'personal', label: 'Dr Karim Benali', ownerNationalId: '810004567896' },
          { address: SECRETARIAT, kind: 'organisational', label: 'Secrétariat du cabinet' },
        ],
        softwareReference: 'LGC-Segur/0.1.0-test',
        retry: { minMs: 100, maxMs: 500 },
        outboxBackoff: { minMs: 100, maxMs: 500 },
      },
      onStored: async (row) => {
        stored.push(row);
        const parsed = await parseMssMessage(await service.readRaw(row.id));
        parsedSubjects.push(parsed.displaySubject);
      },
    });
  });

  afterAll(async () => {
    await service?.close();
    db?.close();
  });

  it('shows each user the right mailboxes and syncs the demo messages of the visible ones', async () => {
    expect(service.visibleMailboxes(DR_MARTIN).map((m) => m.address)).toEqual([MARTIN, SECRETARIAT]);
    expect(service.visibleMailboxes(SOPHIE).map((m) => m.address)).toEqual([SECRETARIAT]);
    expect(service.status().every((s) => s.state === 'offline')).toBe(true);

    const changes: number[] = [];
    service.on('change', () => changes.push(Date.now()));
    service.start(DR_MARTIN);
    await until(() => service.status().every((s) => s.state === 'connected'), 15_000, 'boîtes connectées');
    expect(service.status().map((s) => s.address)).toEqual([MARTIN, SECRETARIAT]);
    await until(() => stored.length === 13, 10_000, 'messages de démonstration');
    await service.processingIdle();
    expect(parsedSubjects).toContain('Compte rendu de consultation de cardiologie DUPONT Jeanne 14/03/1950');
    expect(changes.length).toBeGreaterThan(0);
    const rows = db.prepare("SELECT COUNT(*) AS n, SUM(state = 'parsed') AS parsed FROM received_messages").get() as { n: number; parsed: number };
    expect(rows).toEqual({ n: 13, parsed: 13 });
  });

  it('pushes new mail through IDLE and survives an operator-side UIDVALIDITY change without duplicates', async () => {
    const before = stored.length;
    const t0 = Date.now();
    op.deliver(MARTIN, Buffer.from(`From: x@hopital.mssante.fr\r\nTo: ${MARTIN}\r\nSubject: Nouveau\r\nMessage-ID: <idle-1@hopital.mssante.fr>\r\n\r\nBonjour\r\n`));
    await until(() => stored.length === before + 1, 3000, 'IDLE');
    expect(Date.now() - t0).toBeLessThan(2000);

    op.recreateMailbox(MARTIN);
    await until(() => (db.prepare('SELECT COUNT(DISTINCT uidvalidity) AS n FROM received_messages').get() as { n: number }).n === 1
      && (db.prepare('SELECT uidvalidity FROM mailboxes WHERE address = ?').get(MARTIN) as { uidvalidity: number }).uidvalidity === op.store.folder(MARTIN, 'INBOX')!.uidValidity, 10_000, 'resynchronisation');
    await until(() => service.status().every((s) => s.state === 'connected'), 10_000);
    const n = (db.prepare('SELECT COUNT(*) AS n FROM received_messages').get() as { n: number }).n;
    expect(n).toBe(14);
    expect(stored.length).toBe(before + 1); // nothing processed twice
  });

  it('sends through the outbox (SMTP XOAUTH2), to a colleague and to a qualified patient, and enqueues integration MDNs', async () => {
    const entry = await service.send(DR_MARTIN, {
      mailbox: MARTIN,
      fromName: 'Dr Claire MARTIN',
      to: [{ kind: 'professional', address: BENALI }, { kind: 'patient', patient: { status: 'QUAL', insMatricule: PATIENTS[0]!.insMatricule, birthName: 'DUPONT', birthGivenNames: ['Jeanne'], birthDate: '1950-03-14', sex: 'F' } }],
      subject: 'Compte rendu de votre consultation',
      text: 'Bonjour, voici le compte rendu.',
      readReceipt: true,
    });
    expect(entry.status).toBe('pending');
    await until(() => service.outbox().find((e) => e.id === entry.id)?.status === 'sent', 10_000, 'envoi');
    const sent = service.outbox().find((e) => e.id === entry.id)!;
    expect(sent.label).toMatch(/^Envoyé le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}$/);
    expect(op.store.folder(BENALI, 'INBOX')!.messages.some((m) => m.raw.includes(entry.messageId))).toBe(true);
    expect(op.relayed().some((r) => r.to.includes(`${PATIENTS[0]!.insMatricule}@patient.mssante.fr`))).toBe(true);

    await expect(service.send(DR_MARTIN, {
      mailbox: MARTIN, to: [{ kind: 'patient', patient: { status: 'VALI', insMatricule: PATIENTS[1]!.insMatricule, birthName: 'MARTIN', birthGivenNames: ['Louis'], birthDate: '1972-11-02' } }],
      subject: 'x', text: 'x',
    })).rejects.toMatchObject({ code: 'IDENTITY_RULE' });
    await expect(service.send(SOPHIE, { mailbox: MARTIN, to: [{ kind: 'professional', address: BENALI }], subject: 'x', text: 'x' }))
      .rejects.toMatchObject({ code: 'PERMISSION_DENIED' });

    const mdn = await service.enqueueMdn({ from: MARTIN, to: 'helene.roussel@cardio-jaude.mssante.fr', originalMessageId: '<orig-1@cardio-jaude.mssante.fr>', result: { ok: false, code: 'INS_NON_CONCORDANT', label: 'Traits INS différents' } });
    await until(() => service.outbox().find((e) => e.id === mdn.id)?.status === 'sent', 10_000, 'accusé');
    const relayedMdn = op.relayed().find((r) => r.raw.includes('<orig-1@cardio-jaude.mssante.fr>'))!;
    const parsed = await parseMssMessage(relayedMdn.raw);
    expect(parsed.isMdn).toBe(true);
    expect(parsed.mdn).toMatchObject({ dispositionType: 'processed', errorCode: 'INS_NON_CONCORDANT' });
    const audit = db.prepare("SELECT action FROM audit_log WHERE action LIKE 'mail.%'").all().map((r) => (r as { action: string }).action);
    expect(audit).toEqual(expect.arrayContaining(['mail.envoi', 'mail.envoye', 'mail.accuse_envoye', 'mail.connexion', 'mail.synchronisation', 'mail.resynchronisation']));
  });

  it('runs user actions on the server (read, move, delete) with audit, and closes everything at session end', async () => {
    const row = db.prepare("SELECT id FROM received_messages WHERE server_state = 'present' ORDER BY id LIMIT 1").get() as { id: number };
    await service.markRead(DR_MARTIN, row.id, true);
    const uid = (db.prepare('SELECT uid FROM received_messages WHERE id = ?').get(row.id) as { uid: number }).uid;
    expect(op.store.folder(MARTIN, 'INBOX')!.messages.find((m) => m.uid === uid)!.flags.has('\\Seen')).toBe(true);
    await expect(service.markRead(SOPHIE, row.id, true)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await service.stop();
    expect(service.status().every((s) => s.state === 'offline')).toBe(true);
  });
});
