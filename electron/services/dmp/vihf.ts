import { createHash, createPrivateKey, createSign, createVerify, randomUUID, X509Certificate } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { insCx, OID } from './hl7';
import type { CdaAuthor, InsRef, Practice } from './types';
import { attr, canonicalize, child, children, descendants, escapeAttr, escapeText, parseXml, textOf, type XElement } from './xml';

/**
 * VIHF: the signed SAML 2.0 assertion carried in the WS-Security header of every DMP call
 * (CI-SIS "volet transport synchrone"; field list from the ANS mapping in
 * ansforge/IG-hl7v2-volet-transmission-document-cda-r2). Signed with enveloped XML-DSig,
 * exclusive c14n, RSA-SHA256, as in the ANS example.
 */
export const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const NS_DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const NS_HL7 = 'urn:hl7-org:v3';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const INCLUSIVE_PREFIXES = 'ds saml #default xsi';

export const VIHF_ATTR = {
  VERSION: 'VIHF_Version',
  AUTH_MODE: 'Authentification_Mode',
  STRUCTURE: 'Identifiant_Structure',
  SECTOR: 'Secteur_Activite',
  SUBJECT_ID: 'urn:oasis:names:tc:xspa:1.0:subject:subject-id',
  ROLE: 'urn:oasis:names:tc:xacml:2.0:subject:role',
  RESOURCE_ID: 'urn:oasis:names:tc:xacml:2.0:resource:resource-id',
  RESOURCE_URN: 'Ressource_URN',
  PURPOSE: 'urn:oasis:names:tc:xspa:1.0:subject:purposeofuse',
  LPS_ID: 'LPS_ID',
  LPS_NAME: 'LPS_Nom',
  LPS_VERSION: 'LPS_Version',
  LPS_HOMOLOGATION: 'LPS_ID_HOMOLOGATION_DMP',
} as const;

/** Attributes the DMP requires in every VIHF (LPS_ID is optional). */
export const REQUIRED_VIHF_ATTRIBUTES = Object.values(VIHF_ATTR).filter((a) => a !== VIHF_ATTR.LPS_ID);

/** PSC e-CPS login; a CPS card login would be urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI. */
export const DEFAULT_AUTHN_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered';

const PROFESSION_LABELS: Record<string, string> = { '10': 'Médecin', '21': 'Pharmacien', '60': 'Infirmier' };
const SPECIALTY_LABELS: Record<string, string> = {
  SM26: 'Qualifié en Médecine Générale (SM)',
  SM53: 'Spécialiste en Médecine Générale (SM)',
  SM54: 'Médecine Générale (SM)',
};

export interface LpsInfo {
  /** LPS_Nom */
  name: string;
  /** LPS_Version */
  version: string;
  /** LPS_ID_HOMOLOGATION_DMP (CNDA number). */
  homologationId: string;
  /** LPS_ID (optional OID of the software). */
  id?: string;
}

export interface VihfInput {
  professional: CdaAuthor;
  practice: Practice;
  patient: InsRef;
  authnInstant?: Date;
  authnContextClassRef?: string;
}

export interface VihfSignerOptions {
  signingKeyPem: string;
  certPem: string;
  lps: LpsInfo;
  /** The ANS example and the PSC gateway send 3.0; the ANS mapping table says 4.0 (see docs). */
  vihfVersion?: string;
  validityMinutes?: number;
  now?: () => Date;
}

export interface VihfSigner {
  /** Issuer DN written in the assertion (subject of the signing certificate). */
  readonly issuer: string;
  /** Signed assertion XML for one call. */
  sign(input: VihfInput): string;
}

/** Certificate subject as "C=FR, O=…, CN=…" (the CI-SIS asks for the RFC 2253 attribute names). */
export function certificateDn(certPem: string): string {
  return new X509Certificate(certPem)
    .subject.split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(', ');
}

function certBase64(certPem: string): string {
  return certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

function attribute(name: string, ...values: string[]): string {
  return `<Attribute Name="${escapeAttr(name)}">${values.map((v) => `<AttributeValue>${v}</AttributeValue>`).join('')}</Attribute>`;
}

function ce(tag: string, a: Record<string, string>): string {
  const attrs = Object.entries(a)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join('');
  return `<${tag} xmlns="${NS_HL7}" xsi:type="CE"${attrs}/>`;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Unsigned assertion; the Signature goes right after Issuer (SAML schema order). */
export function buildVihfAssertion(input: VihfInput, opts: Omit<VihfSignerOptions, 'signingKeyPem'> & { issuer: string; id: string }): { xml: string; signatureAt: number } {
  const now = (opts.now ?? (() => new Date()))();
  const p = input.professional;
  const roles = [ce('Role', { code: p.professionCode, codeSystem: OID.PROFESSION, displayName: PROFESSION_LABELS[p.professionCode] ?? p.professionCode })];
  // Second role occurrence: mandatory for doctors (savoir-faire) per the ANS mapping.
  if (p.professionCode === '10' && p.specialtyCode) {
    roles.push(ce('Role', { code: p.specialtyCode, codeSystem: OID.SAVOIR_FAIRE, displayName: SPECIALTY_LABELS[p.specialtyCode] ?? p.specialtyCode }));
  }
  const validity = (opts.validityMinutes ?? 60) * 60_000;
  const head =
    `<Assertion xmlns="${NS_SAML}" xmlns:xsi="${NS_XSI}" ID="${escapeAttr(opts.id)}" IssueInstant="${iso(now)}" Version="2.0">` +
    `<Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">${escapeText(opts.issuer)}</Issuer>`;
  const tail =
    `<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${escapeText(p.nationalId)}</NameID></Subject>` +
    `<Conditions NotBefore="${iso(new Date(now.getTime() - 60_000))}" NotOnOrAfter="${iso(new Date(now.getTime() + validity))}"/>` +
    `<AuthnStatement AuthnInstant="${iso(input.authnInstant ?? now)}"><AuthnContext><AuthnContextClassRef>${escapeText(input.authnContextClassRef ?? DEFAULT_AUTHN_CONTEXT)}</AuthnContextClassRef></AuthnContext></AuthnStatement>` +
    '<AttributeStatement>' +
    attribute(VIHF_ATTR.VERSION, escapeText(opts.vihfVersion ?? '3.0')) +
    attribute(VIHF_ATTR.AUTH_MODE, 'INDIRECTE') +
    attribute(VIHF_ATTR.STRUCTURE, escapeText(input.practice.structureId)) +
    attribute(VIHF_ATTR.SECTOR, escapeText(`${input.practice.facilityTypeCode}^${OID.SECTEUR_ACTIVITE}`)) +
    attribute(VIHF_ATTR.SUBJECT_ID, escapeText(`${p.familyName} ${p.givenName}`)) +
    attribute(VIHF_ATTR.ROLE, ...roles) +
    attribute(VIHF_ATTR.RESOURCE_ID, escapeText(insCx(input.patient))) +
    attribute(VIHF_ATTR.RESOURCE_URN, 'urn:dmp') +
    attribute(VIHF_ATTR.PURPOSE, ce('PurposeOfUse', { code: 'normal', codeSystem: '1.2.250.1.213.1.1.4.248', codeSystemName: 'mode acces VIHF 1.0', displayName: 'Accès normal' })) +
    (opts.lps.id ? attribute(VIHF_ATTR.LPS_ID, escapeText(opts.lps.id)) : '') +
    attribute(VIHF_ATTR.LPS_NAME, escapeText(opts.lps.name)) +
    attribute(VIHF_ATTR.LPS_VERSION, escapeText(opts.lps.version)) +
    attribute(VIHF_ATTR.LPS_HOMOLOGATION, escapeText(opts.lps.homologationId)) +
    '</AttributeStatement></Assertion>';
  return { xml: head + tail, signatureAt: head.length };
}

function signedInfoXml(id: string, digest: string): string {
  return (
    `<SignedInfo><CanonicalizationMethod Algorithm="${EXC_C14N}"/><SignatureMethod Algorithm="${RSA_SHA256}"/>` +
    `<Reference URI="#${escapeAttr(id)}"><Transforms><Transform Algorithm="${ENVELOPED}"/>` +
    `<Transform Algorithm="${EXC_C14N}"><InclusiveNamespaces xmlns="${EXC_C14N}" PrefixList="${INCLUSIVE_PREFIXES}"/></Transform></Transforms>` +
    `<DigestMethod Algorithm="${SHA256}"/><DigestValue>${digest}</DigestValue></Reference></SignedInfo>`
  );
}

export function createVihfSigner(opts: VihfSignerOptions): VihfSigner {
  let key;
  let issuer: string;
  try {
    key = createPrivateKey(opts.signingKeyPem);
    issuer = certificateDn(opts.certPem);
  } catch {
    throw new AppError('VALIDATION', 'Certificat ou clé de signature du VIHF illisible.');
  }
  const cert = certBase64(opts.certPem);
  return {
    issuer,
    sign(input: VihfInput): string {
      const id = `_${randomUUID()}`;
      const { xml, signatureAt } = buildVihfAssertion(input, { ...opts, issuer, id });
      const assertion = parseXml(xml);
      const digest = createHash('sha256').update(canonicalize(assertion, { inclusivePrefixes: INCLUSIVE_PREFIXES.split(' ') })).digest('base64');
      const placeholder = '%%SIGNATURE_VALUE%%';
      const signature = `<Signature xmlns="${NS_DSIG}">${signedInfoXml(id, digest)}<SignatureValue>${placeholder}</SignatureValue><KeyInfo><X509Data><X509Certificate>${cert}</X509Certificate></X509Data></KeyInfo></Signature>`;
      const withSignature = xml.slice(0, signatureAt) + signature + xml.slice(signatureAt);
      const signedInfo = descendants(parseXml(withSignature.replace(placeholder, '')), 'SignedInfo', NS_DSIG)[0]!;
      const value = createSign('RSA-SHA256').update(canonicalize(signedInfo)).sign(key, 'base64');
      return withSignature.replace(placeholder, value);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Verification (sandbox, tests)

export interface VihfInfo {
  id: string;
  issuer: string;
  nameId: string;
  issueInstant: string;
  notBefore?: string;
  notOnOrAfter?: string;
  authnContextClassRef: string;
  /** Text values; CE values (roles, purpose) are given as code^codeSystem. */
  attributes: Record<string, string[]>;
}

export interface VihfVerification {
  valid: boolean;
  /** French reason when not valid. */
  reason?: string;
  info?: VihfInfo;
}

export function readVihf(assertion: XElement): VihfInfo {
  const attributes: Record<string, string[]> = {};
  for (const a of descendants(assertion, 'Attribute', NS_SAML)) {
    const name = attr(a, 'Name') ?? '';
    attributes[name] = children(a, 'AttributeValue', NS_SAML).map((v) => {
      const coded = v.children.find((c): c is XElement => typeof c === 'object');
      return coded ? `${attr(coded, 'code') ?? ''}^${attr(coded, 'codeSystem') ?? ''}` : textOf(v).trim();
    });
  }
  const conditions = child(assertion, 'Conditions', NS_SAML);
  return {
    id: attr(assertion, 'ID') ?? '',
    issuer: textOf(child(assertion, 'Issuer', NS_SAML)).trim(),
    nameId: textOf(child(child(assertion, 'Subject', NS_SAML), 'NameID', NS_SAML)).trim(),
    issueInstant: attr(assertion, 'IssueInstant') ?? '',
    notBefore: attr(conditions, 'NotBefore'),
    notOnOrAfter: attr(conditions, 'NotOnOrAfter'),
    authnContextClassRef: textOf(descendants(assertion, 'AuthnContextClassRef', NS_SAML)[0]).trim(),
    attributes,
  };
}

function fail(reason: string, info?: VihfInfo): VihfVerification {
  return { valid: false, reason, info };
}

/**
 * Checks the enveloped signature of a VIHF (digest of the assertion, signature of SignedInfo)
 * with the given certificate, or the one in KeyInfo, and the validity window when `now` is given.
 * Trust in the certificate (IGC-Santé chain) is not checked here.
 */
export function verifyVihf(input: string | XElement, opts: { certPem?: string; now?: Date; skewSeconds?: number } = {}): VihfVerification {
  let assertion: XElement;
  try {
    assertion = typeof input === 'string' ? parseXml(input) : input;
  } catch {
    return fail('Jeton VIHF illisible.');
  }
  if (assertion.local !== 'Assertion' || assertion.ns !== NS_SAML) return fail('Jeton VIHF absent : assertion SAML 2.0 attendue.');
  const info = readVihf(assertion);
  const sig = children(assertion, 'Signature', NS_DSIG)[0];
  if (!sig) return fail('Jeton VIHF non signé.', info);
  const signedInfo = child(sig, 'SignedInfo', NS_DSIG);
  const ref = child(signedInfo, 'Reference', NS_DSIG);
  if (!signedInfo || !ref || attr(ref, 'URI') !== `#${info.id}`) return fail('Signature du VIHF : la référence ne désigne pas l’assertion.', info);
  if (attr(child(signedInfo, 'CanonicalizationMethod', NS_DSIG), 'Algorithm') !== EXC_C14N) return fail('Signature du VIHF : canonicalisation non prise en charge.', info);

  let inclusive: string[] = [];
  for (const t of descendants(ref, 'Transform', NS_DSIG)) {
    const alg = attr(t, 'Algorithm');
    if (alg === EXC_C14N) inclusive = (attr(elementsOf(t)[0], 'PrefixList') ?? '').split(/\s+/).filter(Boolean);
    else if (alg !== ENVELOPED) return fail('Signature du VIHF : transformation non prise en charge.', info);
  }
  const digestAlg = attr(child(ref, 'DigestMethod', NS_DSIG), 'Algorithm');
  const hashName = digestAlg === SHA256 ? 'sha256' : digestAlg === SHA1 ? 'sha1' : undefined;
  if (!hashName) return fail('Signature du VIHF : algorithme d’empreinte non pris en charge.', info);
  const canon = canonicalize(assertion, { inclusivePrefixes: inclusive, exclude: (e) => e === sig });
  const digest = createHash(hashName).update(canon).digest('base64');
  if (digest !== textOf(child(ref, 'DigestValue', NS_DSIG)).trim()) return fail('Signature du VIHF invalide : l’assertion a été modifiée.', info);

  const sigAlg = attr(child(signedInfo, 'SignatureMethod', NS_DSIG), 'Algorithm');
  const verifier = sigAlg === RSA_SHA256 ? 'RSA-SHA256' : sigAlg === RSA_SHA1 ? 'RSA-SHA1' : undefined;
  if (!verifier) return fail('Signature du VIHF : algorithme de signature non pris en charge.', info);
  let certPem = opts.certPem;
  if (!certPem) {
    const b64 = textOf(descendants(sig, 'X509Certificate', NS_DSIG)[0]).replace(/\s+/g, '');
    if (!b64) return fail('Signature du VIHF : certificat absent.', info);
    certPem = `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
  }
  let ok = false;
  try {
    const value = textOf(child(sig, 'SignatureValue', NS_DSIG)).replace(/\s+/g, '');
    ok = createVerify(verifier).update(canonicalize(signedInfo)).verify(new X509Certificate(certPem).publicKey, value, 'base64');
  } catch {
    ok = false;
  }
  if (!ok) return fail('Signature du VIHF invalide.', info);

  if (opts.now) {
    const skew = (opts.skewSeconds ?? 300) * 1000;
    const t = opts.now.getTime();
    if (info.notBefore && Date.parse(info.notBefore) - skew > t) return fail('Jeton VIHF pas encore valide.', info);
    if (info.notOnOrAfter && Date.parse(info.notOnOrAfter) + skew <= t) return fail('Jeton VIHF expiré.', info);
  }
  return { valid: true, info };
}

function elementsOf(el: XElement): XElement[] {
  return el.children.filter((c): c is XElement => typeof c === 'object');
}
