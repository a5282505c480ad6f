/**
 * A separate process that syncs one MSSanté mailbox the way the application does: the real
 * practice database (`openDatabase`: migrations, WAL), the real mailbox service (sync engine,
 * raw store, processing queue, audit), a PSC access token for XOAUTH2. Used by
 * tests/integration/mail-sync-crash.test.ts, which SIGKILLs it mid-sync and starts another one.
 *
 *   node --import tsx tests/integration/support/sync-child.ts <dataDir> <config.json>
 *
 * config.json: { address, nationalId, imap: { host, port, caFile } }; the token comes from the
 * environment (LGC_TEST_PSC_TOKEN). Prints JSON lines on stdout (`started`, `status`, `synced`,
 * `done`) and exits 0 once a first complete sync is committed and processed, 2 on a sync error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../../electron/services/log/logger';
import { createMailboxService } from '../../../electron/services/mail/mailbox-service';
import { createAuditRepo } from '../../../electron/services/store/audit-repo';
import { openDatabase } from '../../../electron/services/store/db';

interface ChildConfig {
  address: string;
  nationalId: string;
  imap: { host: string; port: number; caFile: string };
}

const [dataDir, configFile] = process.argv.slice(2);
if (!dataDir || !configFile) {
  process.stderr.write('usage: sync-child.ts <dataDir> <config.json>\n');
  process.exit(64);
}
const cfg = JSON.parse(readFileSync(configFile, 'utf8')) as ChildConfig;
const token = process.env.LGC_TEST_PSC_TOKEN;
if (!token) {
  process.stderr.write('LGC_TEST_PSC_TOKEN manquant\n');
  process.exit(64);
}

const say = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ event, pid: process.pid, ...fields }) + '\n');

const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
const logger = createLogger({ level: 'warn' }, 'sync-child');
const mail = createMailboxService({
  db,
  dataDir,
  logger,
  audit: createAuditRepo(db),
  tokenProvider: async () => token,
  config: {
    imap: { host: cfg.imap.host, port: cfg.imap.port, ca: readFileSync(cfg.imap.caFile, 'utf8') },
    mailboxes: [{ address: cfg.address, kind: 'personal', label: cfg.address, ownerNationalId: cfg.nationalId }],
    retry: { minMs: 100, maxMs: 500 },
  },
});

let finishing = false;
mail.on('change', () => {
  const s = mail.status()[0];
  if (!s) return;
  say('status', { state: s.state, detail: s.detail });
  if (s.state === 'error' && !finishing) {
    finishing = true;
    void mail.close().finally(() => {
      db.close();
      process.exit(2);
    });
  }
});
mail.on('synced', (s) => {
  say('synced', { phase: s.phase, listed: s.listed, created: s.created, relocated: s.relocated, duplicates: s.duplicates });
  if (finishing) return;
  finishing = true;
  void (async () => {
    await mail.processingIdle();
    await mail.close();
    db.close();
    say('done');
    process.exit(0);
  })();
});

process.on('uncaughtException', (error) => {
  process.stderr.write(`sync-child: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

say('started');
mail.start({ userId: null, displayName: 'Dr Test CRASH', role: 'doctor', nationalId: cfg.nationalId });
