/**
 * Plain inputs of the CDA / DMP layer. The patient store and the PSC session are mapped onto
 * these by the caller; nothing here knows about storage or Electron.
 */
export type IdentityStatus = 'PROV' | 'RECUP' | 'VALI' | 'QUAL';

export interface CdaPatient {
  /** 15 characters: NIR/NIA (13) + key (2). */
  insMatricule: string;
  /** Assigning authority OID (INS-NIR 1.2.250.1.213.1.4.8, NIA .9, test .10, demo .11). */
  insOid: string;
  identityStatus: IdentityStatus;
  birthName: string;
  birthGivenNames: string[];
  usedName?: string;
  usedGivenName?: string;
  /** YYYY-MM-DD */
  birthDate: string;
  sex: 'F' | 'M';
  /** INSEE/COG code, 5 characters (99xxx abroad). */
  birthplaceCode?: string;
  /** The practice's own patient id (IPP). */
  localId: string;
}

export interface CdaAuthor {
  /** National professional id: '8' + RPPS (PSC SubjectNameID). */
  nationalId: string;
  familyName: string;
  givenName: string;
  /** TRE_G15 profession code, '10' = médecin. */
  professionCode: string;
  /** TRE_R38 savoir-faire, 'SM26' = médecine générale. */
  specialtyCode: string;
}

export interface PracticeAddress {
  houseNumber?: string;
  streetName?: string;
  postalCode?: string;
  city?: string;
  country?: string;
}

export interface Practice {
  name: string;
  /** National structure id (Struct_IdNat, e.g. '1' + FINESS or '3' + SIRET). */
  structureId: string;
  /** Defaults to 1.2.250.1.71.4.2.2 (the only root the CI-SIS header accepts for organisations). */
  structureIdRoot?: string;
  facilityTypeCode: 'SA07';
  practiceSettingCode: 'AMBULATOIRE';
  address?: PracticeAddress;
  /** Phone number or URI ('tel:…', 'mailto:…'). */
  telecom?: string;
  /** OID under which the practice issues local patient ids; without it the local id is not sent. */
  patientIdRoot?: string;
}

export interface InsRef {
  matricule: string;
  oid: string;
}

export type DmpAccessStatus = 'VALIDE' | 'EXPIRE' | 'INTERDIT' | 'NON_EXISTE';

export interface VisibilityOptions {
  /** MASQUE_PS */
  hiddenFromProfessionals?: boolean;
  /** INVISIBLE_PATIENT */
  invisibleToPatient?: boolean;
  /** INVISIBLE_REPRESENTANTS_LEGAUX */
  invisibleToLegalRepresentatives?: boolean;
}

/** Who calls the DMP and from where: becomes the VIHF of each request. */
export interface DmpContext {
  professional: CdaAuthor;
  practice: Practice;
  /** Patient of the call, required by retrieveDocument (the VIHF names the patient). */
  patient?: InsRef;
  /** Time the professional authenticated (PSC login); defaults to now. */
  authnInstant?: Date;
  /** SAML AuthnContextClassRef of that login; defaults to the e-CPS (mobile two-factor) class. */
  authnContextClassRef?: string;
}
