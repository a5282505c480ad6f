import { buildCdaN1, type BuiltCda } from '../../services/cda/build-n1';
import type { CdaAuthor, CdaPatient, Practice } from '../../services/dmp/types';
import { INS_OIDS, type IdentityStatus } from '../../services/identity/ins';
import { composeMssMessage, frenchDate, type PatientIdentity } from '../../services/mail/send/compose';
import { buildIntegrationMdn } from '../../services/mail/send/mdn';
import { demoInsFor } from '../demo-identities';
import { SANDBOX_MSSANTE_DOMAIN } from '../psc-professionals';
import { simplePdf } from './pdf';

/**
 * About twelve realistic messages for the training sandbox's mailbox, built from the seeded demo
 * patients so that the worklist shows every case: automatic integration (qualified INS matching
 * a QUAL identity), proposal (local identity not qualified), conflict (INS of a local patient with
 * other traits), unknown patient, replacement (action C), deletion (action D), a plain PDF letter,
 * a message without attachment and an integration receipt. Senders and identifiers are fictitious.
 */

export interface DemoPatient {
  birthName: string;
  birthGivenNames: string[];
  /** YYYY-MM-DD */
  birthDate: string;
  sex: 'F' | 'M';
  insMatricule: string | null;
  insOid: string | null;
  identityStatus: IdentityStatus;
  birthplaceCode?: string | null;
  usedName?: string | null;
}

export type DemoScenario = 'auto' | 'proposed' | 'conflict' | 'none' | 'replace' | 'delete' | 'pdf-only' | 'no-document' | 'mdn';

export interface DemoMessage {
  raw: Buffer;
  from: string;
  subject: string;
  /** What the worklist is expected to do with it. */
  scenario: DemoScenario;
  description: string;
}

interface Sender {
  address: string;
  displayName: string;
  author: CdaAuthor;
  practice: Practice;
  software: string;
}

const sender = (address: string, displayName: string, author: Omit<CdaAuthor, 'professionCode'> & { professionCode?: string }, practice: Omit<Practice, 'facilityTypeCode' | 'practiceSettingCode'>, software: string): Sender => ({
  address,
  displayName,
  author: { professionCode: '10', ...author },
  practice: { facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE', ...practice },
  software,
});

const CARDIOLOGUE = sender('helene.roussel@cardio-jaude.mssante.fr', 'Dr Hélène ROUSSEL (cardiologie)',
  { nationalId: '810001234561', familyName: 'ROUSSEL', givenName: 'Hélène', specialtyCode: 'SM04' },
  { name: 'Cabinet de cardiologie Jaude', structureId: '399999999900101', address: { houseNumber: '4', streetName: 'place de Jaude', postalCode: '63000', city: 'Clermont-Ferrand' } },
  'CardioSoft/7.4');
const LABORATOIRE = sender('resultats@biomed-auvergne.mssante.fr', 'Laboratoire BIOMED Auvergne',
  { nationalId: '810002345672', familyName: 'FAURE', givenName: 'Marc', specialtyCode: 'SM26' },
  { name: 'Laboratoire BIOMED Auvergne', structureId: '399999999900202' },
  'BioLIS/3.1');
const HOPITAL = sender('sortie.medecine@ch-demo.mssante.fr', 'Centre hospitalier de démonstration — médecine interne',
  { nationalId: '810003456712', familyName: 'LEMOINE', givenName: 'Anne', specialtyCode: 'SM26' },
  { name: 'Centre hospitalier de démonstration', structureId: '1999999998', address: { streetName: 'boulevard Léon Malfreyt', postalCode: '63000', city: 'Clermont-Ferrand' } },
  'DPI-Hospitalier/12.0');
const IMAGERIE = sender('compte-rendu@imagerie-parc.mssante.fr', 'Imagerie médicale du Parc',
  { nationalId: '810004567823', familyName: 'GIRAUD', givenName: 'Paul', specialtyCode: 'SM44' },
  { name: 'Imagerie médicale du Parc', structureId: '399999999900303' },
  'RIS-Parc/4.2');
const CONFRERE = sender('jean.blanc@medecin.mssante.fr', 'Dr Jean BLANC', { nationalId: '810005678934', familyName: 'BLANC', givenName: 'Jean', specialtyCode: 'SM26' },
  { name: 'Cabinet du Dr Blanc', structureId: '399999999900404' }, 'MedicoLogiciel/2026.1');

const FICTIONAL: DemoPatient = {
  birthName: 'LEBRETON', birthGivenNames: ['Odile', 'Marie'], birthDate: '1951-04-12', sex: 'F',
  insMatricule: null, insOid: null, identityStatus: 'QUAL', birthplaceCode: '35238',
};

function insOf(p: DemoPatient, order: number): { matricule: string; oid: string } {
  if (p.insMatricule) return { matricule: p.insMatricule, oid: p.insOid ?? INS_OIDS.NIR_DEMO };
  return { matricule: demoInsFor(p.sex, p.birthDate, p.birthplaceCode ?? '63113', order), oid: INS_OIDS.NIR_DEMO };
}

function label(p: DemoPatient): string {
  return `${p.usedName ?? p.birthName} ${p.birthGivenNames[0] ?? ''}`.trim();
}

let ippCounter = 7000;

/** The patient as the sender's software knows it: a qualified identity carrying the INS. */
function senderView(p: DemoPatient, ins: { matricule: string; oid: string }, overrides: Partial<DemoPatient> = {}): CdaPatient {
  const q = { ...p, ...overrides };
  return {
    insMatricule: ins.matricule,
    insOid: ins.oid,
    identityStatus: 'QUAL',
    birthName: q.birthName,
    birthGivenNames: q.birthGivenNames,
    ...(q.usedName ? { usedName: q.usedName } : {}),
    birthDate: q.birthDate,
    sex: q.sex,
    birthplaceCode: q.birthplaceCode ?? '63113',
    localId: `IPP-${++ippCounter}`,
  };
}

const identityFor = (c: CdaPatient): PatientIdentity => ({
  status: 'QUAL', insMatricule: c.insMatricule, insOid: c.insOid, birthName: c.birthName, birthGivenNames: c.birthGivenNames, birthDate: c.birthDate, sex: c.sex,
});

export async function demoMessages(patients: DemoPatient[], options: { to?: string; now?: Date } = {}): Promise<DemoMessage[]> {
  const to = options.to ?? `claire.martin@${SANDBOX_MSSANTE_DOMAIN}`;
  const now = options.now ?? new Date();
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
  const qual = patients.filter((p) => p.identityStatus === 'QUAL' && p.insMatricule);
  const nonQual = patients.filter((p) => p.identityStatus !== 'QUAL');
  const A = qual[0] ?? FICTIONAL;
  const B = qual[1] ?? A;
  const C = qual[2] ?? A;
  const D = nonQual[0] ?? { ...FICTIONAL, birthName: 'MOREL', birthGivenNames: ['Lucas'], sex: 'M' as const, birthDate: '1988-09-30', identityStatus: 'PROV' as const };
  const E = nonQual[1] ?? D;
  const out: DemoMessage[] = [];

  const withDocument = async (s: Sender, at: Date, typeCode: string, title: string, patient: CdaPatient, paragraphs: string[], opts: {
    scenario: DemoScenario; description: string; replaces?: BuiltCda; action?: 'D'; reuse?: BuiltCda; text?: string;
    /** The sender asks for an integration receipt (Disposition-Notification-To). */
    receipt?: boolean;
  }): Promise<BuiltCda> => {
    const pdf = simplePdf({
      title,
      subtitle: [
        `${s.practice.name} — ${s.author.givenName} ${s.author.familyName}`,
        `Patient : ${patient.birthName} ${patient.birthGivenNames.join(' ')}, né(e) le ${frenchDate(patient.birthDate)}`,
        `Date : ${at.toLocaleDateString('fr-FR')}`,
      ],
      paragraphs,
      footer: 'Document fictif du bac à sable LGC Ségur — aucune donnée réelle.',
    });
    const cda = opts.reuse ?? buildCdaN1({
      pdf, typeCode, title, patient, author: s.author, practice: s.practice, effectiveTime: at,
      ...(opts.replaces ? { replaces: { id: opts.replaces.id, setId: opts.replaces.setId, versionNumber: opts.replaces.versionNumber } } : {}),
    });
    const composed = await composeMssMessage({
      from: { address: s.address, name: s.displayName },
      to: [{ kind: 'professional', address: to }],
      text: opts.text ?? `Bonjour,\n\nVeuillez trouver ci-joint : ${title.toLowerCase()} concernant ${patient.birthName} ${patient.birthGivenNames[0]}.\n\nBien confraternellement,\n${s.author.givenName} ${s.author.familyName}\n`,
      document: {
        cda: cda.xml, pdf, pdfFilename: `${title.replace(/[^A-Za-z0-9]+/g, '_')}.pdf`, patient: identityFor(patient), label: title,
        ...(opts.action ? { action: opts.action } : {}),
      },
      softwareReference: s.software,
      ...(opts.receipt ? { readReceipt: true } : {}),
      now: () => at,
    });
    out.push({ raw: composed.raw, from: s.address, subject: composed.subject, scenario: opts.scenario, description: opts.description });
    return cda;
  };

  // 1. Colleague: compte rendu de consultation, qualified INS of a QUAL patient → automatic.
  await withDocument(CARDIOLOGUE, hoursAgo(70), '11488-4', 'Compte rendu de consultation de cardiologie', senderView(A, insOf(A, 901)), [
    'Motif : bilan de palpitations, adressé par son médecin traitant.',
    'Examen clinique : TA 128/76 mmHg, FC 72/min, auscultation cardiaque normale. ECG : rythme sinusal, pas de trouble de conduction.',
    'Holter ECG des 24 heures : extrasystoles auriculaires isolées, pas de trouble du rythme soutenu.',
    'Conclusion : palpitations bénignes. Pas de traitement. Réévaluation si récidive symptomatique.',
  ], { scenario: 'auto', description: 'Compte rendu de consultation d’un confrère, INS qualifié d’un patient QUAL, accusé de traitement demandé', receipt: true });

  // 2. Laboratory: CR de biologie → automatic; its corrected version follows (action C).
  const biologie = await withDocument(LABORATOIRE, hoursAgo(50), '11502-2', "Compte rendu d'examens biologiques", senderView(B, insOf(B, 902)), [
    'Hémogramme : hémoglobine 13,2 g/dL ; leucocytes 6,8 G/L ; plaquettes 245 G/L.',
    'Biochimie : créatinine 82 µmol/L (DFG CKD-EPI 78 mL/min/1,73 m²) ; glycémie à jeun 5,9 mmol/L ; HbA1c 6,4 %.',
    'Bilan lipidique : cholestérol total 5,6 mmol/L ; LDL 3,7 mmol/L ; HDL 1,3 mmol/L ; triglycérides 1,4 mmol/L.',
  ], { scenario: 'auto', description: 'CR de biologie d’un laboratoire, INS qualifié' });

  // 3. Hospital: lettre de liaison à la sortie → automatic.
  await withDocument(HOPITAL, hoursAgo(46), '11490-0', 'Lettre de liaison à la sortie', senderView(C, insOf(C, 903)), [
    'Hospitalisation du 3 au 7 en médecine interne pour pneumopathie communautaire du lobe inférieur droit.',
    'Traitement de sortie : amoxicilline 1 g trois fois par jour jusqu’à J7, paracétamol si besoin.',
    'Suivi : consultation chez le médecin traitant sous 8 jours, radiographie thoracique de contrôle à 6 semaines.',
  ], { scenario: 'auto', description: 'Lettre de liaison de sortie d’hôpital' });

  // 4. Hospital: synthèse d'hospitalisation for a patient whose local identity is not qualified → proposal.
  await withDocument(HOPITAL, hoursAgo(30), '34133-9', "Synthèse d'épisode de soins (hospitalisation)", senderView(D, insOf(D, 904)), [
    'Séjour de 48 heures pour surveillance après malaise vagal avec perte de connaissance brève.',
    'Bilan : ECG, troponine et ionogramme normaux. Scanner cérébral sans anomalie.',
    'Conclusion : syncope vasovagale typique. Conseils hygiéno-diététiques, pas de restriction de conduite.',
  ], { scenario: 'proposed', description: 'Synthèse d’hospitalisation, identité locale non qualifiée : rapprochement proposé' });

  // 5. Imaging report → automatic (it is deleted by message 8).
  const imagerie = await withDocument(IMAGERIE, hoursAgo(26), '18748-4', "Compte rendu d'imagerie médicale", senderView(A, insOf(A, 901)), [
    'Échographie abdominale : foie de taille normale, d’échostructure homogène. Vésicule alithiasique.',
    'Reins de taille normale, sans dilatation des cavités. Pas d’épanchement.',
    'Conclusion : examen normal.',
  ], { scenario: 'auto', description: 'CR d’imagerie (sera supprimé par l’émetteur)' });

  // 6. Corrected lab report (replacement, action C).
  await withDocument(LABORATOIRE, hoursAgo(20), '11502-2', "Compte rendu d'examens biologiques (version corrigée)", senderView(B, insOf(B, 902)), [
    'Version corrigée : la glycémie à jeun est de 6,9 mmol/L (et non 5,9 mmol/L). HbA1c 6,4 %.',
    'Les autres résultats sont inchangés.',
  ], { scenario: 'replace', description: 'Nouvelle version du CR de biologie (remplacement, action C)', replaces: biologie });

  // 7. A plain PDF referral letter, no XDM.
  {
    const at = hoursAgo(18);
    const pdf = simplePdf({
      title: "Lettre d'adressage",
      subtitle: [`Dr Jean BLANC — médecine générale`, `Concerne : ${label(E)}, né(e) le ${frenchDate(E.birthDate)}`],
      paragraphs: [
        'Cher confrère,',
        'Je vous adresse ce patient que j’ai vu en remplacement pour une lombalgie aiguë sans signe de gravité. Je lui ai prescrit du paracétamol et du repos relatif.',
        'Merci de le revoir à distance si les douleurs persistent au-delà de quatre semaines.',
        'Bien confraternellement.',
      ],
    });
    const composed = await composeMssMessage({
      from: { address: CONFRERE.address, name: CONFRERE.displayName },
      to: [{ kind: 'professional', address: to }],
      subject: `Lettre d'adressage ${E.birthName} ${E.birthGivenNames[0] ?? ''}`,
      text: 'Bonjour,\n\nCi-joint ma lettre concernant notre patient commun.\n\nBien confraternellement,\nJean Blanc\n',
      attachments: [{ filename: 'Lettre_adressage.pdf', content: pdf, contentType: 'application/pdf' }],
      softwareReference: CONFRERE.software,
      now: () => at,
    });
    out.push({ raw: composed.raw, from: CONFRERE.address, subject: composed.subject, scenario: 'pdf-only', description: 'Lettre d’adressage en PDF simple, sans IHE_XDM : à classer manuellement' });
  }

  // 8. Deletion of the imaging report (action D, same document id).
  await withDocument(IMAGERIE, hoursAgo(12), '18748-4', "Compte rendu d'imagerie médicale (annulation)", senderView(A, insOf(A, 901)), [
    'Ce compte rendu a été adressé par erreur : merci de le supprimer du dossier.',
  ], {
    scenario: 'delete', description: 'Suppression du CR d’imagerie par l’émetteur (action D)', reuse: imagerie, action: 'D',
    text: 'Bonjour,\n\nLe compte rendu d’échographie adressé précédemment concernait un autre patient : merci de ne pas en tenir compte.\n\nImagerie médicale du Parc\n',
  });

  // 9. A message without attachment.
  {
    const at = hoursAgo(9);
    const composed = await composeMssMessage({
      from: { address: CARDIOLOGUE.address, name: CARDIOLOGUE.displayName },
      to: [{ kind: 'professional', address: to }],
      subject: `Rendez-vous de contrôle de ${label(A)}`,
      text: `Chère consœur,\n\nJe souhaiterais revoir ${label(A)} dans trois mois avec un nouveau Holter. Mon secrétariat prendra contact avec le patient.\n\nBien confraternellement,\nHélène Roussel\n`,
      softwareReference: CARDIOLOGUE.software,
      now: () => at,
    });
    out.push({ raw: composed.raw, from: CARDIOLOGUE.address, subject: composed.subject, scenario: 'no-document', description: 'Message sans pièce jointe' });
  }

  // 10. A qualified INS that matches no local patient.
  await withDocument(LABORATOIRE, hoursAgo(6), '11502-2', "Compte rendu d'examens biologiques", senderView(FICTIONAL, insOf(FICTIONAL, 905)), [
    'TSH 2,1 mUI/L ; T4 libre 14 pmol/L.',
    'Ferritine 48 µg/L.',
  ], { scenario: 'none', description: 'INS qualifié d’un patient inconnu du cabinet, accusé de traitement demandé', receipt: true });

  // 11. The INS of a local QUAL patient with other traits (birth date) → conflict.
  {
    const bad = B.birthDate.replace(/-(\d{2})$/, (_m, d: string) => `-${String((Number(d) % 28) + 1).padStart(2, '0')}`);
    await withDocument(CARDIOLOGUE, hoursAgo(4), '11488-4', 'Compte rendu de consultation de cardiologie', senderView(B, insOf(B, 902), { birthDate: bad }), [
      'Consultation de suivi d’hypertension artérielle. TA 142/88 mmHg au cabinet, automesure moyenne 136/84 mmHg.',
      'Majoration du traitement : amlodipine 5 mg le soir. Contrôle dans deux mois.',
    ], { scenario: 'conflict', description: 'INS d’un patient du cabinet avec une date de naissance différente : conflit' });
  }

  // 12. A second proposal: lab report for another non-qualified local identity.
  await withDocument(LABORATOIRE, hoursAgo(2), '11502-2', "Compte rendu d'examens biologiques", senderView(E, insOf(E, 906)), [
    'INR 2,6 (zone thérapeutique 2-3) sous AVK.',
    'Prochain contrôle dans 15 jours.',
  ], { scenario: 'proposed', description: 'CR de biologie, identité locale non qualifiée : rapprochement proposé' });

  // 13. An integration receipt for a message the practice sent earlier.
  {
    const mdn = buildIntegrationMdn({
      from: CARDIOLOGUE.address,
      to,
      originalMessageId: `<demo-envoi-1@${SANDBOX_MSSANTE_DOMAIN}>`,
      originalSubject: `XDM/1.0/DDM+Lettre d'adressage ${A.birthName} ${A.birthGivenNames[0] ?? ''}`,
      result: { ok: true },
      softwareReference: CARDIOLOGUE.software,
      now: () => hoursAgo(1),
    });
    out.push({ raw: mdn.raw, from: CARDIOLOGUE.address, subject: mdn.subject, scenario: 'mdn', description: 'Accusé de traitement (MDN) d’un envoi du cabinet' });
  }

  return out;
}
