import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../../services/log/logger';
import type { OperatorAuth } from './auth';
import { isLoopbackAddress } from './imap-server';
import type { OperatorStore } from './store';

/**
 * SMTP submission of the sandbox operator (smtp-server), plaintext on loopback: SASL XOAUTH2
 * checked by PSC token introspection (or sandbox passwords), MAIL FROM must be the authenticated
 * mailbox, local recipients get the message in their INBOX, others are kept as "relayed".
 */

export interface RelayedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  at: Date;
}

export interface SmtpOptions {
  store: OperatorStore;
  auth: OperatorAuth;
  logger: Logger;
  host?: string;
  port?: number;
  maxMessageBytes?: number;
  /** Called for messages to non-local recipients (patients, other operators). */
  onRelay: (m: RelayedMessage) => void;
}

export async function startSmtpServer(options: SmtpOptions): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const log = options.logger.child('smtp');
  const maxBytes = options.maxMessageBytes ?? 25 * 1024 * 1024;
  const accounts = () => new Set(options.store.accounts.keys());
  const server = new SMTPServer({
    name: 'mssante-operateur.bac-a-sable',
    banner: 'Opérateur MSSanté (bac à sable LGC Ségur)',
    authMethods: ['XOAUTH2', 'PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    size: maxBytes,
    logger: false,
    onConnect(session, callback) {
      if (!isLoopbackAddress(session.remoteAddress)) return callback(new Error('Bac à sable : connexions locales uniquement'));
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.method === 'XOAUTH2') {
        void options.auth.checkToken(auth.username ?? '', auth.accessToken ?? '', accounts()).then((r) => {
          if (r.ok) callback(null, { user: r.address });
          else {
            log.info('SMTP : jeton refusé', { user: auth.username, reason: r.reason });
            callback(null, { data: { status: '401', schemes: 'bearer', scope: 'openid scope_all' } });
          }
        });
        return;
      }
      const r = options.auth.checkPassword(auth.username ?? '', auth.password ?? '', accounts());
      if (r.ok) callback(null, { user: r.address });
      else callback(new Error('Authentification refusée'));
    },
    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback) {
      const user = String(session.user ?? '').toLowerCase();
      if (address.address.toLowerCase() !== user) {
        const err = new Error(`L'expéditeur doit être la boîte authentifiée (${user})`) as Error & { responseCode: number };
        err.responseCode = 553;
        return callback(err);
      }
      callback();
    },
    onRcptTo(_address, _session, callback) {
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = new Error('Message trop volumineux') as Error & { responseCode: number };
          err.responseCode = 552;
          return callback(err);
        }
        const raw = Buffer.concat(chunks);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const remote: string[] = [];
        for (const rcpt of session.envelope.rcptTo) {
          const to = rcpt.address.toLowerCase();
          if (options.store.account(to)) {
            const received = Buffer.from(`Received: from lgc-segur by mssante-operateur.bac-a-sable; ${new Date().toUTCString()}\r\n`);
            options.store.append(to, 'INBOX', Buffer.concat([received, raw]));
          } else remote.push(to);
        }
        if (remote.length) options.onRelay({ from, to: remote, raw, at: new Date() });
        log.info('Message accepté', { from, to: session.envelope.rcptTo.map((r) => r.address), size: raw.length });
        callback(null, 'Message accepté par l\'opérateur (bac à sable)');
      });
    },
  });
  server.on('error', (error) => log.warn('Erreur SMTP', { error }));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return {
    host,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
