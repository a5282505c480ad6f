import type { MailboxStatus } from '../../../../shared/domain';
import type { AuditActor } from '../../store/audit-repo';

export type { MailboxStatus };
export type MailboxState = MailboxStatus['state'];
export type MailboxKind = MailboxStatus['kind'];

/** IMAP or SMTP endpoint of the MSSanté operator. */
export interface MailServerConfig {
  host: string;
  port: number;
  /**
   * true: TLS from the first byte (993/465). Default false: STARTTLS, required (143/587 as the
   * MSSanté operators publish them), unless `sandboxPlaintext` applies.
   */
  tls?: boolean;
  /** PEM CA bundle (IGC-Santé roots) the server certificate must chain to; default: Node's roots. */
  ca?: string | string[];
  /** Sandbox only: plaintext accepted, and only when `host` is a loopback address. */
  sandboxPlaintext?: boolean;
  /** SNI / certificate name when `host` is an IP address. */
  servername?: string;
}

export interface MailboxConfig {
  address: string;
  kind: MailboxKind;
  label: string;
  /** `SubjectNameID` of the doctor owning a personal box. */
  ownerNationalId?: string;
  /** Sandbox or legacy password login; MSSanté personal/organisational boxes use the PSC token. */
  password?: string;
}

/** The person on whose behalf the client talks to the operator (the PSC session user). */
export interface MailUser extends AuditActor {
  nationalId: string;
  role: 'doctor' | 'secretary';
}

/** Returns the PSC access token of the session user (memory only, renewed before expiry). */
export type TokenProvider = () => Promise<string>;

/** A received message once its raw source and its row are committed. */
export interface StoredMessageRow {
  id: number;
  mailboxId: number;
  mailboxAddress: string;
  uidvalidity: number;
  uid: number;
  messageId: string | null;
  rawSha256: string;
  rawSize: number;
  /** Absolute path of the raw RFC 822 source. */
  rawPath: string;
  sender: string | null;
  subject: string | null;
  receivedAt: string;
  state: 'stored' | 'parsed' | 'error';
}

/** Called after commit; the worklist pipeline plugs in here. Failures never stop the sync. */
export type OnStored = (row: StoredMessageRow) => unknown;

export interface SyncProgress {
  address: string;
  phase: 'initial' | 'incremental' | 'resync';
  /** Messages stored (or recognised as already stored) in this run. */
  done: number;
  total: number;
}

export interface RetryPolicy {
  /** First reconnection delay (default 1 s). */
  minMs: number;
  /** Cap of the exponential backoff (default 60 s). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { minMs: 1000, maxMs: 60_000 };
