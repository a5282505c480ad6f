import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { cdaTime, hl7ToXdsTime, insCx, newOid, parseCx, xdsTime } from '../../electron/services/dmp/hl7';
import { buildFindDocumentsQuery, parseQueryValue, parseStoredQuery } from '../../electron/services/dmp/iti18';
import { buildRetrieveResponse, parseRetrieveResponse } from '../../electron/services/dmp/iti43';
import { buildMtom, parseContentType, parseMultipart, resolveXop } from '../../electron/services/dmp/mtom';
import {
  buildEnvelope,
  buildFault,
  buildRegistryResponse,
  parseEnvelope,
  parseRegistryResponse,
  registryErrorToAppError,
  soapFaultToAppError,
} from '../../electron/services/dmp/soap';
import { buildTd02Request, buildTd02Response, parseTd02Request, parseTd02Response } from '../../electron/services/dmp/td02';
import { canonicalize, parseXml } from '../../electron/services/dmp/xml';

const INS = { matricule: '236066322083656', oid: '1.2.250.1.213.1.4.10' };

describe('safe XML parsing', () => {
  it('refuses DOCTYPE / entity declarations and undeclared references', () => {
    expect(() => parseXml('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')).toThrow(AppError);
    expect(() => parseXml('<a>&x;</a>')).toThrow(/entité/);
    expect(() => parseXml('<a><b></a>')).toThrow(/mal formé/);
  });

  it('decodes predefined entities and character references', () => {
    const el = parseXml('<a t="1 &amp; 2">x &lt; y &#233;&#x20AC;<![CDATA[<raw>]]></a>');
    expect(el.attrs[0]!.value).toBe('1 & 2');
    expect(el.children.join('')).toBe('x < y é€<raw>');
  });

  it('canonicalises exclusively (sorted attributes, only used namespaces, expanded empty tags)', () => {
    const doc = parseXml('<r xmlns:a="urn:a" xmlns:b="urn:b"><a:x z="1" a:y="2" b="3"/></r>');
    const x = doc.children[0] as Parameters<typeof canonicalize>[0];
    expect(canonicalize(x)).toBe('<a:x xmlns:a="urn:a" b="3" z="1" a:y="2"></a:x>');
  });
});

describe('HL7 formats', () => {
  it('writes INS as CX and reads it back', () => {
    expect(insCx(INS)).toBe('236066322083656^^^&1.2.250.1.213.1.4.10&ISO^NH');
    expect(parseCx(insCx(INS))).toEqual({ id: INS.matricule, oid: INS.oid, type: 'NH' });
  });

  it('converts times (Paris offset for CDA, UTC for XDS)', () => {
    const d = new Date('2025-01-31T23:30:00Z');
    expect(cdaTime(d)).toBe('20250201003000+0100');
    expect(xdsTime(d)).toBe('20250131233000');
    expect(hl7ToXdsTime('20250201003000+0100')).toBe('20250131233000');
    expect(hl7ToXdsTime('20250201')).toBe('20250201');
  });

  it('makes OIDs under 2.25 from UUIDs', () => {
    expect(newOid('00000000-0000-0000-0000-000000000010')).toBe('2.25.16');
    expect(newOid()).toMatch(/^2\.25\.[1-9]\d*$/);
  });
});

describe('MTOM / XOP', () => {
  it('round-trips a SOAP root part and a binary attachment', () => {
    const data = randomBytes(10_000);
    const env = buildEnvelope({ action: 'urn:x', body: '<d xmlns:xop="http://www.w3.org/2004/08/xop/include"><xop:Include href="cid:doc-1@x"/></d>' });
    const built = buildMtom(env, 'urn:x', [{ contentId: 'doc-1@x', contentType: 'text/xml', data }]);
    const ct = parseContentType(built.contentType);
    expect(ct.type).toBe('multipart/related');
    expect(ct.params.type).toBe('application/xop+xml');
    expect(ct.params['start-info']).toBe('application/soap+xml');
    const mp = parseMultipart(built.contentType, built.body);
    const parsed = parseEnvelope(mp.root.body);
    expect(resolveXop(parsed.payload!, mp.parts).equals(data)).toBe(true);
  });

  it('reads foreign multipart answers: unquoted boundary, base64 part, bare LF, preamble', () => {
    const body = Buffer.from(
      'preamble\n--b1\nContent-Type: application/xop+xml; type="application/soap+xml"\nContent-ID: <root>\n\n<r/>\n' +
        '--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nContent-ID: <p2>\n\naGVsbG8=\n--b1--\n',
      'utf8',
    );
    const mp = parseMultipart('multipart/related; type="application/xop+xml"; boundary=b1; start="<root>"', body);
    expect(mp.root.body.toString()).toBe('<r/>');
    expect(mp.parts.get('p2')!.body.toString()).toBe('hello');
  });

  it('refuses a multipart body without boundary', () => {
    expect(() => parseMultipart('multipart/related', Buffer.from('x'))).toThrow(AppError);
  });

  it('resolves ITI-43 responses with their attachment', () => {
    const data = Buffer.from('<ClinicalDocument/>');
    const body = buildRetrieveResponse('Success', [{ repositoryUniqueId: '1.2', documentUniqueId: '1.2.3', mimeType: 'text/xml', contentId: 'c1@x' }]);
    const built = buildMtom(buildEnvelope({ action: 'a', body }), 'a', [{ contentId: 'c1@x', contentType: 'text/xml', data }]);
    const mp = parseMultipart(built.contentType, built.body);
    const result = parseRetrieveResponse(parseEnvelope(mp.root.body).payload!, mp.parts);
    expect(result.status).toBe('Success');
    expect(result.documents[0]).toMatchObject({ documentUniqueId: '1.2.3', mimeType: 'text/xml' });
    expect(result.documents[0]!.data.equals(data)).toBe(true);
  });
});

describe('SOAP and registry errors', () => {
  it('builds SOAP 1.2 envelopes with WS-Addressing and the VIHF in wsse:Security', () => {
    const env = parseEnvelope(buildEnvelope({ action: 'urn:ihe:iti:2007:RegistryStoredQuery', to: 'https://dmp/registry', messageId: 'urn:uuid:1', security: '<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>', body: '<x/>' }));
    expect(env.action).toBe('urn:ihe:iti:2007:RegistryStoredQuery');
    expect(env.messageId).toBe('urn:uuid:1');
    expect(env.payload!.local).toBe('x');
  });

  it('maps RegistryError codes to French AppErrors', () => {
    const xml = buildRegistryResponse('Failure', [{ errorCode: 'XDSNonIdenticalHash', codeContext: 'hash différent', severity: 'Error' }]);
    const result = parseRegistryResponse(parseXml(xml));
    expect(result).toEqual({ status: 'Failure', errors: [{ errorCode: 'XDSNonIdenticalHash', codeContext: 'hash différent', severity: 'Error', location: undefined }] });
    const err = registryErrorToAppError(result.errors, 'ITI-41');
    expect(err.code).toBe('REMOTE_SERVICE');
    expect(err.message).toMatch(/^Le DMP a refusé le document : l’empreinte/);
    expect(err.message).toContain('hash différent');
    expect(registryErrorToAppError([{ errorCode: 'XDSUnknownPatientId', codeContext: '', severity: 'Error' }], 'ITI-41').code).toBe('NOT_FOUND');
    expect(registryErrorToAppError([{ errorCode: 'XDSDocumentUniqueIdError', codeContext: '', severity: 'Error' }], 'ITI-43').code).toBe('NOT_FOUND');
    expect(registryErrorToAppError([{ errorCode: 'XDSDocumentUniqueIdError', codeContext: '', severity: 'Error' }], 'ITI-41').code).toBe('CONFLICT');
    expect(registryErrorToAppError([{ errorCode: 'DMP_ACCES_REFUSE', codeContext: 'INTERDIT', severity: 'Error' }], 'ITI-18').code).toBe('PERMISSION_DENIED');
    expect(registryErrorToAppError([{ errorCode: 'Other', codeContext: '', severity: 'Error' }], 'ITI-18').message).toMatch(/Other/);
  });

  it('maps SOAP faults: security faults are authentication errors', () => {
    const env = parseEnvelope(buildEnvelope({ action: 'f', body: buildFault('soap:Sender', 'Jeton VIHF expiré.', 'wsse:FailedAuthentication') }));
    expect(env.fault).toEqual({ code: 'soap:Sender', subcode: 'wsse:FailedAuthentication', reason: 'Jeton VIHF expiré.' });
    expect(soapFaultToAppError(env.fault!, 'TD0.2')).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('Jeton VIHF expiré.') });
    expect(soapFaultToAppError({ code: 'soap:Receiver', reason: 'panne' }, 'TD0.2').code).toBe('REMOTE_SERVICE');
  });
});

describe('TD0.2 and ITI-18 messages', () => {
  it('asks TEST_EXST for the INS and reads the authorisation status', () => {
    const req = parseTd02Request(parseXml(buildTd02Request(INS, { senderOid: '1.2.3', softwareName: 'LGC' })));
    expect(req.ins).toEqual(INS);
    expect(req.reasonCode).toBe('TEST_EXST');
    const answer = parseTd02Response(parseXml(buildTd02Response(req, { status: 'EXPIRE', mesActivated: true, lastDocumentDate: '2025-02-01T10:00:00.000Z' })));
    expect(answer).toEqual({ status: 'EXPIRE', mesActivated: true, lastDocumentDate: '2025-02-01T10:00:00.000Z' });
    expect(parseTd02Response(parseXml(buildTd02Response(req, { status: 'NON_EXISTE', mesActivated: false })))).toEqual({ status: 'NON_EXISTE', mesActivated: false });
  });

  it('writes FindDocuments parameters in stored-query syntax', () => {
    const q = parseStoredQuery(parseXml(buildFindDocumentsQuery(insCx(INS), { statuses: ['Approved', 'Deprecated'], classCodes: [{ code: '10', scheme: '1.2.250.1.213.1.1.4.1' }], creationTimeFrom: new Date('2025-01-01T00:00:00Z') })));
    expect(q.queryId).toBe('urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d');
    expect(q.returnType).toBe('LeafClass');
    expect(q.params.get('$XDSDocumentEntryPatientId')).toEqual([insCx(INS)]);
    expect(q.params.get('$XDSDocumentEntryStatus')).toHaveLength(2);
    expect(q.params.get('$XDSDocumentEntryClassCode')).toEqual(['10^^1.2.250.1.213.1.1.4.1']);
    expect(q.params.get('$XDSDocumentEntryCreationTimeFrom')).toEqual(['20250101000000']);
    expect(parseQueryValue("('a''b', 'c')")).toEqual(["a'b", 'c']);
  });
});
