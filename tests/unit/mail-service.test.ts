import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../electron/services/log/logger';
import { createMailboxService, type MailboxServiceConfig } from '../../electron/services/mail/mailbox-service';
import type { MailUser } from '../../electron/services/mail/sync/types';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase } from '../../electron/services/store/db';

const MARTIN: MailUser = { userId: null, displayName: 'Dr Claire MARTIN', role: 'doctor', nationalId: '810003456786' };
const BENALI: MailUser = { userId: null, displayName: 'Dr Karim BENALI', role: 'doctor', nationalId: '810004567896' };
const SOPHIE: MailUser = { userId: null, displayName: 'Sophie DURAND', role: 'secretary', nationalId: '599999999900017/SEC0001' };
const MAILBOXES: MailboxServiceConfig['mailboxes'] = [
  { address: 'claire.martin@cabinet-demo.mssante.fr', kind: 'personal', label: 'Dr Martin', ownerNationalId: MARTIN.nationalId },
  { address: 'karim.benali@cabinet-demo.mssante.fr', kind: 'personal', label: 'Dr Benali', ownerNationalId: BENALI.nationalId },
  { address: 'secretariat@cabinet-demo.mssante.fr', kind: 'organisational', label: 'Secrétariat' },
];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function service(config: Partial<MailboxServiceConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lgc-mailsvc-unit-'));
  dirs.push(dir);
  const db = openDatabase({ file: join(dir, 'lgc.sqlite') });
  const svc = createMailboxService({
    db, dataDir: dir, logger: silentLogger, audit: createAuditRepo(db),
    tokenProvider: async () => 'jeton', config: { mailboxes: MAILBOXES, ...config },
  });
  return { db, svc };
}

const addresses = (list: { address: string }[]) => list.map((m) => m.address);

describe('mailbox service: who sees which mailbox', () => {
  it('gives doctors their own box and the organisational box, the secretary the organisational box', () => {
    const { svc } = service();
    expect(addresses(svc.visibleMailboxes(MARTIN))).toEqual(['claire.martin@cabinet-demo.mssante.fr', 'secretariat@cabinet-demo.mssante.fr']);
    expect(addresses(svc.visibleMailboxes(BENALI))).toEqual(['karim.benali@cabinet-demo.mssante.fr', 'secretariat@cabinet-demo.mssante.fr']);
    expect(addresses(svc.visibleMailboxes(SOPHIE))).toEqual(['secretariat@cabinet-demo.mssante.fr']);
  });

  it('adds boxes delegated to the secretary, only by their owner, and audits it', () => {
    const { svc, db } = service();
    expect(() => svc.delegate('claire.martin@cabinet-demo.mssante.fr', SOPHIE.nationalId, BENALI)).toThrow(/titulaire/);
    expect(() => svc.delegate('secretariat@cabinet-demo.mssante.fr', SOPHIE.nationalId, MARTIN)).toThrow(/personnelle/);
    svc.delegate('claire.martin@cabinet-demo.mssante.fr', SOPHIE.nationalId, MARTIN);
    svc.delegate('claire.martin@cabinet-demo.mssante.fr', SOPHIE.nationalId, MARTIN); // idempotent
    expect(addresses(svc.visibleMailboxes(SOPHIE))).toEqual(['claire.martin@cabinet-demo.mssante.fr', 'secretariat@cabinet-demo.mssante.fr']);
    expect(svc.delegations()).toEqual([expect.objectContaining({ mailbox: 'claire.martin@cabinet-demo.mssante.fr', delegateNationalId: SOPHIE.nationalId, grantedBy: MARTIN.nationalId })]);
    svc.revokeDelegation('claire.martin@cabinet-demo.mssante.fr', SOPHIE.nationalId, MARTIN);
    expect(addresses(svc.visibleMailboxes(SOPHIE))).toEqual(['secretariat@cabinet-demo.mssante.fr']);
    const actions = db.prepare("SELECT action FROM audit_log WHERE action LIKE 'mail.delegation%' ORDER BY id").all();
    expect(actions).toEqual([{ action: 'mail.delegation' }, { action: 'mail.delegation_retiree' }]);
  });

  it('reports not-configured without IMAP server, offline before login', async () => {
    const none = service();
    expect(none.svc.status().map((s) => s.state)).toEqual(['not-configured', 'not-configured', 'not-configured']);
    await expect(none.svc.send(MARTIN, { mailbox: 'claire.martin@cabinet-demo.mssante.fr', to: [{ kind: 'professional', address: 'a@b.mssante.fr' }], subject: 's', text: 't' }))
      .rejects.toThrow(/SMTP/);
    const configured = service({ imap: { host: '127.0.0.1', port: 1, sandboxPlaintext: true } });
    expect(configured.svc.status()).toEqual([
      expect.objectContaining({ state: 'offline', detail: expect.stringMatching(/Pro Santé Connect/) }),
      expect.objectContaining({ state: 'offline' }),
      expect.objectContaining({ state: 'offline' }),
    ]);
  });

  it('refuses plaintext to a non-loopback server: the status says why, nothing is sent', async () => {
    const { svc } = service({ imap: { host: 'imap.operateur.example', port: 143, sandboxPlaintext: true } });
    svc.start(MARTIN);
    const deadline = Date.now() + 5000;
    while (svc.status().some((s) => s.state !== 'error') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(svc.status().map((s) => s.state)).toEqual(['error', 'error']);
    expect(svc.status()[0]!.detail).toMatch(/non chiffrée refusée/);
    await svc.close();
  });
});
