/** Public types of the INSi client (CNAM identity teleservice). */

export interface InsiIdentity {
  /** 15 characters: NIR/NIA (13) + key (2). */
  matricule: string;
  oid: string;
  birthName: string;
  birthGivenNames: string[];
  /** YYYY-MM-DD */
  birthDate: string;
  sex: 'F' | 'M';
  /** INSEE/COG code, 5 characters. */
  birthplaceCode: string;
}

export type InsiResult =
  | { code: '00'; identity: InsiIdentity }
  | { code: '01'; message: string }
  | { code: '02'; message: string };

export interface InsiCallContext {
  /** RPPS/ADELI of the professional on whose behalf the call is made. */
  professionalId: string;
  /** Correlation id (becomes the WS-Addressing MessageID); generated when absent. */
  requestId?: string;
}

export interface VitaleSearchInput {
  /** NIR of the card holder (ouvrant droit), 13 characters or 15 with a valid key. */
  nir: string;
  /** Beneficiary birth date, YYYY-MM-DD. */
  birthDate: string;
  /** Birth rank (twins), 1 by default. */
  rank?: number;
}

export interface TraitsSearchInput {
  birthName: string;
  givenNames: string[];
  birthDate: string;
  sex: 'F' | 'M';
  birthplaceCode?: string;
}

export interface InsiClient {
  searchWithVitale(input: VitaleSearchInput, ctx: InsiCallContext): Promise<InsiResult>;
  searchWithTraits(input: TraitsSearchInput, ctx: InsiCallContext): Promise<InsiResult>;
}
