import { silentLogger, type Logger } from '../../services/log/logger';
import { createOperatorAuth, type PscIntrospectionConfig } from './auth';
import { startImapServer } from './imap-server';
import { startSmtpServer, type RelayedMessage } from './smtp';
import { OperatorStore } from './store';

/**
 * Sandbox MSSanté operator: a real IMAP4rev1 server (hand-written, see imap-server.ts) and an
 * SMTP submission server (smtp-server) on 127.0.0.1, in process, plaintext on loopback only.
 * Personal and organisational boxes authenticate with the PSC access token (SASL XOAUTH2,
 * checked by introspection against the PSC stand-in), like at the real operators.
 */

export interface MssOperatorOptions {
  /** PSC stand-in introspection: `{ introspectionUrl, clientId, clientSecret }` (or `PscStandIn.introspection`, with `url`). */
  psc?: { introspectionUrl?: string; url?: string; clientId: string; clientSecret: string };
  /** Addresses of the mailboxes hosted here (the practice's boxes). */
  mailboxes: string[];
  logger?: Logger;
  /** Mailbox → usernames (PSC `username` claim = local part of the MSSanté address) allowed besides its owner. */
  access?: Record<string, string[]>;
  /** Mailbox → password for sandbox LOGIN/PLAIN. */
  passwords?: Record<string, string>;
  imapPort?: number;
  smtpPort?: number;
  /** SMTP size cap (default 25 MB, Mon espace santé's). */
  maxMessageBytes?: number;
}

export interface MssOperator {
  imap: { host: string; port: number };
  smtp: { host: string; port: number };
  /** Puts a message in a mailbox's INBOX as if it came from another operator. */
  deliver(address: string, raw: Buffer): { uid: number; uidValidity: number };
  /** Messages accepted for recipients outside this operator (patients, other practices). */
  relayed(): RelayedMessage[];
  /** New UIDVALIDITY for the INBOX (an operator-side migration), messages renumbered. */
  recreateMailbox(address: string): void;
  store: OperatorStore;
  close(): Promise<void>;
}

export async function startMssOperator(options: MssOperatorOptions): Promise<MssOperator> {
  const logger = (options.logger ?? silentLogger).child('mss-operator');
  const store = new OperatorStore(options.mailboxes);
  const psc: PscIntrospectionConfig | undefined = options.psc
    ? { introspectionUrl: options.psc.introspectionUrl ?? options.psc.url ?? '', clientId: options.psc.clientId, clientSecret: options.psc.clientSecret }
    : undefined;
  const auth = createOperatorAuth({ psc, access: options.access, passwords: options.passwords, logger });
  const relayed: RelayedMessage[] = [];
  const imap = await startImapServer({ store, auth, logger, port: options.imapPort });
  let smtp;
  try {
    smtp = await startSmtpServer({
      store, auth, logger, port: options.smtpPort, maxMessageBytes: options.maxMessageBytes,
      onRelay: (m) => {
        relayed.push(m);
        if (relayed.length > 500) relayed.shift();
      },
    });
  } catch (e) {
    await imap.close();
    throw e;
  }
  logger.info('Opérateur MSSanté du bac à sable démarré', { imap: imap.port, smtp: smtp.port, mailboxes: options.mailboxes.length });
  return {
    imap: { host: imap.host, port: imap.port },
    smtp: { host: smtp.host, port: smtp.port },
    deliver(address, raw) {
      if (!store.account(address)) throw new Error(`Boîte inconnue du bac à sable : ${address}`);
      return store.append(address, 'INBOX', raw)!;
    },
    relayed: () => [...relayed],
    recreateMailbox: (address) => store.recreate(address),
    store,
    async close() {
      await Promise.all([imap.close(), smtp.close()]);
    },
  };
}

export type { RelayedMessage } from './smtp';
