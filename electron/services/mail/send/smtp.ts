import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Logger } from '../../log/logger';
import { transportPolicy } from '../sync/connection';
import type { MailServerConfig } from '../sync/types';
import type { DsnRequest } from './compose';

/**
 * SMTP submission to the MSSanté operator with nodemailer: STARTTLS required (587) or implicit
 * TLS, TLS ≥ 1.2 against the configured CA, SASL XOAUTH2 with the PSC access token (password only
 * for sandbox/legacy). The raw message is sent as stored: the bytes in the outbox are the bytes sent.
 */

export interface SmtpSendInput {
  from: string;
  to: string[];
  raw: Buffer;
  dsn?: DsnRequest | null;
  dsnEnvelopeId?: string;
  auth: { user: string; accessToken?: string; password?: string };
}

export interface SmtpSendResult {
  response: string;
  accepted: string[];
  rejected: string[];
}

export type SmtpSend = (input: SmtpSendInput) => Promise<SmtpSendResult>;

export function createSmtpSender(server: MailServerConfig, options: { logger?: Logger; name?: string; timeoutMs?: number } = {}): SmtpSend {
  return async (input) => {
    const policy = transportPolicy(server, 'SMTP');
    const auth = input.auth.accessToken
      ? { type: 'OAuth2' as const, user: input.auth.user, accessToken: input.auth.accessToken }
      : { user: input.auth.user, pass: input.auth.password ?? '' };
    const transportOptions: SMTPTransport.Options = {
      host: server.host,
      port: server.port,
      secure: policy.secure,
      requireTLS: !policy.secure && policy.starttls,
      ignoreTLS: policy.plaintext,
      tls: policy.tls,
      auth,
      name: options.name ?? 'lgc-segur',
      connectionTimeout: options.timeoutMs ?? 20_000,
      greetingTimeout: options.timeoutMs ?? 20_000,
      socketTimeout: 2 * 60_000,
      logger: false,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    if (server.servername) transportOptions.tls = { ...policy.tls, servername: server.servername };
    const transport = nodemailer.createTransport(transportOptions);
    try {
      const info = await transport.sendMail({
        envelope: { from: input.from, to: input.to },
        raw: input.raw,
        ...(input.dsn
          ? { dsn: { id: input.dsnEnvelopeId, return: input.dsn.ret === 'FULL' ? 'full' : 'headers', notify: input.dsn.notify.map((n) => n.toLowerCase()), recipient: input.from } }
          : {}),
      } as never);
      const i = info as unknown as { response?: string; accepted?: unknown[]; rejected?: unknown[] };
      const addr = (a: unknown) => (typeof a === 'string' ? a : String((a as { address?: string })?.address ?? a));
      return { response: String(i.response ?? ''), accepted: (i.accepted ?? []).map(addr), rejected: (i.rejected ?? []).map(addr) };
    } finally {
      transport.close();
    }
  };
}
