import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { buildCdaN1 } from '../../electron/services/cda/build-n1';
import { createDmpClient, type DmpClient } from '../../electron/services/dmp/client';
import { generateTestSigningIdentity } from '../../electron/services/dmp/test-identity';
import type { CdaAuthor, CdaPatient, DmpContext, InsRef, Practice } from '../../electron/services/dmp/types';
import { createVihfSigner, type VihfSigner } from '../../electron/services/dmp/vihf';
import { buildDocumentEntry } from '../../electron/services/dmp/xds-metadata';
import { parseXml, path, textOf } from '../../electron/services/dmp/xml';
import { startDmpStandIn, type DmpStandIn } from '../../electron/sandbox/dmp-service';

const TEST_OID = '1.2.250.1.213.1.4.10';

function patient(ins: string, birthName: string, given: string[], birthDate: string, sex: 'F' | 'M', birthplace: string): CdaPatient {
  return { insMatricule: ins, insOid: TEST_OID, identityStatus: 'QUAL', birthName, birthGivenNames: given, birthDate, sex, birthplaceCode: birthplace, localId: `L-${ins.slice(-4)}` };
}

// Public CNAM test identities (docs: domain.md §2).
const TCHITCHI = patient('236066322083656', 'TCHITCHI', ['CATARINA', 'BELLA'], '1936-06-21', 'F', '63220');
const ADRTROIS = patient('297022A02077878', 'ADRTROIS', ['DOMINIQUE'], '1997-02-26', 'F', '2A020');
const CORSE = patient('180032B02040123', 'CORSE', ['ANTHONY'], '1980-03-02', 'M', '2B020');
const EXPIRED = patient('109076322083489', 'ECETINSI', ['PIERRE-ALAIN'], '2009-07-14', 'M', '63220');
const UNKNOWN: InsRef = { matricule: '279035121518989', oid: TEST_OID };

const author: CdaAuthor = { nationalId: '810002422979', familyName: 'CHARLES', givenName: 'Pascal', professionCode: '10', specialtyCode: 'SM26' };
const colleague: CdaAuthor = { nationalId: '810001234567', familyName: 'MARTIN', givenName: 'Claire', professionCode: '10', specialtyCode: 'SM26' };
const practice: Practice = {
  name: 'Cabinet du Dr Charles',
  structureId: '312345678900011',
  facilityTypeCode: 'SA07',
  practiceSettingCode: 'AMBULATOIRE',
  address: { houseNumber: '8', streetName: 'Rue de la Paix', postalCode: '63000', city: 'CLERMONT-FERRAND' },
  telecom: '04 73 00 00 00',
  patientIdRoot: '1.2.250.1.999.1.1.1',
};

const ins = (p: CdaPatient): InsRef => ({ matricule: p.insMatricule, oid: p.insOid });
const ctx = (p?: CdaPatient, who: CdaAuthor = author): DmpContext => ({ professional: who, practice, ...(p ? { patient: ins(p) } : {}) });

function fakePdf(): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(4096), Buffer.from('\n%%EOF\n', 'latin1')]);
}

function pdfFromCda(xml: Buffer): Buffer {
  const text = path(parseXml(xml), 'component', 'nonXMLBody', 'text');
  return Buffer.from(textOf(text).replace(/\s+/g, ''), 'base64');
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('promise resolved');
}

describe('DMP round trip against the sandbox', () => {
  let sandbox: DmpStandIn;
  let client: DmpClient;
  let signer: VihfSigner;

  beforeAll(async () => {
    sandbox = await startDmpStandIn({
      patients: [
        { ins: TCHITCHI.insMatricule, status: 'VALIDE', mesActivated: true },
        { ins: ADRTROIS.insMatricule, status: 'INTERDIT' },
        { ins: CORSE.insMatricule, status: 'VALIDE' },
        { ins: EXPIRED.insMatricule, status: 'EXPIRE' },
      ],
    });
    signer = createVihfSigner({ ...generateTestSigningIdentity({ commonName: 'CABINET CHARLES CACHET' }), lps: { name: 'LGC Ségur', version: '0.1.0', homologationId: 'TEST-LGC-0001' } });
    client = createDmpClient({ endpoint: sandbox.url, vihfSigner: signer, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('TD0.2 tells existing, missing, forbidden and expired DMPs apart', async () => {
    await expect(client.testExistence(ins(TCHITCHI), ctx())).resolves.toMatchObject({ status: 'VALIDE', mesActivated: true });
    await expect(client.testExistence(UNKNOWN, ctx())).resolves.toEqual({ status: 'NON_EXISTE', mesActivated: false });
    await expect(client.testExistence(ins(ADRTROIS), ctx())).resolves.toMatchObject({ status: 'INTERDIT' });
    await expect(client.testExistence(ins(EXPIRED), ctx())).resolves.toMatchObject({ status: 'EXPIRE' });
  });

  it('uploads a CDA N1, finds it and retrieves a byte-identical PDF', async () => {
    const pdf = fakePdf();
    const cda = buildCdaN1({ pdf, typeCode: '11488-4', patient: TCHITCHI, author, practice, effectiveTime: new Date('2025-03-10T09:30:00Z') });
    const metadata = buildDocumentEntry(cda.xml, {});
    const sent = await client.provideDocument(cda.xml, metadata, ctx());
    expect(sent.uniqueId).toBe(cda.id);

    const found = await client.findDocuments(ins(TCHITCHI), ctx());
    const entry = found.find((d) => d.uniqueId === cda.id);
    expect(entry).toMatchObject({
      typeCode: '11488-4',
      typeLabel: 'CR ou fiche de consultation ou de visite',
      classCode: '10',
      status: 'Approved',
      size: Buffer.byteLength(cda.xml),
      visibility: [],
      creationTime: '2025-03-10T09:30:00.000Z',
      author: { nationalId: '810002422979', name: 'Pascal CHARLES' },
    });
    expect(entry!.repositoryUniqueId).toBeTruthy();

    const retrieved = await client.retrieveDocument(cda.id, entry!.repositoryUniqueId!, ctx(TCHITCHI));
    expect(retrieved.equals(Buffer.from(cda.xml, 'utf8'))).toBe(true);
    expect(pdfFromCda(retrieved).equals(pdf)).toBe(true);

    const existence = await client.testExistence(ins(TCHITCHI), ctx());
    expect(existence.lastDocumentDate).toBe('2025-03-10T09:30:00.000Z');
  });

  it('a replacement deprecates the previous version', async () => {
    const v1 = buildCdaN1({ pdf: fakePdf(), typeCode: '60591-5', patient: CORSE, author, practice });
    await client.provideDocument(v1.xml, buildDocumentEntry(v1.xml), ctx());
    const v2 = buildCdaN1({ pdf: fakePdf(), typeCode: '60591-5', patient: CORSE, author, practice, replaces: { id: v1.id, setId: v1.setId, versionNumber: v1.versionNumber } });
    const sent = await client.provideDocument(v2.xml, buildDocumentEntry(v2.xml), ctx());
    expect(sent.replacedEntryUuid).toBeTruthy();

    const current = await client.findDocuments(ins(CORSE), ctx());
    expect(current.map((d) => d.uniqueId)).toContain(v2.id);
    expect(current.map((d) => d.uniqueId)).not.toContain(v1.id);
    const all = await client.findDocuments(ins(CORSE), ctx(), { statuses: ['Approved', 'Deprecated'] });
    expect(all.find((d) => d.uniqueId === v1.id)?.status).toBe('Deprecated');
    expect(all.find((d) => d.uniqueId === v2.id)?.status).toBe('Approved');
    // A deprecated version cannot be replaced again.
    const v3 = buildCdaN1({ pdf: fakePdf(), typeCode: '60591-5', patient: CORSE, author, practice, replaces: { id: v1.id, setId: v1.setId, versionNumber: 1 } });
    const err = await rejection(client.provideDocument(v3.xml, buildDocumentEntry(v3.xml), ctx()));
    expect(err.message).toMatch(/remplacer introuvable|déjà remplacé/);
  });

  it('refuses a document whose declared hash does not match its bytes', async () => {
    const cda = buildCdaN1({ pdf: fakePdf(), typeCode: '11488-4', patient: TCHITCHI, author, practice });
    const metadata = buildDocumentEntry(cda.xml);
    metadata.documentEntry.hash = '0'.repeat(40);
    // Blocked by the client before sending; the stand-in's own XDSNonIdenticalHash check is
    // exercised on the wire in dmp-inconsistent-metadata.test.ts.
    const err = await rejection(client.provideDocument(cda.xml, metadata, ctx()));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe('Envoi au DMP bloqué avant transmission : l’empreinte déclarée ne correspond pas au document.');
  });

  it('refuses metadata whose patientId differs from the CDA recordTarget INS', async () => {
    const cda = buildCdaN1({ pdf: fakePdf(), typeCode: '11488-4', patient: TCHITCHI, author, practice });
    const metadata = buildDocumentEntry(cda.xml);
    const other = `${CORSE.insMatricule}^^^&${TEST_OID}&ISO^NH`;
    metadata.documentEntry.patientId = other;
    metadata.submissionSet.patientId = other;
    // The VIHF would be signed for CORSE and the document sent to CORSE's DMP: refused locally.
    const err = await rejection(client.provideDocument(cda.xml, metadata, ctx()));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe('Envoi au DMP bloqué avant transmission : l’INS des métadonnées n’est pas celui du patient du document.');
  });

  it('refuses feeding a DMP whose access is forbidden', async () => {
    const cda = buildCdaN1({ pdf: fakePdf(), typeCode: '11488-4', patient: ADRTROIS, author, practice });
    const err = await rejection(client.provideDocument(cda.xml, buildDocumentEntry(cda.xml), ctx()));
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toMatch(/INTERDIT/);
  });

  it('follows status changes made on the sandbox', async () => {
    sandbox.setPatientStatus(TCHITCHI.insMatricule, 'EXPIRE');
    await expect(client.testExistence(ins(TCHITCHI), ctx())).resolves.toMatchObject({ status: 'EXPIRE' });
    const err = await rejection(client.findDocuments(ins(TCHITCHI), ctx()));
    expect(err.code).toBe('PERMISSION_DENIED');
    sandbox.setPatientStatus(TCHITCHI.insMatricule, 'VALIDE');
  });

  it('hides a MASQUE_PS document from other professionals', async () => {
    const cda = buildCdaN1({ pdf: fakePdf(), typeCode: '11488-4', patient: CORSE, author, practice });
    await client.provideDocument(cda.xml, buildDocumentEntry(cda.xml, { visibility: { hiddenFromProfessionals: true } }), ctx());
    const mine = await client.findDocuments(ins(CORSE), ctx());
    expect(mine.find((d) => d.uniqueId === cda.id)?.visibility).toEqual(['MASQUE_PS']);
    const theirs = await client.findDocuments(ins(CORSE), ctx(undefined, colleague));
    expect(theirs.find((d) => d.uniqueId === cda.id)).toBeUndefined();
  });

  it('rejects a VIHF that does not verify', async () => {
    const a = generateTestSigningIdentity();
    const b = generateTestSigningIdentity();
    const badSigner = createVihfSigner({ signingKeyPem: a.signingKeyPem, certPem: b.certPem, lps: { name: 'X', version: '1', homologationId: 'H' } });
    const bad = createDmpClient({ endpoint: sandbox.url, vihfSigner: badSigner, timeoutMs: 10_000 });
    const err = await rejection(bad.testExistence(ins(TCHITCHI), ctx()));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/VIHF/);
  });

  it('reports an unreachable DMP as a network error', async () => {
    const down = createDmpClient({ endpoint: 'http://127.0.0.1:9/si-dmp-server/v2/services', vihfSigner: signer, timeoutMs: 2_000 });
    const err = await rejection(down.testExistence(ins(TCHITCHI), ctx()));
    expect(err.code).toBe('NETWORK');
  });
});

describe('DMP sandbox persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmp-sandbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps documents and statuses across restarts when given a dataDir', async () => {
    const signer = createVihfSigner({ ...generateTestSigningIdentity(), lps: { name: 'LGC Ségur', version: '0.1.0', homologationId: 'TEST' } });
    const first = await startDmpStandIn({ dataDir: dir, patients: [{ ins: CORSE.insMatricule, status: 'VALIDE' }] });
    const cda = buildCdaN1({ pdf: fakePdf(), typeCode: '34133-9', patient: CORSE, author, practice });
    try {
      const c1 = createDmpClient({ endpoint: first.url, vihfSigner: signer, timeoutMs: 10_000 });
      await c1.provideDocument(cda.xml, buildDocumentEntry(cda.xml), ctx());
    } finally {
      await first.close();
    }
    const second = await startDmpStandIn({ dataDir: dir });
    try {
      const c2 = createDmpClient({ endpoint: second.url, vihfSigner: signer, timeoutMs: 10_000 });
      const found = await c2.findDocuments(ins(CORSE), ctx());
      const entry = found.find((d) => d.uniqueId === cda.id);
      expect(entry?.classCode).toBe('11');
      const back = await c2.retrieveDocument(cda.id, entry!.repositoryUniqueId!, ctx(CORSE));
      expect(back.toString('utf8')).toBe(cda.xml);
    } finally {
      await second.close();
    }
  });
});
