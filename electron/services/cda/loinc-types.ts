import { AppError } from '../../../shared/errors';

/**
 * Document types (CDA `code` = XDS typeCode) and the DMP classCode derived from them.
 * Labels are the displayNames of JDV_J07_XdsTypeCode_CISIS (1.2.250.1.213.1.1.5.471).
 * classCode: TRE_A03_ClasseDocument (1.2.250.1.213.1.1.4.1), derived through ASS_X04;
 * `classConfirmed` tells whether the pair was seen in ANS material (XDM examples of
 * TestContenuCDA) — see docs/dmp.md.
 */
export const LOINC_OID = '2.16.840.1.113883.6.1';
export const CLASS_CODE_SCHEME = '1.2.250.1.213.1.1.4.1';

export const CLASS_LABELS: Readonly<Record<string, string>> = {
  '10': 'Compte rendu',
  '11': 'Synthèse',
  '31': 'Imagerie médicale',
  '42': 'Prescription',
  '43': 'Dispensation',
  '44': 'Plan de soins, protocole de soins',
  '45': 'Traitement administré',
  '52': 'Certificat, déclaration',
  '60': 'Données de remboursement',
  '90': 'Autres documents déposés par le patient',
  '95': 'Document de gestion',
  '99': 'Document technique',
};

export interface DocumentTypeDef {
  /** LOINC code (CDA code, XDS typeCode). */
  code: string;
  /** Official displayName (JDV_J07). */
  displayName: string;
  /** Default document title shown to people. */
  title: string;
  classCode: string;
  classConfirmed: boolean;
}

/** What a city doctor produces and may send to the DMP. */
export const PRODUCED_DOCUMENT_TYPES: readonly DocumentTypeDef[] = [
  { code: '11488-4', displayName: 'CR ou fiche de consultation ou de visite', title: 'Compte rendu de consultation', classCode: '10', classConfirmed: true },
  { code: '34133-9', displayName: "Synthèse d'épisode de soins", title: "Synthèse d'épisode de soins", classCode: '11', classConfirmed: true },
  { code: '60591-5', displayName: 'Synthèse médicale', title: 'Synthèse médicale', classCode: '11', classConfirmed: true },
  { code: '96349-6', displayName: "Lettre d'adressage", title: "Lettre d'adressage", classCode: '10', classConfirmed: false },
  { code: '57833-6', displayName: 'Prescription de produits de santé', title: 'Prescription de produits de santé', classCode: '42', classConfirmed: true },
  { code: '57832-8', displayName: 'Prescription de soins', title: 'Prescription de soins', classCode: '42', classConfirmed: false },
  { code: '57828-6', displayName: 'Prescription (autre)', title: 'Prescription', classCode: '42', classConfirmed: false },
  { code: '89601-9', displayName: 'Certificat médical', title: 'Certificat médical', classCode: '52', classConfirmed: false },
  { code: '18776-5', displayName: 'Plan personnalisé de soins', title: 'Plan personnalisé de soins', classCode: '44', classConfirmed: true },
];

/** Pairs of received types also seen in ANS examples, used to classify what comes back from the DMP. */
const OTHER_CLASS_CODES: Readonly<Record<string, string>> = {
  '11490-0': '10', '11502-2': '10', '18748-4': '31', '34794-8': '10', '51969-4': '10', '55115-0': '42',
  '57057-2': '10', '60280-5': '11', '74207-2': '11', '75492-9': '10', '75496-0': '10', '77436-4': '10',
  '78489-2': '10', '85208-7': '10', '87273-9': '52', '89235-6': '10', '96173-0': '52',
};

/** LOINC (and ANS complementary) document type labels, from JDV_J07_XdsTypeCode_CISIS. */
const TYPE_LABELS: Readonly<Record<string, string>> = {
  '11369-6': 'Historique des vaccinations',
  '11488-4': 'CR ou fiche de consultation ou de visite',
  '11490-0': "Lettre de liaison à la sortie d'un établissement de soins",
  '11502-2': "CR d'examens biologiques",
  '11505-5': "CR d'acte thérapeutique (autre)",
  '11506-3': 'CR ou fiche de suivi de soins par auxiliaire médical',
  '15507-7': 'CR de passage aux urgences',
  '15508-5': "CR d'accouchement",
  '18776-5': 'Plan personnalisé de soins',
  '18748-4': "CR d'imagerie médicale",
  '18761-7': "Note de transfert (dont lettre de liaison à l'entrée en établissement de soins)",
  '28617-9': 'Bilan bucco-dentaire',
  '28653-4': 'Document du secteur social / médico-social',
  '29274-8': 'Mesures de signes vitaux',
  '34112-3': 'CR hospitalier (séjour)',
  '34120-6': 'Bilan par professionnel de santé',
  '34133-9': "Synthèse d'épisode de soins",
  '34749-2': 'CR de consultation pré-anesthésique',
  '34794-8': 'CR de réunion de concertation pluridisciplinaire',
  '34842-5': "Grille d'évaluation médico-social",
  '34874-8': 'CR opératoire',
  '34875-5': 'Évaluation postopératoire et note de suivi',
  '34876-3': 'Évaluation préopératoire et note de suivi',
  '34895-3': "Fiche d'information au patient",
  '47420-5': 'CR de bilan fonctionnel',
  '51851-4': 'Document administratif',
  '51969-4': 'CR de génétique moléculaire',
  '52040-3': "Document encapsulant une image d'illustration non DICOM",
  '55115-0': "Demande d'actes d'imagerie",
  '55751-2': 'Déclaration de problème de santé publique',
  '56445-0': 'Bilan médicamenteux (Officine)',
  '56446-8': 'Notification de rendez-vous',
  '57055-6': 'Synthèse antepartum',
  '57057-2': 'Synthèse Salle de Naissance Mère',
  '57075-4': 'Synthèse Salle de Naissance Enfant',
  '57828-6': 'Prescription (autre)',
  '57832-8': 'Prescription de soins',
  '57833-6': 'Prescription de produits de santé',
  '59283-2': "CR d'examen de l'enfant",
  '59284-0': 'Attestation de consentement',
  '60280-5': 'Fiche de retour du service des urgences',
  '60568-3': "CR d'anatomie et de cytologie pathologiques",
  '60591-5': 'Synthèse médicale',
  '60593-1': 'Dispensation médicamenteuse',
  '61357-0': 'Intervention pharmaceutique',
  '67851-6': "CR d'admission",
  '68599-0': 'Synthèse psychiatrique',
  '68814-3': "Note d'évaluation pédiatrique",
  '68817-6': "Bilan de santé et de prévention de l'enfant",
  '70004-7': "CR d'acte diagnostique (autre)",
  '74207-2': "Document de liaison d'urgence",
  '74465-6': 'Questionnaire patient',
  '75468-9': 'Renouvellement ordonnance par pharmacien correspondant',
  '75482-0': "CR d'acte thérapeutique à visée préventive",
  '75492-9': "CR d'acte diagnostique à visée préventive ou de dépistage",
  '75496-0': "Demande d'acte de télémédecine",
  '77436-4': "CR d'anesthésie",
  '77604-7': 'Planification thérapeutique',
  '78341-5': 'Fiche de transfert vers le service des urgences',
  '78489-2': 'Synthèse Enfant en Maternité',
  '78513-9': 'CR de consultation en ophtalmologie',
  '78601-2': "CR d'entretien pharmaceutique",
  '80565-5': "CR d'administration de médicaments",
  '80771-9': "Projet d'accueil individualisé",
  '80788-3': "Projet personnalisé d'accompagnement",
  '80820-4': 'Formulaire de conciliation médicamenteuse (Hôpital)',
  '83836-7': 'Schéma dentaire',
  '83869-8': 'Plan personnalisé de prévention',
  '83901-9': 'Bilan psychologique',
  '83963-9': 'Synthèse environnementale',
  '83981-1': "Lettre de liaison à la sortie d'une structure sociale ou médico-sociale",
  '84067-8': 'Synthèse transfusionnelle',
  '85208-7': 'CR de télémédecine',
  '86531-1': 'Attestation de sortie',
  '87273-9': 'Note de vaccination',
  '88348-8': "Lettre de liaison d'entrée en structure sociale ou médico-sociale",
  '89233-1': 'CR de grossesse',
  '89235-6': 'Synthèse Suites de Couches Mère',
  '89601-9': 'Certificat médical',
  '93024-8': 'CR de consultation pharmaceutique',
  '96163-1': 'Bilan de soins infirmiers',
  '96173-0': "Test rapide d'orientation diagnostique",
  '96349-6': "Lettre d'adressage",
  '96874-3': 'COVID-19 Attestation de vaccination',
  '97694-4': "Note d'évaluation en médecine maternelle et fœtale",
  '100967-9': 'Rythme cardiaque fœtal',
  '101881-1': "Carte d'implant",
  // ANS complementary types (TRE_A05, 1.2.250.1.213.1.1.4.12), also carried in typeCode.
  'CERT_DECL': 'Certificat, déclaration',
  'PROT_ALD': 'Protocole de soins ALD',
  'REMB': 'Données de remboursement',
  'SYNTH': 'Synthèse',
  'EXPPAT_1': 'Volontés et droits du patient',
  'EXPPAT_2': 'Autre document du patient',
  'EXPPAT_3': 'Directives anticipées',
};

export function documentType(code: string): DocumentTypeDef | undefined {
  return PRODUCED_DOCUMENT_TYPES.find((t) => t.code === code);
}

/** French label of a received document's type code, undefined when unknown. */
export function labelForLoinc(code: string): string | undefined {
  return TYPE_LABELS[code.trim()];
}

/** DMP classCode derived from a typeCode; refuses types the practice does not know how to classify. */
export function classCodeFor(typeCode: string): { code: string; label: string; scheme: string } {
  const code = documentType(typeCode)?.classCode ?? OTHER_CLASS_CODES[typeCode];
  if (!code) {
    throw new AppError('VALIDATION', `Type de document ${typeCode} inconnu : impossible d’en déduire la classe DMP.`, { typeCode });
  }
  return { code, label: CLASS_LABELS[code]!, scheme: CLASS_CODE_SCHEME };
}
