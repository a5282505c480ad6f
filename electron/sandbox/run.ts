import type { PracticeConfig } from '../services/config/practice-config';
import type { Logger } from '../services/log/logger';
import { SANDBOX_INSI_IDENTITIES, SANDBOX_VITALE_CARDS, type InsiSandboxIdentity } from './insi-identities';
import { startInsiStandIn, type InsiStandIn } from './insi-service';
import { SANDBOX_PRACTICE_NAME, SANDBOX_PRACTICE_SIRET, TEST_PROFESSIONALS } from './psc-professionals';
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
  /** Teaches the INSi stand-in the identities of seeded patients. */
  registerIdentities(list: InsiSandboxIdentity[]): void;
  close(): Promise<void>;
}

export interface SandboxOptions {
  logger: Logger;
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
    lockAfterMinutes: 120,
  };

  return {
    config,
    endpoints: [
      { name: 'psc', label: 'Pro Santé Connect (simulé)', url: psc.issuer },
      { name: 'insi', label: 'Téléservice INSi (simulé)', url: insi.url },
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
    registerIdentities: (list) => insi.addIdentities(list),
    async close() {
      if (autoApprove) clearInterval(autoApprove);
      await Promise.allSettled([psc.close(), insi.close()]);
    },
  };
}
