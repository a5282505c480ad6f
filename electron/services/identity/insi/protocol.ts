/**
 * Wire constants of the INSi teleservice. Namespaces and actions are those seen in public
 * third-party integrations (see docs/insi.md, "unconfirmed" until checked against the CNAM
 * integration guide available on the GIE SESAM-Vitale industrial portal).
 */
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const WSA_NS = 'http://www.w3.org/2005/08/addressing';
export const CTX_BAM_NS = 'urn:siram:bam:ctxbam';
export const CTX_LPS_NS = 'urn:siram:lps:ctxlps';
export const INSI_REC_SANS_NS = 'http://www.cnamts.fr/INSiRecSans';
export const INSI_REC_VIT_NS = 'http://www.cnamts.fr/INSiRecVit';
export const INSI_RESULTAT_NS = 'http://www.cnamts.fr/INSiResultat';

export const INSI_OPERATIONS = {
  vitale: { name: 'rechercherInsAvecCarteVitale', bodyElement: 'RECVITALE' },
  traits: { name: 'rechercherInsAvecTraitsIdentite', bodyElement: 'RECSANSVITALE' },
} as const;

export type InsiOperation = keyof typeof INSI_OPERATIONS;

export function soapAction(op: InsiOperation): string {
  return `urn:ServiceIdentiteCertifiee:1.0.0:${INSI_OPERATIONS[op].name}`;
}

/** SOAP 1.2 carries the action in the media type, not in a SOAPAction header. */
export function soapContentType(action?: string): string {
  return action
    ? `application/soap+xml; charset=utf-8; action="${action}"`
    : 'application/soap+xml; charset=utf-8';
}

/** Reads the `action` parameter of a SOAP 1.2 Content-Type, if any. */
export function actionFromContentType(contentType: string | undefined): string | undefined {
  const m = /;\s*action\s*=\s*"?([^";]+)"?/i.exec(contentType ?? '');
  return m?.[1]?.trim();
}

export const BIRTH_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** INSEE/COG code: 5 digits, Corsica 2A/2B + 3 digits, 99xxx abroad. */
export const BIRTHPLACE_CODE = /^(?:\d{2}|2A|2B)\d{3}$/;
