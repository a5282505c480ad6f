import { createServer, type Server, type Socket } from 'node:net';
import addressparser from 'nodemailer/lib/addressparser';
import type { Logger } from '../../services/log/logger';
import type { OperatorAuth } from './auth';
import {
  CommandReader,
  imapDate,
  imapString,
  parseHeaders,
  parseImapDate,
  parseSequenceSet,
  quoted,
  tokenize,
  tokenText,
  type Token,
} from './imap-protocol';
import type { Folder, OperatorStore, StoredMail } from './store';

/**
 * Hand-written IMAP4rev1 server of the sandbox MSSanté operator, faithful for what imapflow uses:
 * CAPABILITY, ID, ENABLE, AUTHENTICATE XOAUTH2/OAUTHBEARER/PLAIN/LOGIN (SASL-IR), LOGIN,
 * NAMESPACE, LIST/LSUB/STATUS, CREATE/DELETE/SUBSCRIBE, SELECT/EXAMINE (UIDVALIDITY, UIDNEXT),
 * FETCH/UID FETCH (UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY[.PEEK][section]<partial>),
 * SEARCH/UID SEARCH, STORE/UID STORE, COPY/MOVE (UIDPLUS), EXPUNGE/UID EXPUNGE, APPEND, IDLE,
 * CLOSE/UNSELECT, NOOP, LOGOUT. Plaintext, loopback only. No CONDSTORE (clients fall back).
 */

export const CAPABILITIES = [
  'IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT',
  'AUTH=XOAUTH2', 'AUTH=OAUTHBEARER', 'AUTH=PLAIN', 'AUTH=LOGIN',
];

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

export interface ImapServerOptions {
  store: OperatorStore;
  auth: OperatorAuth;
  logger: Logger;
  host?: string;
  port?: number;
}

export async function startImapServer(options: ImapServerOptions): Promise<{ server: Server; host: string; port: number; close(): Promise<void> }> {
  const sessions = new Set<ImapSession>();
  const server = createServer((socket) => {
    if (!isLoopbackAddress(socket.remoteAddress)) {
      socket.end('* BYE Bac à sable : connexions locales uniquement\r\n');
      return;
    }
    const s = new ImapSession(socket, options);
    sessions.add(s);
    socket.once('close', () => sessions.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    host,
    port,
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Selected {
  name: string;
  readOnly: boolean;
  uidValidity: number;
  /** UIDs in sequence order, as this session knows them. */
  view: number[];
  flags: Map<number, string>;
}

type Handler = (tag: string, args: Token[], uid: boolean) => Promise<void> | void;

class BadCommand extends Error {}

class ImapSession {
  readonly #socket: Socket;
  readonly #o: ImapServerOptions;
  readonly #log: Logger;
  readonly #reader: CommandReader;
  #state: 'not-auth' | 'auth' | 'selected' | 'logout' = 'not-auth';
  #address: string | null = null;
  #selected: Selected | null = null;
  #idleTag: string | null = null;
  #queue: Promise<void> = Promise.resolve();
  readonly #onChange: (address: string, folder: string) => void;

  constructor(socket: Socket, options: ImapServerOptions) {
    this.#socket = socket;
    this.#o = options;
    this.#log = options.logger.child('imap');
    this.#reader = new CommandReader({
      command: (parts) => {
        this.#queue = this.#queue.then(() => this.#dispatch(tokenize(parts))).catch((error: unknown) => {
          this.#log.warn('Erreur de session IMAP', { error });
          this.destroy();
        });
      },
      continuation: () => this.#write('+ Ready for literal data\r\n'),
      overflow: (reason) => {
        this.#write(`* BYE ${reason}\r\n`);
        this.destroy();
      },
    });
    socket.on('data', (chunk: Buffer) => this.#reader.push(chunk));
    socket.on('error', () => undefined);
    this.#onChange = (address, folder) => {
      if (this.#address === address && this.#selected && folderKey(this.#selected.name) === folderKey(folder) && this.#idleTag) this.#reconcile();
    };
    options.store.on('change', this.#onChange);
    socket.once('close', () => options.store.off('change', this.#onChange));
    this.#write(`* OK [CAPABILITY ${CAPABILITIES.join(' ')}] Opérateur MSSanté (bac à sable LGC Ségur) prêt\r\n`);
  }

  destroy(): void {
    this.#state = 'logout';
    this.#socket.destroy();
  }

  #write(data: string | Buffer): void {
    if (!this.#socket.destroyed) this.#socket.write(data);
  }

  #ok(tag: string, text = 'OK'): void {
    this.#write(`${tag} OK ${text}\r\n`);
  }

  async #dispatch(tokens: Token[]): Promise<void> {
    if (this.#state === 'logout') return;
    const tag = tokenText(tokens[0]);
    let name = tokenText(tokens[1])?.toUpperCase();
    if (!tag || !name) {
      this.#write('* BAD Commande illisible\r\n');
      return;
    }
    let args = tokens.slice(2);
    let uid = false;
    if (name === 'UID') {
      uid = true;
      name = tokenText(args[0])?.toUpperCase() ?? '';
      args = args.slice(1);
    }
    if (name !== 'AUTHENTICATE' && name !== 'LOGIN') this.#log.debug('commande', { tag, name: uid ? `UID ${name}` : name });
    const handler = this.#handlers()[name];
    if (!handler) {
      this.#write(`${tag} BAD Commande inconnue ou non prise en charge\r\n`);
      return;
    }
    const needsAuth = !['CAPABILITY', 'NOOP', 'LOGOUT', 'ID', 'AUTHENTICATE', 'LOGIN', 'STARTTLS'].includes(name);
    if (needsAuth && this.#state === 'not-auth') {
      this.#write(`${tag} NO Authentifiez-vous d'abord\r\n`);
      return;
    }
    const needsSelected = ['FETCH', 'STORE', 'SEARCH', 'EXPUNGE', 'COPY', 'MOVE', 'CLOSE', 'UNSELECT', 'IDLE', 'CHECK'].includes(name);
    if (needsSelected && !this.#selected && name !== 'IDLE') {
      this.#write(`${tag} BAD Aucun dossier sélectionné\r\n`);
      return;
    }
    try {
      await handler(tag, args, uid);
    } catch (e) {
      if (e instanceof BadCommand) this.#write(`${tag} BAD ${e.message}\r\n`);
      else throw e;
    }
  }

  #handlers(): Record<string, Handler> {
    return {
      CAPABILITY: (tag) => {
        this.#write(`* CAPABILITY ${CAPABILITIES.join(' ')}\r\n`);
        this.#ok(tag, 'CAPABILITY terminé');
      },
      NOOP: (tag) => {
        this.#reconcile();
        this.#ok(tag, 'NOOP terminé');
      },
      CHECK: (tag) => {
        this.#reconcile();
        this.#ok(tag, 'CHECK terminé');
      },
      LOGOUT: (tag) => {
        this.#write('* BYE Déconnexion\r\n');
        this.#ok(tag, 'LOGOUT terminé');
        this.#state = 'logout';
        this.#socket.end();
      },
      STARTTLS: (tag) => this.#write(`${tag} BAD STARTTLS non proposé (bac à sable local en clair)\r\n`),
      ID: (tag) => {
        this.#write('* ID ("name" "Operateur MSSante bac a sable" "vendor" "LGC Segur")\r\n');
        this.#ok(tag, 'ID terminé');
      },
      ENABLE: (tag) => {
        this.#write('* ENABLED\r\n');
        this.#ok(tag, 'ENABLE terminé');
      },
      NAMESPACE: (tag) => {
        this.#write('* NAMESPACE (("" "/")) NIL NIL\r\n');
        this.#ok(tag, 'NAMESPACE terminé');
      },
      LOGIN: (tag, args) => this.#login(tag, args),
      AUTHENTICATE: (tag, args) => this.#authenticate(tag, args),
      LIST: (tag, args) => this.#list(tag, args, 'LIST'),
      LSUB: (tag, args) => this.#list(tag, args, 'LSUB'),
      STATUS: (tag, args) => this.#status(tag, args),
      CREATE: (tag, args) => {
        const name = mailboxName(args[0]);
        if (!this.#o.store.createFolder(this.#address!, name)) this.#write(`${tag} NO [ALREADYEXISTS] Le dossier existe déjà\r\n`);
        else this.#ok(tag, 'CREATE terminé');
      },
      DELETE: (tag, args) => {
        const name = mailboxName(args[0]);
        if (!this.#o.store.deleteFolder(this.#address!, name)) this.#write(`${tag} NO Suppression impossible\r\n`);
        else this.#ok(tag, 'DELETE terminé');
      },
      SUBSCRIBE: (tag) => this.#ok(tag, 'SUBSCRIBE terminé'),
      UNSUBSCRIBE: (tag) => this.#ok(tag, 'UNSUBSCRIBE terminé'),
      SELECT: (tag, args) => this.#select(tag, args, false),
      EXAMINE: (tag, args) => this.#select(tag, args, true),
      CLOSE: (tag) => {
        if (!this.#selected!.readOnly) this.#o.store.expunge(this.#address!, this.#selected!.name);
        this.#selected = null;
        this.#state = 'auth';
        this.#ok(tag, 'CLOSE terminé');
      },
      UNSELECT: (tag) => {
        this.#selected = null;
        this.#state = 'auth';
        this.#ok(tag, 'UNSELECT terminé');
      },
      FETCH: (tag, args, uid) => this.#fetch(tag, args, uid),
      STORE: (tag, args, uid) => this.#store(tag, args, uid),
      SEARCH: (tag, args, uid) => this.#search(tag, args, uid),
      EXPUNGE: (tag, args, uid) => {
        if (this.#selected!.readOnly) {
          this.#write(`${tag} NO Dossier en lecture seule\r\n`);
          return;
        }
        let only: Set<number> | undefined;
        if (uid) only = new Set(this.#targets(tokenText(args[0]) ?? '', true).map((t) => t.msg.uid));
        this.#o.store.expunge(this.#address!, this.#selected!.name, only);
        this.#reconcile();
        this.#ok(tag, 'EXPUNGE terminé');
      },
      COPY: (tag, args, uid) => this.#copy(tag, args, uid, false),
      MOVE: (tag, args, uid) => this.#copy(tag, args, uid, true),
      APPEND: (tag, args) => this.#append(tag, args),
      IDLE: (tag) => this.#idle(tag),
    };
  }

  // ----- authentication

  #accounts(): Set<string> {
    return new Set(this.#o.store.accounts.keys());
  }

  #authenticated(tag: string, address: string, how: string): void {
    this.#address = address;
    this.#state = 'auth';
    this.#log.info('Connexion à la boîte', { address, how });
    this.#ok(tag, `[CAPABILITY ${CAPABILITIES.filter((c) => !c.startsWith('AUTH=')).join(' ')}] Authentifié`);
  }

  #login(tag: string, args: Token[]): void {
    if (this.#state !== 'not-auth') throw new BadCommand('Déjà authentifié');
    const user = tokenText(args[0]) ?? '';
    const pass = tokenText(args[1]) ?? '';
    const r = this.#o.auth.checkPassword(user, pass, this.#accounts());
    if (r.ok) this.#authenticated(tag, r.address, 'LOGIN');
    else this.#write(`${tag} NO [AUTHENTICATIONFAILED] Authentification refusée\r\n`);
  }

  async #authenticate(tag: string, args: Token[]): Promise<void> {
    if (this.#state !== 'not-auth') throw new BadCommand('Déjà authentifié');
    const mech = (tokenText(args[0]) ?? '').toUpperCase();
    if (!['XOAUTH2', 'OAUTHBEARER', 'PLAIN', 'LOGIN'].includes(mech)) {
      this.#write(`${tag} NO Mécanisme non pris en charge\r\n`);
      return;
    }
    const initial = tokenText(args[1]);
    const nextLine = (prompt: string) => new Promise<string>((resolve) => {
      this.#reader.rawLine = resolve;
      this.#write(`+ ${prompt}\r\n`);
    });
    const cancelled = (line: string) => line.trim() === '*';

    if (mech === 'LOGIN') {
      const u = Buffer.from(initial ?? (await nextLine(Buffer.from('Username:').toString('base64'))), 'base64').toString('utf8');
      const pLine = await nextLine(Buffer.from('Password:').toString('base64'));
      if (cancelled(pLine)) return this.#write(`${tag} BAD Authentification annulée\r\n`);
      const r = this.#o.auth.checkPassword(u, Buffer.from(pLine, 'base64').toString('utf8'), this.#accounts());
      if (r.ok) return this.#authenticated(tag, r.address, 'AUTH=LOGIN');
      return this.#write(`${tag} NO [AUTHENTICATIONFAILED] Authentification refusée\r\n`);
    }

    const payloadB64 = initial && initial !== '=' ? initial : await nextLine('');
    if (cancelled(payloadB64)) return this.#write(`${tag} BAD Authentification annulée\r\n`);
    const payload = Buffer.from(payloadB64, 'base64').toString('utf8');

    if (mech === 'PLAIN') {
      const [, user = '', pass = ''] = payload.split('\x00');
      const r = this.#o.auth.checkPassword(user, pass, this.#accounts());
      if (r.ok) return this.#authenticated(tag, r.address, 'AUTH=PLAIN');
      return this.#write(`${tag} NO [AUTHENTICATIONFAILED] Authentification refusée\r\n`);
    }

    const fields = payload.split('\x01');
    let user = '';
    let token = '';
    for (const f of fields) {
      if (f.startsWith('user=')) user = f.slice(5);
      else if (/^auth=Bearer /i.test(f)) token = f.slice(12).trim();
      else if (f.startsWith('n,')) user = /a=([^,]*)/.exec(f)?.[1]?.replace(/=2C/g, ',').replace(/=3D/g, '=') ?? user;
    }
    const r = await this.#o.auth.checkToken(user, token, this.#accounts());
    if (r.ok) return this.#authenticated(tag, r.address, `AUTH=${mech}`);
    this.#log.info('Authentification par jeton refusée', { user, reason: r.reason });
    const error = mech === 'XOAUTH2'
      ? { status: '401', schemes: 'bearer', scope: 'openid scope_all' }
      : { status: 'invalid_token', scope: 'openid scope_all' };
    await nextLine(Buffer.from(JSON.stringify(error)).toString('base64'));
    this.#write(`${tag} NO [AUTHENTICATIONFAILED] Authentification refusée : ${r.reason}\r\n`);
  }

  // ----- mailboxes

  #folders(): Folder[] {
    return [...this.#o.store.account(this.#address!)!.folders.values()];
  }

  #list(tag: string, args: Token[], cmd: 'LIST' | 'LSUB'): void {
    let i = 0;
    if (args[0]?.type === 'list') i++; // LIST (SPECIAL-USE) ...: selection options ignored
    const ref = tokenText(args[i]) ?? '';
    const pattern = tokenText(args[i + 1]) ?? '';
    if (pattern === '' && cmd === 'LIST') {
      this.#write('* LIST (\\Noselect) "/" ""\r\n');
      return this.#ok(tag, 'LIST terminé');
    }
    const re = new RegExp(`^${(ref + pattern).replace(/[.+?^${}()|\\[\]]/g, '\\$&').replace(/\*/g, '.*').replace(/%/g, '[^/]*')}$`, 'i');
    for (const f of this.#folders()) {
      if (!re.test(f.name)) continue;
      const special = f.name === 'Sent' ? ' \\Sent' : f.name === 'Trash' ? ' \\Trash' : '';
      this.#write(`* ${cmd} (\\HasNoChildren${special}) "/" ${quoted(f.name)}\r\n`);
    }
    this.#ok(tag, `${cmd} terminé`);
  }

  #status(tag: string, args: Token[]): void {
    const name = mailboxName(args[0]);
    const f = this.#o.store.folder(this.#address!, name);
    if (!f) return this.#write(`${tag} NO [NONEXISTENT] Dossier inconnu\r\n`);
    const items = args[1]?.type === 'list' ? args[1].items.map((t) => (tokenText(t) ?? '').toUpperCase()) : [];
    const out: string[] = [];
    for (const it of items) {
      if (it === 'MESSAGES') out.push(`MESSAGES ${f.messages.length}`);
      else if (it === 'UIDNEXT') out.push(`UIDNEXT ${f.uidNext}`);
      else if (it === 'UIDVALIDITY') out.push(`UIDVALIDITY ${f.uidValidity}`);
      else if (it === 'UNSEEN') out.push(`UNSEEN ${f.messages.filter((m) => !m.flags.has('\\Seen')).length}`);
      else if (it === 'RECENT') out.push('RECENT 0');
    }
    this.#write(`* STATUS ${quoted(f.name)} (${out.join(' ')})\r\n`);
    this.#ok(tag, 'STATUS terminé');
  }

  #select(tag: string, args: Token[], readOnly: boolean): void {
    const name = mailboxName(args[0]);
    const f = this.#o.store.folder(this.#address!, name);
    this.#selected = null;
    this.#state = 'auth';
    if (!f) return this.#write(`${tag} NO [NONEXISTENT] Dossier inconnu\r\n`);
    this.#selected = {
      name: f.name,
      readOnly,
      uidValidity: f.uidValidity,
      view: f.messages.map((m) => m.uid),
      flags: new Map(f.messages.map((m) => [m.uid, flagList(m)])),
    };
    this.#state = 'selected';
    this.#write(`* FLAGS (${SYSTEM_FLAGS.join(' ')})\r\n`);
    this.#write(`* OK [PERMANENTFLAGS (${SYSTEM_FLAGS.join(' ')} \\*)] Drapeaux autorisés\r\n`);
    this.#write(`* ${f.messages.length} EXISTS\r\n`);
    this.#write('* 0 RECENT\r\n');
    const unseen = f.messages.findIndex((m) => !m.flags.has('\\Seen'));
    if (unseen >= 0) this.#write(`* OK [UNSEEN ${unseen + 1}] Premier message non lu\r\n`);
    this.#write(`* OK [UIDVALIDITY ${f.uidValidity}] UIDs valides\r\n`);
    this.#write(`* OK [UIDNEXT ${f.uidNext}] Prochain UID\r\n`);
    this.#ok(tag, `[${readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${readOnly ? 'EXAMINE' : 'SELECT'} terminé`);
  }

  /** Sends EXPUNGE / EXISTS / FETCH FLAGS for changes made by others since the last sync point. */
  #reconcile(): void {
    const sel = this.#selected;
    if (!sel) return;
    const f = this.#o.store.folder(this.#address!, sel.name);
    if (!f || f.uidValidity !== sel.uidValidity) {
      this.#write('* BYE Le dossier a été recréé (UIDVALIDITY modifiée) : reconnectez-vous\r\n');
      this.destroy();
      return;
    }
    const current = new Map(f.messages.map((m) => [m.uid, m]));
    for (let i = sel.view.length - 1; i >= 0; i--) {
      const u = sel.view[i]!;
      if (!current.has(u)) {
        this.#write(`* ${i + 1} EXPUNGE\r\n`);
        sel.view.splice(i, 1);
        sel.flags.delete(u);
      }
    }
    sel.view.forEach((u, i) => {
      const fl = flagList(current.get(u)!);
      if (sel.flags.get(u) !== fl) {
        sel.flags.set(u, fl);
        this.#write(`* ${i + 1} FETCH (UID ${u} FLAGS (${fl}))\r\n`);
      }
    });
    const known = new Set(sel.view);
    const added = f.messages.filter((m) => !known.has(m.uid));
    if (added.length) {
      for (const m of added) {
        sel.view.push(m.uid);
        sel.flags.set(m.uid, flagList(m));
      }
      this.#write(`* ${sel.view.length} EXISTS\r\n`);
    }
  }

  #folder(): Folder {
    return this.#o.store.folder(this.#address!, this.#selected!.name)!;
  }

  /** Messages addressed by a sequence set (UIDs or sequence numbers) in the session's view. */
  #targets(set: string, byUid: boolean): { seq: number; msg: StoredMail }[] {
    const sel = this.#selected!;
    const byUidMap = new Map(this.#folder().messages.map((m) => [m.uid, m]));
    const max = byUid ? (sel.view.at(-1) ?? 0) : sel.view.length;
    const match = parseSequenceSet(set, max);
    if (!match) throw new BadCommand('Ensemble de messages invalide');
    const out: { seq: number; msg: StoredMail }[] = [];
    sel.view.forEach((u, i) => {
      const msg = byUidMap.get(u);
      if (msg && match(byUid ? u : i + 1)) out.push({ seq: i + 1, msg });
    });
    return out;
  }

  // ----- FETCH

  #fetch(tag: string, args: Token[], byUid: boolean): void {
    const set = tokenText(args[0]) ?? '';
    const spec = args[1];
    let items: string[] = [];
    if (spec?.type === 'list') items = spec.items.map((t) => tokenText(t) ?? '');
    else if (spec) items = [tokenText(spec) ?? ''];
    const expanded: string[] = [];
    for (const it of items) {
      const u = it.toUpperCase();
      if (u === 'ALL') expanded.push('FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE');
      else if (u === 'FAST') expanded.push('FLAGS', 'INTERNALDATE', 'RFC822.SIZE');
      else if (u === 'FULL') expanded.push('FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE');
      else expanded.push(it);
    }
    if (byUid && !expanded.some((i) => i.toUpperCase() === 'UID')) expanded.unshift('UID');
    const targets = this.#targets(set, byUid);
    const sel = this.#selected!;
    for (const { seq, msg } of targets) {
      const parts: Buffer[] = [];
      let setSeen = false;
      for (const item of expanded) {
        const u = item.toUpperCase();
        if (u === 'UID') parts.push(Buffer.from(`UID ${msg.uid}`));
        else if (u === 'FLAGS') parts.push(Buffer.from(`FLAGS (${flagList(msg)})`));
        else if (u === 'INTERNALDATE') parts.push(Buffer.from(`INTERNALDATE "${imapDate(msg.internalDate)}"`));
        else if (u === 'RFC822.SIZE') parts.push(Buffer.from(`RFC822.SIZE ${msg.raw.length}`));
        else if (u === 'ENVELOPE') parts.push(Buffer.concat([Buffer.from('ENVELOPE '), envelope(msg.raw)]));
        else if (u === 'RFC822') {
          parts.push(Buffer.concat([Buffer.from(`RFC822 {${msg.raw.length}}\r\n`), msg.raw]));
          setSeen = true;
        } else if (u === 'RFC822.HEADER') {
          const h = parseHeaders(msg.raw).block;
          parts.push(Buffer.concat([Buffer.from(`RFC822.HEADER {${h.length}}\r\n`), h]));
        } else if (u === 'RFC822.TEXT') {
          const b = msg.raw.subarray(parseHeaders(msg.raw).bodyOffset);
          parts.push(Buffer.concat([Buffer.from(`RFC822.TEXT {${b.length}}\r\n`), b]));
          setSeen = true;
        } else if (u === 'MODSEQ' || u === 'BODYSTRUCTURE' || u === 'BODY' || u === 'EMAILID' || u === 'THREADID') {
          continue;
        } else {
          const m = /^(BODY|BINARY)(\.PEEK)?\[(.*)\](?:<(\d+)(?:\.(\d+))?>)?$/is.exec(item);
          if (!m) throw new BadCommand(`Élément FETCH non pris en charge : ${item.slice(0, 40)}`);
          const section = m[3]!;
          let content = sectionContent(msg.raw, section);
          const start = m[4] !== undefined ? Number(m[4]) : undefined;
          if (start !== undefined) {
            const len = m[5] !== undefined ? Number(m[5]) : content.length;
            content = content.subarray(start, start + len);
          }
          if (!m[2]) setSeen = true;
          const label = `BODY[${section}]${start !== undefined ? `<${start}>` : ''}`;
          parts.push(Buffer.concat([Buffer.from(`${label} {${content.length}}\r\n`), content]));
        }
      }
      if (setSeen && !sel.readOnly && !msg.flags.has('\\Seen')) {
        msg.flags.add('\\Seen');
        sel.flags.set(msg.uid, flagList(msg));
        if (!expanded.some((i) => i.toUpperCase() === 'FLAGS')) parts.push(Buffer.from(`FLAGS (${flagList(msg)})`));
      }
      const joined: Buffer[] = [Buffer.from(`* ${seq} FETCH (`)];
      parts.forEach((p, i) => {
        if (i) joined.push(Buffer.from(' '));
        joined.push(p);
      });
      joined.push(Buffer.from(')\r\n'));
      this.#write(Buffer.concat(joined));
    }
    if (byUid) this.#reconcile();
    this.#ok(tag, `${byUid ? 'UID ' : ''}FETCH terminé`);
  }

  // ----- STORE

  #store(tag: string, args: Token[], byUid: boolean): void {
    if (this.#selected!.readOnly) return this.#write(`${tag} NO Dossier en lecture seule\r\n`);
    const set = tokenText(args[0]) ?? '';
    let i = 1;
    if (args[1]?.type === 'list') i++; // (UNCHANGEDSINCE n): no CONDSTORE here
    const op = (tokenText(args[i]) ?? '').toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(op);
    if (!m) throw new BadCommand('STORE invalide');
    const ft = args[i + 1];
    const flagTokens = ft?.type === 'list' ? ft.items : args.slice(i + 1);
    const flags = flagTokens.map((t) => tokenText(t) ?? '').filter(Boolean).map(normalizeFlag);
    const sel = this.#selected!;
    const targets = this.#targets(set, byUid);
    for (const { seq, msg } of targets) {
      if (m[1] === '+') flags.forEach((f) => msg.flags.add(f));
      else if (m[1] === '-') flags.forEach((f) => msg.flags.delete(f));
      else msg.flags = new Set(flags);
      sel.flags.set(msg.uid, flagList(msg));
      if (!m[2]) this.#write(`* ${seq} FETCH (FLAGS (${flagList(msg)})${byUid ? ` UID ${msg.uid}` : ''})\r\n`);
    }
    if (targets.length) this.#o.store.touched(this.#address!, sel.name);
    if (byUid) this.#reconcile();
    this.#ok(tag, `${byUid ? 'UID ' : ''}STORE terminé`);
  }

  // ----- SEARCH

  #search(tag: string, args: Token[], byUid: boolean): void {
    let rest = args;
    if (tokenText(rest[0])?.toUpperCase() === 'RETURN') rest = rest.slice(2);
    if (tokenText(rest[0])?.toUpperCase() === 'CHARSET') rest = rest.slice(2);
    const sel = this.#selected!;
    const messages = new Map(this.#folder().messages.map((m) => [m.uid, m]));
    const ctx = { maxSeq: sel.view.length, maxUid: sel.view.at(-1) ?? 0 };
    const pred = parseSearch(rest, ctx);
    const hits: number[] = [];
    sel.view.forEach((u, i) => {
      const msg = messages.get(u);
      if (msg && pred(msg, i + 1)) hits.push(byUid ? u : i + 1);
    });
    this.#write(`* SEARCH${hits.length ? ' ' + hits.join(' ') : ''}\r\n`);
    if (byUid) this.#reconcile();
    this.#ok(tag, `${byUid ? 'UID ' : ''}SEARCH terminé`);
  }

  // ----- COPY / MOVE / APPEND

  #copy(tag: string, args: Token[], byUid: boolean, move: boolean): void {
    const set = tokenText(args[0]) ?? '';
    const dest = mailboxName(args[1]);
    const target = this.#o.store.folder(this.#address!, dest);
    if (!target) return this.#write(`${tag} NO [TRYCREATE] Dossier de destination inconnu\r\n`);
    if (move && this.#selected!.readOnly) return this.#write(`${tag} NO Dossier en lecture seule\r\n`);
    const targets = this.#targets(set, byUid);
    const src: number[] = [];
    const dst: number[] = [];
    for (const { msg } of targets) {
      const r = this.#o.store.append(this.#address!, target.name, msg.raw, { flags: [...msg.flags].filter((f) => f !== '\\Deleted'), date: msg.internalDate });
      if (r) {
        src.push(msg.uid);
        dst.push(r.uid);
      }
    }
    const copyuid = src.length ? `[COPYUID ${target.uidValidity} ${src.join(',')} ${dst.join(',')}] ` : '';
    if (move) {
      if (copyuid) this.#write(`* OK ${copyuid}Copiés\r\n`);
      for (const { msg } of targets) msg.flags.add('\\Deleted');
      this.#o.store.expunge(this.#address!, this.#selected!.name, new Set(src));
      this.#reconcile();
      this.#ok(tag, `${byUid ? 'UID ' : ''}MOVE terminé`);
    } else {
      this.#ok(tag, `${copyuid}${byUid ? 'UID ' : ''}COPY terminé`);
    }
  }

  #append(tag: string, args: Token[]): void {
    const dest = mailboxName(args[0]);
    let i = 1;
    let flags: string[] = [];
    let date: Date | undefined;
    if (args[i]?.type === 'list') {
      flags = (args[i] as { items: Token[] }).items.map((t) => normalizeFlag(tokenText(t) ?? ''));
      i++;
    }
    if (args[i]?.type === 'string' && args[i + 1]) {
      date = parseImapDate(tokenText(args[i]) ?? '') ?? undefined;
      i++;
    }
    const literal = args[i];
    if (literal?.type !== 'string') throw new BadCommand('APPEND sans message');
    const r = this.#o.store.append(this.#address!, dest, literal.value, { flags, date });
    if (!r) return this.#write(`${tag} NO [TRYCREATE] Dossier inconnu\r\n`);
    this.#reconcile();
    this.#ok(tag, `[APPENDUID ${r.uidValidity} ${r.uid}] APPEND terminé`);
  }

  // ----- IDLE

  #idle(tag: string): Promise<void> {
    this.#idleTag = tag;
    this.#write('+ idling\r\n');
    this.#reconcile();
    return new Promise<void>((resolve) => {
      const wait = () => {
        this.#reader.rawLine = (line) => {
          if (line.trim().toUpperCase() !== 'DONE') {
            wait();
            return;
          }
          this.#idleTag = null;
          this.#ok(tag, 'IDLE terminé');
          resolve();
        };
      };
      wait();
      this.#socket.once('close', () => resolve());
    });
  }
}

// ---------------------------------------------------------------------------------------------

function folderKey(name: string): string {
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}

function mailboxName(t: Token | undefined): string {
  const n = tokenText(t) ?? '';
  return n.toUpperCase() === 'INBOX' ? 'INBOX' : n;
}

function normalizeFlag(flag: string): string {
  const sys = SYSTEM_FLAGS.find((f) => f.toLowerCase() === flag.toLowerCase());
  return sys ?? flag;
}

function flagList(m: StoredMail): string {
  return [...m.flags].join(' ');
}

function sectionContent(raw: Buffer, section: string): Buffer {
  const s = section.trim().toUpperCase();
  if (s === '') return raw;
  const h = parseHeaders(raw);
  if (s === 'HEADER') return h.block;
  if (s === 'TEXT') return raw.subarray(h.bodyOffset);
  const fm = /^HEADER\.FIELDS(\.NOT)?\s*\((.*)\)$/i.exec(section.trim());
  if (fm) {
    const names = new Set(fm[2]!.split(/\s+/).filter(Boolean).map((n) => n.replace(/^"|"$/g, '').toLowerCase()));
    const keep = h.lines.filter((l) => (fm[1] ? !names.has(l.name) : names.has(l.name)));
    return Buffer.concat([...keep.map((l) => l.raw), Buffer.from('\r\n')]);
  }
  if (s === '1' || s === '1.TEXT' || s === 'MIME') return raw.subarray(h.bodyOffset);
  return Buffer.alloc(0);
}

function envelope(raw: Buffer): Buffer {
  const h = parseHeaders(raw);
  const first = (name: string) => h.fields.get(name)?.[0] ?? null;
  const addrList = (name: string, fallback?: string): Buffer => {
    const value = first(name) ?? (fallback ? first(fallback) : null);
    if (!value) return Buffer.from('NIL');
    const flat: { name: string; address: string }[] = [];
    const walk = (list: ReturnType<typeof addressparser>) => {
      for (const a of list) {
        if ('group' in a && a.group) walk(a.group);
        else if ('address' in a && a.address) flat.push({ name: a.name ?? '', address: a.address });
      }
    };
    walk(addressparser(value));
    if (!flat.length) return Buffer.from('NIL');
    const items = flat.map((a) => {
      const at = a.address.lastIndexOf('@');
      const local = at < 0 ? a.address : a.address.slice(0, at);
      const host = at < 0 ? '' : a.address.slice(at + 1);
      return Buffer.concat([Buffer.from('('), imapString(a.name || null), Buffer.from(' NIL '), imapString(local), Buffer.from(' '), imapString(host || null), Buffer.from(')')]);
    });
    return Buffer.concat([Buffer.from('('), ...items, Buffer.from(')')]);
  };
  const parts = [
    imapString(first('date')),
    imapString(first('subject')),
    addrList('from'),
    addrList('sender', 'from'),
    addrList('reply-to', 'from'),
    addrList('to'),
    addrList('cc'),
    addrList('bcc'),
    imapString(first('in-reply-to')),
    imapString(first('message-id')),
  ];
  const out: Buffer[] = [Buffer.from('(')];
  parts.forEach((p, i) => {
    if (i) out.push(Buffer.from(' '));
    out.push(p);
  });
  out.push(Buffer.from(')'));
  return Buffer.concat(out);
}

type Pred = (m: StoredMail, seq: number) => boolean;

function parseSearch(tokens: Token[], ctx: { maxSeq: number; maxUid: number }): Pred {
  let i = 0;
  const next = (): Token | undefined => tokens[i++];
  const str = (): string => tokenText(next()) ?? '';
  const headerValue = (m: StoredMail, field: string) => (parseHeaders(m.raw).fields.get(field.toLowerCase()) ?? []).join(' ').toLowerCase();
  const dateOnly = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const one = (): Pred => {
    const t = next();
    if (!t) throw new BadCommand('Critère de recherche incomplet');
    if (t.type === 'list') {
      const sub = parseSearch(t.items, ctx);
      return sub;
    }
    const key = (tokenText(t) ?? '').toUpperCase();
    const flag = (f: string, want: boolean): Pred => (m) => m.flags.has(f) === want;
    switch (key) {
      case 'ALL': return () => true;
      case 'ANSWERED': return flag('\\Answered', true);
      case 'UNANSWERED': return flag('\\Answered', false);
      case 'DELETED': return flag('\\Deleted', true);
      case 'UNDELETED': return flag('\\Deleted', false);
      case 'DRAFT': return flag('\\Draft', true);
      case 'UNDRAFT': return flag('\\Draft', false);
      case 'FLAGGED': return flag('\\Flagged', true);
      case 'UNFLAGGED': return flag('\\Flagged', false);
      case 'SEEN': return flag('\\Seen', true);
      case 'UNSEEN': return flag('\\Seen', false);
      case 'NEW': return flag('\\Seen', false);
      case 'OLD': case 'RECENT': return () => key === 'OLD';
      case 'KEYWORD': { const k = str(); return (m) => m.flags.has(k); }
      case 'UNKEYWORD': { const k = str(); return (m) => !m.flags.has(k); }
      case 'UID': {
        const p = parseSequenceSet(str(), ctx.maxUid);
        if (!p) throw new BadCommand('Ensemble UID invalide');
        return (m) => p(m.uid);
      }
      case 'HEADER': { const f = str(); const v = str().toLowerCase(); return (m) => headerValue(m, f).includes(v); }
      case 'FROM': case 'TO': case 'CC': case 'BCC': case 'SUBJECT': {
        const v = str().toLowerCase();
        return (m) => headerValue(m, key).includes(v);
      }
      case 'BODY': case 'TEXT': {
        const v = str().toLowerCase();
        return (m) => m.raw.toString('latin1').toLowerCase().includes(v);
      }
      case 'LARGER': { const n = Number(str()); return (m) => m.raw.length > n; }
      case 'SMALLER': { const n = Number(str()); return (m) => m.raw.length < n; }
      case 'SINCE': case 'BEFORE': case 'ON': {
        const d = parseImapDate(str());
        if (!d) throw new BadCommand('Date de recherche invalide');
        const ref = dateOnly(d);
        return (m) => {
          const x = dateOnly(m.internalDate);
          return key === 'SINCE' ? x >= ref : key === 'BEFORE' ? x < ref : x === ref;
        };
      }
      case 'NOT': { const p = one(); return (m, s) => !p(m, s); }
      case 'OR': { const a = one(); const b = one(); return (m, s) => a(m, s) || b(m, s); }
      default: {
        const p = parseSequenceSet(key, ctx.maxSeq);
        if (!p) throw new BadCommand(`Critère de recherche non pris en charge : ${key.slice(0, 30)}`);
        return (_m, seq) => p(seq);
      }
    }
  };
  const all: Pred[] = [];
  while (i < tokens.length) all.push(one());
  return (m, s) => all.every((p) => p(m, s));
}
