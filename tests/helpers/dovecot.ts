import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';

/**
 * A private Dovecot instance for integration tests and the mail bench: own configuration file,
 * base_dir/state_dir under a temporary directory, IMAP (STARTTLS, `ssl = required`) and LMTP on
 * high loopback ports, a self-signed certificate made with openssl at start, and two passdbs:
 * `oauth2` (XOAUTH2/OAUTHBEARER, token introspection against the PSC stand-in) and a
 * `passwd-file` for PLAIN/LOGIN. Follows /work/shared/spec/platform-notes.md (Dovecot section).
 */

const run = promisify(execFile);

export const DOVECOT_BIN = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p)) ?? 'dovecot';

/** Why Dovecot-based tests cannot run here, or null when they can. */
export function dovecotUnavailableReason(): string | null {
  try {
    execFileSync(DOVECOT_BIN, ['--version'], { stdio: 'pipe' });
  } catch {
    return 'dovecot absent (apt-get install -y dovecot-imapd dovecot-lmtpd) : tests Dovecot ignorés';
  }
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
  } catch {
    return 'openssl absent : impossible de produire le certificat de test, tests Dovecot ignorés';
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'une instance Dovecot privée doit démarrer en root (mail_uid = mail) : tests Dovecot ignorés';
  }
  return null;
}

export interface TestCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** Self-signed certificate for localhost / 127.0.0.1 (openssl, RSA 2048, 2 days). */
export async function makeTestCertificate(dir: string, name = 'server'): Promise<TestCertificate> {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, `${name}-cert.pem`);
  const keyPath = join(dir, `${name}-key.pem`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-keyout', keyPath, '-out', certPath,
    '-subj', '/CN=localhost/O=LGC Segur tests',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Masters started by this process: killed if the test process exits without closing them. */
const liveMasters = new Set<ChildProcess>();
process.once('exit', () => {
  for (const m of liveMasters) m.kill('SIGKILL');
});

export interface DovecotUser {
  /** Full address; the login name is its local part (`auth_username_format = %Ln`). */
  address: string;
  /** For PLAIN/LOGIN (passwd-file); default: a random one, readable in `passwords`. */
  password?: string;
}

export interface StartDovecotOptions {
  users: DovecotUser[];
  /** Token introspection of the PSC stand-in (`PscStandIn.introspection`); without it only passwords work. */
  introspection?: { url: string; clientId: string; clientSecret: string };
}

export interface DovecotInstance {
  host: '127.0.0.1';
  imapPort: number;
  lmtpPort: number;
  /** PEM of the self-signed server certificate: the CA bundle clients must trust. */
  ca: string;
  dir: string;
  passwords: Record<string, string>;
  /** Delivers through LMTP (what an MTA does): IDLE sessions see it at once. */
  deliver(address: string, raw: Buffer | Buffer[]): Promise<void>;
  /** Writes straight into the Maildir `new/` (fast bulk fill for the bench). */
  fillMaildir(address: string, raws: Buffer[]): void;
  maildir(address: string): string;
  /** Throws away the UID list and indexes (server stopped meanwhile): the mailbox gets a new UIDVALIDITY. */
  recreateMailbox(address: string): Promise<void>;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  log(): string;
}

const localPart = (address: string) => address.slice(0, address.indexOf('@')).toLowerCase();

export async function startDovecot(options: StartDovecotOptions): Promise<DovecotInstance> {
  const reason = dovecotUnavailableReason();
  if (reason) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'lgc-dovecot-'));
  chmodSync(dir, 0o755);
  const mailRoot = join(dir, 'mail');
  mkdirSync(mailRoot, { recursive: true });
  chownSync(mailRoot, 8, 8);
  const cert = await makeTestCertificate(dir);
  const dhPath = join(dir, 'dh.pem');
  await run('openssl', ['dhparam', '-dsaparam', '-out', dhPath, '2048']);
  const imapPort = await freePort();
  const lmtpPort = await freePort();

  const passwords: Record<string, string> = {};
  const passwd = options.users.map((u) => {
    const pass = u.password ?? randomBytes(12).toString('hex');
    passwords[u.address.toLowerCase()] = pass;
    return `${localPart(u.address)}:{PLAIN}${pass}::::::`;
  });
  const passwdPath = join(dir, 'passwd');
  writeFileSync(passwdPath, passwd.join('\n') + '\n', { mode: 0o644 });

  let oauthPassdb = '';
  if (options.introspection) {
    const u = new URL(options.introspection.url);
    u.username = encodeURIComponent(options.introspection.clientId);
    u.password = encodeURIComponent(options.introspection.clientSecret);
    const oauthConf = join(dir, 'oauth2.conf');
    writeFileSync(oauthConf, [
      'introspection_mode = post',
      `introspection_url = ${u.toString()}`,
      'force_introspection = yes',
      'username_attribute = username',
      'active_attribute = active',
      'active_value = true',
      '',
    ].join('\n'), { mode: 0o600 });
    oauthPassdb = `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${oauthConf}
}
`;
  }

  const confPath = join(dir, 'dovecot.conf');
  const instanceName = `lgc-test-${randomBytes(4).toString('hex')}`;
  const logPath = join(dir, 'dovecot.log');
  writeFileSync(confPath, `# LGC Ségur test instance
protocols = imap lmtp
listen = 127.0.0.1
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
instance_name = ${instanceName}
log_path = ${logPath}
info_log_path = ${logPath}
auth_verbose = yes
ssl = required
ssl_cert = <${cert.certPath}
ssl_key = <${cert.keyPath}
ssl_dh = <${dhPath}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer
auth_username_format = %Ln
mail_location = maildir:${mailRoot}/%n/Maildir
mail_uid = mail
mail_gid = mail
first_valid_uid = 8
first_valid_gid = 8
default_internal_user = dovecot
default_login_user = dovenull
${oauthPassdb}passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%n ${passwdPath}
}
userdb {
  driver = passwd-file
  args = username_format=%n ${passwdPath}
  default_fields = uid=mail gid=mail home=${mailRoot}/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol lmtp {
  auth_username_format = %Ln
}
`);

  let master: ChildProcess | null = null;
  const start = async () => {
    if (master) return;
    rmSync(join(dir, 'run', 'anvil-auth-penalty'), { force: true });
    // Foreground master owned by this process: stopping it is a signal to a known pid.
    const child = spawn(DOVECOT_BIN, ['-F', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => { if (master === child) master = null; });
    master = child;
    liveMasters.add(child);
    exited.then(() => liveMasters.delete(child));
    const deadline = Date.now() + 15_000;
    while (!(await portOpen(imapPort)) || !(await portOpen(lmtpPort))) {
      if (master !== child || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`dovecot n'a pas démarré (${imapPort}/${lmtpPort}) : ${stderr}\n${safeRead(logPath)}`);
      }
      await sleep(50);
    }
    (child as ChildProcess & { exitedPromise?: Promise<void> }).exitedPromise = exited;
  };
  const stop = async () => {
    const child = master;
    if (!child) return;
    const exited = (child as ChildProcess & { exitedPromise?: Promise<void> }).exitedPromise;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      // A master waiting for busy session processes: a stopped server does not wait.
      for (const pid of instancePids(instanceName)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      child.kill('SIGKILL');
    }, 2_000);
    await exited;
    clearTimeout(timer);
    master = null;
    // Session processes may outlive the master for a while: a stopped server drops its clients now.
    for (const pid of instancePids(instanceName)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    const deadline = Date.now() + 10_000;
    while ((await portOpen(imapPort)) && Date.now() < deadline) await sleep(50);
  };
  const isRunning = () => master !== null;
  await start();

  const maildir = (address: string) => join(mailRoot, localPart(address), 'Maildir');
  let fillCounter = 0;

  const instance: DovecotInstance = {
    host: '127.0.0.1',
    imapPort,
    lmtpPort,
    ca: cert.cert,
    dir,
    passwords,
    async deliver(address, raw) {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: lmtpPort, lmtp: true, secure: false, ignoreTLS: true, name: 'localhost' } as never);
      try {
        for (const r of Array.isArray(raw) ? raw : [raw]) {
          await transport.sendMail({ envelope: { from: 'mta@test.invalid', to: [address] }, raw: r });
        }
      } finally {
        transport.close();
      }
    },
    fillMaildir(address, raws) {
      const md = maildir(address);
      for (const sub of ['', 'new', 'cur', 'tmp']) {
        const p = join(md, sub);
        if (!existsSync(p)) {
          mkdirSync(p, { recursive: true });
        }
      }
      chownRecursive(join(mailRoot, localPart(address)));
      const base = Math.floor(Date.now() / 1000);
      for (const raw of raws) {
        const name = `${base}.M${++fillCounter}P${process.pid}.lgc-test`;
        const file = join(md, 'new', name);
        writeFileSync(file, raw);
        chownSync(file, 8, 8);
      }
    },
    maildir,
    async recreateMailbox(address) {
      const wasRunning = isRunning();
      await stop();
      const md = maildir(address);
      for (const name of readdirSync(md)) {
        if (name.startsWith('dovecot')) rmSync(join(md, name), { recursive: true, force: true });
      }
      // Keep the messages, renamed as if newly delivered (a new store for the same address).
      for (const sub of ['cur', 'new']) {
        const p = join(md, sub);
        if (!existsSync(p)) continue;
        for (const f of readdirSync(p)) {
          const plain = f.replace(/[:,].*$/, '');
          execFileSync('mv', [join(p, f), join(md, 'new', `${plain}.recreated`)]);
        }
      }
      if (wasRunning) {
        // Dovecot derives a new UIDVALIDITY from the clock (seconds): make sure it moves.
        await sleep(1100);
        await start();
      }
    },
    running: isRunning,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => safeRead(logPath),
  };
  return instance;
}

/** Processes of this instance only (their titles carry the unique instance name). */
function instancePids(instanceName: string): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(`dovecot-${instanceName}/`) || cmd.includes(`${instanceName}/`)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function chownRecursive(path: string): void {
  chownSync(path, 8, 8);
  if (statSync(path).isDirectory()) for (const f of readdirSync(path)) chownRecursive(join(path, f));
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A real PSC access token of a test professional, obtained by CIBA against the stand-in (the
 * push is approved on the stand-in's side, as the e-CPS app would).
 */
export async function pscAccessToken(
  psc: { issuer: string; clientId: string; clientSecret: string; pendingCibaRequests(): { authReqId: string; loginHint: string }[]; approveCiba(id?: string): void },
  nationalId: string,
): Promise<string> {
  const { createPscClient } = await import('../../electron/services/auth/psc-client');
  const client = createPscClient(
    { issuer: psc.issuer, clientId: psc.clientId, clientAuth: { method: 'client_secret_basic', secret: psc.clientSecret }, allowInsecureLoopback: true, cibaDefaultIntervalMs: 200 },
    { openExternal: async () => { throw new Error('pas de navigateur'); } },
  );
  const login = client.loginWithCiba(nationalId);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pending = psc.pendingCibaRequests().find((r) => r.loginHint === nationalId);
    if (pending) {
      psc.approveCiba(pending.authReqId);
      break;
    }
    if (Date.now() > deadline) throw new Error('demande CIBA introuvable');
    await sleep(20);
  }
  return (await login).accessToken;
}
