import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { encodeWords } from 'nodemailer/lib/mime-funcs';
import { newMessageId } from './compose';

/**
 * Integration-status MDN (RFC 8098, domain.md §4): `multipart/report;
 * report-type=disposition-notification`, a French human-readable part and a
 * `message/disposition-notification` part with `Disposition: automatic-action/
 * MDN-sent-automatically; processed` or `processed/Error: <code>^<label>`.
 * The worklist enqueues these through the outbox once a received document is integrated.
 */

export interface IntegrationMdnInput {
  /** The mailbox that received the original message (sends the MDN). */
  from: string;
  /** Disposition-Notification-To of the original, or its sender. */
  to: string;
  originalMessageId: string;
  originalSubject?: string;
  /** Recipient of the original as addressed (defaults to `from`). */
  originalRecipient?: string;
  result: { ok: true } | { ok: false; code: string; label: string };
  softwareReference: string;
  now?: () => Date;
}

export interface BuiltMdn {
  raw: Buffer;
  messageId: string;
  subject: string;
  disposition: string;
}

const clean = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

export function buildIntegrationMdn(input: IntegrationMdnInput): BuiltMdn {
  const now = (input.now ?? (() => new Date()))();
  const messageId = newMessageId(input.from);
  const boundary = `----=_MDN_${randomBytes(12).toString('hex')}`;
  const disposition = input.result.ok
    ? 'automatic-action/MDN-sent-automatically; processed'
    : `automatic-action/MDN-sent-automatically; processed/Error: ${clean(input.result.code)}^${clean(input.result.label)}`;
  const original = clean(input.originalSubject ?? '');
  const subject = `${input.result.ok ? 'Accusé de traitement' : 'Échec de traitement'}${original ? ` : ${original}` : ''}`;
  const human = input.result.ok
    ? `Le message ${input.originalMessageId} adressé à ${input.originalRecipient ?? input.from} a été traité et intégré par le logiciel du destinataire.`
    : `Le message ${input.originalMessageId} adressé à ${input.originalRecipient ?? input.from} n'a pas pu être intégré : ${clean(input.result.label)} (code ${clean(input.result.code)}).`;
  const report = [
    `Reporting-UA: ${clean(hostname()) || 'poste'}; ${clean(input.softwareReference)}`,
    `Original-Recipient: rfc822;${input.originalRecipient ?? input.from}`,
    `Final-Recipient: rfc822;${input.from}`,
    `Original-Message-ID: ${input.originalMessageId}`,
    `Disposition: ${disposition}`,
    ...(input.result.ok ? [] : [`Error: ${clean(input.result.code)}^${clean(input.result.label)}`]),
  ].join('\r\n');
  const lines = [
    `From: ${input.from}`,
    `To: ${input.to}`,
    `Subject: ${encodeWords(subject, 'Q', 52)}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    `In-Reply-To: ${input.originalMessageId}`,
    `References: ${input.originalMessageId}`,
    'Auto-Submitted: auto-replied',
    `X-MSS-NIL: ${clean(input.softwareReference)}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=disposition-notification; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(human, 'utf8').toString('base64').replace(/(.{76})/g, '$1\r\n'),
    `--${boundary}`,
    'Content-Type: message/disposition-notification',
    'Content-Transfer-Encoding: 7bit',
    '',
    report,
    '',
    `--${boundary}--`,
    '',
  ];
  return { raw: Buffer.from(lines.join('\r\n'), 'utf8'), messageId, subject, disposition };
}
