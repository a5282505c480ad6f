import { join } from 'node:path';
import type { PracticeConfig } from '../services/config/practice-config';
import { dmpDemoPatients } from './dmp-demo';
import { startDmpStandIn, type DmpStandIn } from './dmp-service';
import { demoPracticeIdentities } from './seed';
import type { Logger } from '../services/log/logger';
import { SANDBOX_INSI_IDENTITIES, SANDBOX_VITALE_CARDS, type InsiSandboxIdentity } from './insi-identities';
import { startInsiStandIn, type InsiStandIn } from './insi-service';
import { SANDBOX_MSSANTE_DOMAIN, SANDBOX_PRACTICE_NAME, SANDBOX_PRACTICE_SIRET, TEST_PROFESSIONALS } from './psc-professionals';
import { startMssOperator, type MssOperator } from './mss-operator';
import { demoMessages, type DemoPatient } from './mss-operator/demo-messages';
import type { MailboxServiceConfig } from '../services/mail/mailbox-service';
import { startPscStandIn, type PscStandIn } from './psc-provider';

export interface SandboxEndpoint {
  name: 'psc' | 'insi' | 'dmp' | 'mss-imap' | 'mss-smtp';
  label: string;
  url: string;
}

export interface Sandbox {
  config: PracticeConfig;
  endpoints: SandboxEndpoint[];
  testCards: { nationalId: string; displayName: string; role: 'doctor' | 'secretary' }[];
  /** Demo Vitale cards (the card reader of the training mode). */
  vitaleCards: { nir: string; holderName: string; beneficiaries: { birthDate: string; rank: number }[] }[];
  psc: PscStandIn;
  insi: InsiStandIn;
  dmp: DmpStandIn;
  mss: MssOperator;
  /** Mailbox configuration pointing the production mail client at the sandbox operator. */
  mail: MailboxServiceConfig;
  /** Delivers the demo messages (colleagues, lab, hospital…) about the seeded patients, once per mailbox content. */
  deliverDemoMessages(patients: DemoPatient[]): Promise<number>;
  /** Teaches the INSi stand-in the identities of seeded patients. */
  registerIdentities(list: InsiSandboxIdentity[]): void;
  close(): Promise<void>;
}

export interface SandboxOptions {
  logger: Logger;
  /** Training data folder (the sandbox DMP keeps its documents there); in memory when absent. */
  dataDir?: string;
  /** Approves e-CPS push requests by itself after this delay, as a trainee's phone would (default 1.2 s; null = never). */
  autoApproveCibaAfterMs?: number | null;
}

/**
 * The training sandbox: real protocol servers on 127.0.0.1 standing in for the national
 * services, and the practice configuration that points the production client code at them.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { logger } = options;
  const psc = await startPscStandIn({ logger: logger.child('psc'), cibaIntervalSeconds: 1 });
  const insi = await startInsiStandIn({
    logger: logger.child('insi'),
    identities: [...SANDBOX_INSI_IDENTITIES],
    vitaleCards: [...SANDBOX_VITALE_CARDS],
  });

  // Every demo identity with an INS (and the public test identities, once qualified) has a DMP state.
  const dmpPatients = dmpDemoPatients([
    ...demoPracticeIdentities().map((p) => ({ insMatricule: p.insMatricule, identityStatus: p.identityStatus })),
    ...SANDBOX_INSI_IDENTITIES.map((p) => ({ insMatricule: p.matricule, identityStatus: 'RECUP' })),
  ]);
  const dmp = await startDmpStandIn({
    logger: logger.child('dmp'),
    patients: dmpPatients,
    ...(options.dataDir ? { dataDir: join(options.dataDir, 'dmp-simule') } : {}),
  });

  // The practice's mailboxes at the sandbox MSSanté operator: the organisational box (secretariat)
  // and each doctor's personal box. XOAUTH2 tokens are checked by introspection at the PSC stand-in.
  const practiceBox = `secretariat@${SANDBOX_MSSANTE_DOMAIN}`;
  const doctors = TEST_PROFESSIONALS.filter((p) => p.expectedRole === 'doctor');
  const staffUsernames = TEST_PROFESSIONALS.map((p) => p.mssanteAddress.slice(0, p.mssanteAddress.indexOf('@')));
  const mss = await startMssOperator({
    psc: { url: psc.introspection.url, clientId: psc.introspection.clientId, clientSecret: psc.introspection.clientSecret },
    mailboxes: [practiceBox, ...doctors.map((d) => d.mssanteAddress)],
    access: { [practiceBox]: staffUsernames },
    logger: logger.child('mss'),
  });
  const mail: MailboxServiceConfig = {
    imap: { host: mss.imap.host, port: mss.imap.port, sandboxPlaintext: true },
    smtp: { host: mss.smtp.host, port: mss.smtp.port, sandboxPlaintext: true },
    mailboxes: [
      { address: practiceBox, kind: 'organisational', label: 'Secrétariat du cabinet' },
      ...doctors.map((d) => ({ address: d.mssanteAddress, kind: 'personal' as const, label: `Dr ${d.givenName} ${d.familyName}`, ownerNationalId: d.nationalId })),
    ],
    pollIntervalMs: 15_000,
  };

  const approveAfter = options.autoApproveCibaAfterMs === undefined ? 1200 : options.autoApproveCibaAfterMs;
  const seen = new Map<string, number>();
  const autoApprove =
    approveAfter === null
      ? null
      : setInterval(() => {
          const now = Date.now();
          for (const request of psc.pendingCibaRequests()) {
            const first = seen.get(request.authReqId) ?? now;
            seen.set(request.authReqId, first);
            if (now - first >= approveAfter) psc.approveCiba(request.authReqId);
          }
        }, 200);
  autoApprove?.unref();

  const config: PracticeConfig = {
    mode: 'training',
    practice: { name: SANDBOX_PRACTICE_NAME, structureId: `3${SANDBOX_PRACTICE_SIRET}`, facilityTypeCode: 'SA07' },
    psc: { issuer: psc.issuer, clientId: psc.clientId, clientSecret: psc.clientSecret, allowInsecureLoopback: true },
    insi: { endpoint: insi.url },
    dmp: { endpoint: dmp.url },
    lockAfterMinutes: 120,
  };

  return {
    config,
    endpoints: [
      { name: 'psc', label: 'Pro Santé Connect (simulé)', url: psc.issuer },
      { name: 'insi', label: 'Téléservice INSi (simulé)', url: insi.url },
      { name: 'dmp', label: 'DMP (simulé)', url: dmp.url },
      { name: 'mss-imap', label: 'Opérateur MSSanté — IMAP (simulé)', url: `imap://${mss.imap.host}:${mss.imap.port}` },
      { name: 'mss-smtp', label: 'Opérateur MSSanté — SMTP (simulé)', url: `smtp://${mss.smtp.host}:${mss.smtp.port}` },
    ],
    testCards: TEST_PROFESSIONALS.map((p) => ({
      nationalId: p.nationalId,
      displayName: `${p.givenName} ${p.familyName} (${p.card})`,
      role: p.expectedRole,
    })),
    vitaleCards: SANDBOX_VITALE_CARDS.map((c) => ({
      nir: c.nir,
      holderName: c.holderName,
      beneficiaries: c.beneficiaries.map((b) => ({ birthDate: b.birthDate, rank: b.rank })),
    })),
    psc,
    insi,
    dmp,
    mss,
    mail,
    async deliverDemoMessages(patients) {
      if (mss.store.folder(practiceBox, 'INBOX')?.messages.length) return 0;
      const messages = await demoMessages(patients, { to: practiceBox });
      for (const m of messages) mss.deliver(practiceBox, m.raw);
      return messages.length;
    },
    registerIdentities: (list) => insi.addIdentities(list),
    async close() {
      if (autoApprove) clearInterval(autoApprove);
      await Promise.allSettled([psc.close(), insi.close(), dmp.close(), mss.close()]);
    },
  };
}
