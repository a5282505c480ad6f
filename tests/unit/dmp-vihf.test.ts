import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, createVerify } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTestSigningIdentity } from '../../electron/services/dmp/test-identity';
import type { VihfInput } from '../../electron/services/dmp/vihf';
import { createVihfSigner, NS_DSIG, NS_SAML, REQUIRED_VIHF_ATTRIBUTES, verifyVihf, VIHF_ATTR } from '../../electron/services/dmp/vihf';
import { attr, canonicalize, child, children, descendants, parseXml, textOf } from '../../electron/services/dmp/xml';

const identity = generateTestSigningIdentity({ commonName: 'CABINET CHARLES CACHET', organizationalUnit: '312345678900011' });
const lps = { name: 'LGC Ségur', version: '0.1.0', homologationId: 'TEST-LGC-0001', id: '1.2.250.1.999.9' };
const input: VihfInput = {
  professional: { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' },
  practice: { name: 'Cabinet du Dr Charles', structureId: '312345678900011', facilityTypeCode: 'SA07', practiceSettingCode: 'AMBULATOIRE' },
  patient: { matricule: '236066322083656', oid: '1.2.250.1.213.1.4.10' },
  authnInstant: new Date('2025-01-15T07:00:00Z'),
};
const fixedNow = new Date('2025-01-15T08:00:00Z');

function sign(over: Partial<Parameters<typeof createVihfSigner>[0]> = {}) {
  return createVihfSigner({ ...identity, lps, now: () => fixedNow, ...over }).sign(input);
}

describe('VIHF assertion', () => {
  it('is a SAML 2.0 assertion issued by the structure certificate, about the professional', () => {
    const a = parseXml(sign());
    expect([a.local, a.ns, attr(a, 'Version')]).toEqual(['Assertion', NS_SAML, '2.0']);
    expect(attr(a, 'IssueInstant')).toBe('2025-01-15T08:00:00Z');
    expect(attr(a, 'ID')).toMatch(/^_[0-9a-f-]{36}$/);
    const issuer = child(a, 'Issuer', NS_SAML)!;
    expect(attr(issuer, 'Format')).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName');
    expect(textOf(issuer)).toBe('C=FR, O=LGC Segur bac a sable, OU=312345678900011, CN=CABINET CHARLES CACHET');
    expect(textOf(descendants(a, 'NameID', NS_SAML)[0])).toBe('810002422979');
    expect(attr(descendants(a, 'AuthnStatement', NS_SAML)[0], 'AuthnInstant')).toBe('2025-01-15T07:00:00Z');
    // SAML schema order: Issuer, Signature, Subject, Conditions, AuthnStatement, AttributeStatement.
    expect(a.children.filter((c) => typeof c === 'object').map((c) => (c as { local: string }).local)).toEqual([
      'Issuer', 'Signature', 'Subject', 'Conditions', 'AuthnStatement', 'AttributeStatement',
    ]);
  });

  it('carries every attribute the DMP requires', () => {
    const v = verifyVihf(sign());
    const attrs = v.info!.attributes;
    for (const name of REQUIRED_VIHF_ATTRIBUTES) expect(attrs[name]?.length, name).toBeGreaterThan(0);
    expect(attrs[VIHF_ATTR.STRUCTURE]).toEqual(['312345678900011']);
    expect(attrs[VIHF_ATTR.SECTOR]).toEqual(['SA07^1.2.250.1.71.4.2.4']);
    expect(attrs[VIHF_ATTR.SUBJECT_ID]).toEqual(['CHARLES Pascal']);
    expect(attrs[VIHF_ATTR.ROLE]).toEqual(['10^1.2.250.1.71.1.2.7', 'SM26^1.2.250.1.71.4.2.5']);
    expect(attrs[VIHF_ATTR.RESOURCE_ID]).toEqual(['236066322083656^^^&1.2.250.1.213.1.4.10&ISO^NH']);
    expect(attrs[VIHF_ATTR.RESOURCE_URN]).toEqual(['urn:dmp']);
    expect(attrs[VIHF_ATTR.PURPOSE]).toEqual(['normal^1.2.250.1.213.1.1.4.248']);
    expect(attrs[VIHF_ATTR.AUTH_MODE]).toEqual(['INDIRECTE']);
    expect(attrs[VIHF_ATTR.VERSION]).toEqual(['3.0']);
    expect(attrs[VIHF_ATTR.LPS_NAME]).toEqual(['LGC Ségur']);
    expect(attrs[VIHF_ATTR.LPS_VERSION]).toEqual(['0.1.0']);
    expect(attrs[VIHF_ATTR.LPS_HOMOLOGATION]).toEqual(['TEST-LGC-0001']);
    expect(attrs[VIHF_ATTR.LPS_ID]).toEqual(['1.2.250.1.999.9']);
    expect(v.info!.authnContextClassRef).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered');
  });

  it('codes roles as HL7 CE (xsi:type) values', () => {
    const roles = descendants(parseXml(sign()), 'Role');
    expect(roles.map((r) => [r.ns, attr(r, 'xsi:type'), attr(r, 'displayName')])).toEqual([
      ['urn:hl7-org:v3', 'CE', 'Médecin'],
      ['urn:hl7-org:v3', 'CE', 'Qualifié en Médecine Générale (SM)'],
    ]);
  });

  it('is signed (enveloped, exc-c14n, RSA-SHA256) and verifies with the public key', () => {
    const a = parseXml(sign());
    const sig = children(a, 'Signature', NS_DSIG)[0]!;
    const signedInfo = child(sig, 'SignedInfo', NS_DSIG)!;
    expect(attr(child(signedInfo, 'SignatureMethod', NS_DSIG), 'Algorithm')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(attr(descendants(signedInfo, 'Reference', NS_DSIG)[0], 'URI')).toBe(`#${attr(a, 'ID')}`);
    // Digest = SHA-256 of the canonical assertion without its Signature.
    const canon = canonicalize(a, { inclusivePrefixes: ['ds', 'saml', '#default', 'xsi'], exclude: (e) => e === sig });
    expect(canon).not.toContain('SignatureValue');
    expect(createHash('sha256').update(canon).digest('base64')).toBe(textOf(descendants(signedInfo, 'DigestValue', NS_DSIG)[0]));
    // Signature of the canonical SignedInfo with the key pair's public key.
    const publicKey = createPublicKey(identity.signingKeyPem);
    const value = textOf(child(sig, 'SignatureValue', NS_DSIG));
    expect(createVerify('RSA-SHA256').update(canonicalize(signedInfo)).verify(publicKey, value, 'base64')).toBe(true);
    expect(verifyVihf(a, { certPem: identity.certPem, now: fixedNow })).toMatchObject({ valid: true });
  });

  it('detects tampering, a foreign certificate and expiry', () => {
    const xml = sign();
    expect(verifyVihf(xml.replace('236066322083656', '297022A02077878'))).toMatchObject({ valid: false, reason: expect.stringMatching(/modifiée/) });
    expect(verifyVihf(xml, { certPem: generateTestSigningIdentity().certPem }).valid).toBe(false);
    expect(verifyVihf(xml, { now: new Date('2025-01-15T12:00:00Z') })).toMatchObject({ valid: false, reason: expect.stringMatching(/expiré/) });
    expect(verifyVihf(xml.replace(/<Signature[\s\S]*<\/Signature>/, '')).reason).toMatch(/non signé/);
  });

  it('stays valid once embedded in a SOAP header (exclusive canonicalisation)', () => {
    const envelope = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:x="urn:x"><s:Header><wsse:Security xmlns:wsse="urn:wsse">${sign()}</wsse:Security></s:Header><s:Body/></s:Envelope>`;
    const assertion = descendants(parseXml(envelope), 'Assertion', NS_SAML)[0]!;
    expect(verifyVihf(assertion, { now: fixedNow }).valid).toBe(true);
  });

  const xmlsec = ['/usr/bin/xmlsec1', '/usr/local/bin/xmlsec1'].find((p) => existsSync(p));
  it.skipIf(!xmlsec)('verifies with xmlsec1 (independent XML-DSig implementation)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vihf-'));
    try {
      writeFileSync(join(dir, 'a.xml'), `<?xml version="1.0" encoding="UTF-8"?>${sign({ now: () => new Date() })}`);
      writeFileSync(join(dir, 'cert.pem'), identity.certPem);
      const out = execFileSync(xmlsec!, ['--verify', '--pubkey-cert-pem', join(dir, 'cert.pem'), '--id-attr:ID', `${NS_SAML}:Assertion`, join(dir, 'a.xml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
