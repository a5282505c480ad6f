import { EventEmitter } from 'node:events';

/**
 * In-memory mail store of the sandbox operator: per address, folders (INBOX, plus any created)
 * with UIDVALIDITY/UIDNEXT and messages (UID, flags, internal date, raw bytes).
 */

export interface StoredMail {
  uid: number;
  flags: Set<string>;
  internalDate: Date;
  raw: Buffer;
}

export interface Folder {
  name: string;
  uidValidity: number;
  uidNext: number;
  messages: StoredMail[];
  subscribed: boolean;
}

export interface Account {
  address: string;
  folders: Map<string, Folder>;
}

let uidValiditySeed = Math.floor(Date.now() / 1000);

function newFolder(name: string): Folder {
  return { name, uidValidity: ++uidValiditySeed, uidNext: 1, messages: [], subscribed: true };
}

/** Bare LF → CRLF (IMAP sizes and literals are counted on CRLF text). */
export function toCrlf(raw: Buffer): Buffer {
  if (!raw.includes(0x0a)) return raw;
  let bare = false;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) {
      bare = true;
      break;
    }
  }
  if (!bare) return raw;
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

export class OperatorStore extends EventEmitter<{ change: [address: string, folder: string] }> {
  readonly accounts = new Map<string, Account>();

  constructor(addresses: string[]) {
    super();
    this.setMaxListeners(0);
    for (const a of addresses) this.ensureAccount(a);
  }

  ensureAccount(address: string): Account {
    const key = address.trim().toLowerCase();
    let acc = this.accounts.get(key);
    if (!acc) {
      acc = { address: key, folders: new Map([['INBOX', newFolder('INBOX')]]) };
      for (const name of ['Sent', 'Trash']) acc.folders.set(name, newFolder(name));
      this.accounts.set(key, acc);
    }
    return acc;
  }

  account(address: string): Account | undefined {
    return this.accounts.get(address.trim().toLowerCase());
  }

  folder(address: string, name: string): Folder | undefined {
    const acc = this.account(address);
    if (!acc) return undefined;
    if (name.toUpperCase() === 'INBOX') return acc.folders.get('INBOX');
    return acc.folders.get(name);
  }

  createFolder(address: string, name: string): Folder | null {
    const acc = this.account(address);
    if (!acc || this.folder(address, name)) return null;
    const f = newFolder(name);
    acc.folders.set(name, f);
    return f;
  }

  deleteFolder(address: string, name: string): boolean {
    const acc = this.account(address);
    if (!acc || name.toUpperCase() === 'INBOX') return false;
    const ok = acc.folders.delete(name);
    if (ok) this.emit('change', acc.address, name);
    return ok;
  }

  append(address: string, folderName: string, raw: Buffer, options: { flags?: string[]; date?: Date } = {}): { uid: number; uidValidity: number } | null {
    const f = this.folder(address, folderName);
    if (!f) return null;
    const uid = f.uidNext++;
    f.messages.push({ uid, flags: new Set(options.flags ?? []), internalDate: options.date ?? new Date(), raw: toCrlf(raw) });
    this.emit('change', address.trim().toLowerCase(), f.name);
    return { uid, uidValidity: f.uidValidity };
  }

  /** Drops every message marked \Deleted (optionally only these UIDs). Returns the UIDs removed. */
  expunge(address: string, folderName: string, onlyUids?: Set<number>): number[] {
    const f = this.folder(address, folderName);
    if (!f) return [];
    const removed: number[] = [];
    f.messages = f.messages.filter((m) => {
      const drop = m.flags.has('\\Deleted') && (!onlyUids || onlyUids.has(m.uid));
      if (drop) removed.push(m.uid);
      return !drop;
    });
    if (removed.length) this.emit('change', address.trim().toLowerCase(), f.name);
    return removed;
  }

  /** A new UIDVALIDITY for the folder, messages renumbered from 1 (operator migration). */
  recreate(address: string, folderName = 'INBOX'): void {
    const f = this.folder(address, folderName);
    if (!f) return;
    f.uidValidity = ++uidValiditySeed;
    f.uidNext = 1;
    for (const m of f.messages) m.uid = f.uidNext++;
    this.emit('change', address.trim().toLowerCase(), f.name);
  }

  touched(address: string, folderName: string): void {
    this.emit('change', address.trim().toLowerCase(), folderName);
  }
}
