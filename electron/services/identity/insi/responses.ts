import { AppError } from '../../../../shared/errors';
import { checkIns, isInsOid } from '../ins';
import { BIRTH_DATE, BIRTHPLACE_CODE, type InsiOperation } from './protocol';
import { asArray, pick, pickText } from './safe-xml';
import type { InsiIdentity, InsiResult } from './types';

/** What the UI shows for "no identity" (CR 01), per operation. */
export const INSI_NOT_FOUND_MESSAGES: Record<InsiOperation, string> = {
  traits:
    "Aucune identité trouvée par le téléservice INSi. Vérifiez les traits saisis (nom de naissance, premier prénom, date de naissance, sexe) ou utilisez la carte Vitale.",
  vitale:
    "Aucune identité trouvée pour ce bénéficiaire de la carte Vitale. Vérifiez la date de naissance et le rang, ou recherchez par les traits d'identité.",
};

/** What the UI shows for "several identities" (CR 02). */
export const INSI_SEVERAL_MESSAGE =
  'Plusieurs identités correspondent. Saisissez la liste complète des prénoms de naissance et le code du lieu de naissance, puis relancez la recherche.';

export interface SoapFaultInfo {
  code: string;
  subcode?: string;
  reason: string;
}

/** SOAP 1.2 Fault carried by the envelope, if any. */
export function readSoapFault(tree: unknown): SoapFaultInfo | null {
  const fault = pick(tree, 'Envelope', 'Body', 'Fault');
  if (fault === undefined) return null;
  const texts = asArray(pick(fault, 'Reason', 'Text')).filter((t): t is string => typeof t === 'string');
  const subcode = pickText(fault, 'Code', 'Subcode', 'Value');
  return {
    code: pickText(fault, 'Code', 'Value') ?? 'inconnu',
    ...(subcode ? { subcode } : {}),
    reason: texts[0] ?? pickText(fault, 'Reason') ?? 'motif non précisé',
  };
}

function remote(message: string, details?: unknown): AppError {
  return new AppError('REMOTE_SERVICE', message, details);
}

/** Turns a parsed (non-fault) INSi response envelope into a result; anything odd is REMOTE_SERVICE. */
export function interpretInsiResponse(tree: unknown, op: InsiOperation): InsiResult {
  const resultat = pick(tree, 'Envelope', 'Body', 'RESULTAT');
  if (resultat === undefined) throw remote("Réponse du téléservice INSi inattendue : élément RESULTAT absent.");
  const code = pickText(resultat, 'CR', 'CodeCR');
  switch (code) {
    case '00':
      return { code: '00', identity: readIdentity(pick(resultat, 'INDIVIDU')) };
    case '01':
      return { code: '01', message: INSI_NOT_FOUND_MESSAGES[op] };
    case '02':
      return { code: '02', message: INSI_SEVERAL_MESSAGE };
    default:
      throw remote(
        `Réponse du téléservice INSi inattendue (code ${code ?? 'absent'} : ${pickText(resultat, 'CR', 'LibelleCR') ?? 'sans libellé'}).`,
        { codeCR: code },
      );
  }
}

function readIdentity(individu: unknown): InsiIdentity {
  if (individu === undefined || Array.isArray(individu)) {
    throw remote('Réponse du téléservice INSi incohérente : code 00 sans identité unique.');
  }
  const num = pickText(individu, 'INSACTIF', 'IdIndividu', 'NumIdentifiant') ?? '';
  const key = pickText(individu, 'INSACTIF', 'IdIndividu', 'Cle') ?? '';
  const matricule = num + key;
  const check = checkIns(matricule);
  if (!check.ok) throw remote(`Le téléservice INSi a renvoyé un matricule INS invalide : ${check.reason}`);
  const oid = pickText(individu, 'INSACTIF', 'OID') ?? '';
  if (!isInsOid(oid)) throw remote(`Le téléservice INSi a renvoyé une autorité d'affectation inconnue (OID ${oid || 'absent'}).`);

  const birthName = pickText(individu, 'TIQ', 'NomNaissance')?.trim() ?? '';
  const birthGivenNames = (pickText(individu, 'TIQ', 'ListePrenom') ?? '').split(/\s+/).filter(Boolean);
  const sex = pickText(individu, 'TIQ', 'Sexe');
  const birthDate = pickText(individu, 'TIQ', 'DateNaissance') ?? '';
  // Left empty when INSi does not know the birthplace; the traits are then incomplete.
  const birthplaceCode = pickText(individu, 'TIQ', 'LieuNaissance')?.trim() ?? '';
  if (!birthName || birthGivenNames.length === 0 || (sex !== 'F' && sex !== 'M') || !BIRTH_DATE.test(birthDate)) {
    throw remote("Le téléservice INSi a renvoyé des traits d'identité incomplets ou mal formés.");
  }
  if (birthplaceCode && !BIRTHPLACE_CODE.test(birthplaceCode)) {
    throw remote(`Le téléservice INSi a renvoyé un code de lieu de naissance mal formé (${birthplaceCode}).`);
  }
  return { matricule, oid, birthName, birthGivenNames, birthDate, sex, birthplaceCode };
}
