import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { foldName } from '../../../shared/text/normalize';
import { requirePermission } from '../auth/permissions';
import type { AuditRepo } from '../store/audit-repo';
import type { Patient, PatientsRepo } from '../store/patients-repo';
import { checkIns, ID_DOCUMENT_LABELS, IDENTITY_STATUS_LABELS, isHighTrustDocument, isInsOid, statusFrom, type IdDocumentType } from './ins';
import type { InsiClient, InsiIdentity } from './insi';
import type { Actor } from './patients';

/**
 * Identity qualification, delegable to the secretariat: an INSi call (Vitale card or traits)
 * and the check of an identity document, each by the person at the desk under her own identity.
 * The INSi answer stays on the server (the screen only gets a reference to it), so a
 * qualification can only rest on what INSi really returned.
 */

export type InsiRequest =
  | { mode: 'vitale'; nir: string; birthDate: string; rank?: number }
  | { mode: 'traits'; birthplaceCode?: string | undefined; extraGivenNames?: string[] | undefined };

export interface TraitDifference {
  trait: string;
  local: string;
  insi: string;
}

export type InsiOutcome =
  | { code: '00'; resultId: string; identity: InsiIdentity; differences: TraitDifference[] }
  | { code: '01' | '02'; message: string };

const RESULT_TTL_MS = 30 * 60_000;

function differencesBetween(local: Patient, insi: InsiIdentity): TraitDifference[] {
  const out: TraitDifference[] = [];
  const same = (a: string, b: string) => foldName(a) === foldName(b);
  if (!same(local.birthName, insi.birthName)) out.push({ trait: 'Nom de naissance', local: local.birthName, insi: insi.birthName });
  if (!same(local.birthGivenNames.join(' '), insi.birthGivenNames.join(' '))) {
    out.push({ trait: 'Prénoms de naissance', local: local.birthGivenNames.join(' '), insi: insi.birthGivenNames.join(' ') });
  }
  if (local.birthDate !== insi.birthDate) out.push({ trait: 'Date de naissance', local: local.birthDate, insi: insi.birthDate });
  if (local.sex !== insi.sex) out.push({ trait: 'Sexe', local: local.sex, insi: insi.sex });
  if ((local.birthplaceCode ?? '') !== insi.birthplaceCode) {
    out.push({ trait: 'Lieu de naissance', local: local.birthplaceCode ?? '—', insi: insi.birthplaceCode || '—' });
  }
  return out;
}

function capitalisedGiven(names: string[]): string[] {
  return names.map((n) => n.toLowerCase().replace(/(^|[\s-])\p{L}/gu, (m) => m.toUpperCase()));
}

export interface QualificationDeps {
  patients: PatientsRepo;
  audit: AuditRepo;
  insi: InsiClient | null;
  transaction: <T>(fn: () => T) => T;
  /** Called after a patient row changed (search index, events). */
  onPatientChanged: (patient: Patient) => void;
  now?: () => number;
}

export function createQualificationService(deps: QualificationDeps) {
  const { patients, audit, insi, transaction } = deps;
  const now = deps.now ?? Date.now;
  const results = new Map<string, { patientId: number; identity: InsiIdentity; at: number; by: number }>();

  const load = (id: number): Patient => {
    const p = patients.get(id);
    if (!p) throw new AppError('NOT_FOUND', 'Patient introuvable.');
    return p;
  };

  return {
    /** Calls INSi for the patient; 00 keeps the answer server-side for `qualify`. */
    async searchInsi(actor: Actor & { nationalId: string }, patientId: number, request: InsiRequest): Promise<InsiOutcome> {
      requirePermission(actor, 'identity.qualify');
      if (!insi) throw new AppError('REMOTE_SERVICE', 'Le téléservice INSi n’est pas configuré sur ce poste.');
      const patient = load(patientId);
      const ctx = { professionalId: actor.nationalId };
      const result =
        request.mode === 'vitale'
          ? await insi.searchWithVitale({ nir: request.nir, birthDate: request.birthDate, ...(request.rank ? { rank: request.rank } : {}) }, ctx)
          : await insi.searchWithTraits(
              {
                birthName: patient.birthName,
                givenNames: request.extraGivenNames?.length ? request.extraGivenNames : patient.birthGivenNames,
                birthDate: patient.birthDate,
                sex: patient.sex,
                ...((request.birthplaceCode ?? patient.birthplaceCode) ? { birthplaceCode: (request.birthplaceCode ?? patient.birthplaceCode)! } : {}),
              },
              ctx,
            );
      audit.append(actor, 'identite.insi', patientId, { mode: request.mode, resultat: result.code });
      if (result.code !== '00') return { code: result.code, message: result.message };
      if (!checkIns(result.identity.matricule).ok || !isInsOid(result.identity.oid)) {
        throw new AppError('REMOTE_SERVICE', 'INSi a renvoyé une INS invalide : qualification impossible.');
      }
      for (const [key, value] of results) if (now() - value.at > RESULT_TTL_MS) results.delete(key);
      const resultId = randomUUID();
      results.set(resultId, { patientId, identity: result.identity, at: now(), by: actor.userId });
      return { code: '00', resultId, identity: result.identity, differences: differencesBetween(patient, result.identity) };
    },

    /**
     * Records the evidence and sets the status: INSi answer + high-trust ID document → QUAL;
     * INSi only → RECUP; document only → VALI. The INSi traits become the identity's strict traits.
     */
    qualify(actor: Actor, patientId: number, evidence: { insiResultId: string | null; idDocument: IdDocumentType | null }): Patient {
      requirePermission(actor, 'identity.qualify');
      const before = load(patientId);
      let insiIdentity: InsiIdentity | null = null;
      if (evidence.insiResultId) {
        const stored = results.get(evidence.insiResultId);
        if (!stored || stored.patientId !== patientId || now() - stored.at > RESULT_TTL_MS) {
          throw new AppError('VALIDATION', 'Résultat INSi introuvable ou expiré : relancez l’appel au téléservice.');
        }
        insiIdentity = stored.identity;
        const holder = patients.findByIns(insiIdentity.matricule);
        if (holder && holder.id !== patientId) {
          throw new AppError('CONFLICT', `Cette INS est déjà portée par un autre dossier (n° ${holder.id}) : doublon probable à traiter avant qualification.`);
        }
      }
      const highTrust = evidence.idDocument ? isHighTrustDocument(evidence.idDocument) : false;
      // Evidence already on record still counts (e.g. document checked yesterday, INSi today).
      const previousInsi = before.identityStatus === 'RECUP' || before.identityStatus === 'QUAL';
      const previousDoc = before.identityStatus === 'VALI' || before.identityStatus === 'QUAL';
      const status = statusFrom({ insiVerified: !!insiIdentity || previousInsi, highTrustDocumentChecked: highTrust || previousDoc });
      if (!insiIdentity && !evidence.idDocument) throw new AppError('VALIDATION', 'Indiquez la pièce d’identité vérifiée ou appelez INSi.');

      const updated: Patient = insiIdentity
        ? {
            ...before,
            birthName: insiIdentity.birthName,
            birthGivenNames: capitalisedGiven(insiIdentity.birthGivenNames),
            birthDate: insiIdentity.birthDate,
            sex: insiIdentity.sex,
            birthplaceCode: insiIdentity.birthplaceCode || before.birthplaceCode,
            insMatricule: insiIdentity.matricule,
            insOid: insiIdentity.oid,
            identityStatus: status,
          }
        : { ...before, identityStatus: status };

      const evidenceNote = {
        ...(insiIdentity ? { insi: '00' } : {}),
        ...(evidence.idDocument ? { pieceIdentite: evidence.idDocument } : {}),
      };
      transaction(() => {
        patients.update(patientId, updated);
        patients.addIdentityEvent(patientId, {
          at: new Date(now()).toISOString(),
          userId: actor.userId,
          fromStatus: before.identityStatus,
          toStatus: status,
          reason:
            status === before.identityStatus
              ? 'Vérification enregistrée'
              : `${IDENTITY_STATUS_LABELS[status]}${evidence.idDocument ? ` — pièce vérifiée : ${ID_DOCUMENT_LABELS[evidence.idDocument]}` : ''}${insiIdentity ? ' — INS vérifiée par INSi' : ''}`,
          evidence: JSON.stringify(evidenceNote),
        });
        audit.append(actor, 'identite.qualification', patientId, { de: before.identityStatus, vers: status, ...evidenceNote });
      });
      if (evidence.insiResultId) results.delete(evidence.insiResultId);
      const after = load(patientId);
      deps.onPatientChanged(after);
      return after;
    },
  };
}

export type QualificationService = ReturnType<typeof createQualificationService>;
