import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { createInsiClient } from '../../electron/services/identity/insi';
import { buildTraitsRequest } from '../../electron/services/identity/insi/requests';
import { soapAction, soapContentType } from '../../electron/services/identity/insi/protocol';
import { startInsiStandIn, type InsiStandIn } from '../../electron/sandbox/insi-service';
import { SANDBOX_UNAVAILABLE_BIRTH_NAME } from '../../electron/sandbox/insi-identities';
import { computeInsKey } from '../../electron/services/identity/ins';

const ctx = { professionalId: '810000000001' };

async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/insi`)));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('INSi client ↔ stand-in over HTTP', () => {
  let standIn: InsiStandIn;
  let client: ReturnType<typeof createInsiClient>;

  beforeAll(async () => {
    standIn = await startInsiStandIn();
    client = createInsiClient({ endpoint: standIn.url, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await standIn.close();
  });

  it('finds TCHITCHI by traits (00), accent/case-insensitively', async () => {
    const result = await client.searchWithTraits({ birthName: 'Tchitchi', givenNames: ['Catarina'], birthDate: '1936-06-21', sex: 'F' }, ctx);
    expect(result).toEqual({
      code: '00',
      identity: {
        matricule: '236066322083656',
        oid: '1.2.250.1.213.1.4.10',
        birthName: 'TCHITCHI',
        birthGivenNames: ['CATARINA', 'BELLA'],
        birthDate: '1936-06-21',
        sex: 'F',
        birthplaceCode: '63220',
      },
    });
  });

  it('matches a composed first first-name without its hyphen', async () => {
    const result = await client.searchWithTraits({ birthName: 'écetinsi', givenNames: ['Pierre Alain'], birthDate: '2009-07-14', sex: 'M' }, ctx);
    expect(result.code).toBe('00');
    if (result.code === '00') expect(result.identity.birthGivenNames).toEqual(['PIERRE-ALAIN', 'MURIEL', 'FLORIANT']);
  });

  it('finds the beneficiaries of a Vitale card (00), including the second one', async () => {
    const holder = await client.searchWithVitale({ nir: '180032B02040123', birthDate: '1980-03-02' }, ctx);
    expect(holder.code === '00' && holder.identity.matricule).toBe('180032B02040123');
    const child = await client.searchWithVitale({ nir: '180032B020401', birthDate: '2009-07-14', rank: 1 }, ctx);
    expect(child.code === '00' && child.identity.matricule).toBe('109076322083489');
    const corsican = await client.searchWithVitale({ nir: '297022A020778', birthDate: '1997-02-26' }, ctx);
    expect(corsican.code === '00' && corsican.identity).toMatchObject({ matricule: '297022A02077878', birthplaceCode: '2A020' });
  });

  it('answers 01 with a French hint when nobody matches', async () => {
    const result = await client.searchWithTraits({ birthName: 'TCHITCHI', givenNames: ['CATARINA'], birthDate: '1936-06-22', sex: 'F' }, ctx);
    expect(result).toEqual({ code: '01', message: expect.stringMatching(/Vérifiez les traits/) });
    const vitale = await client.searchWithVitale({ nir: '2360663220836', birthDate: '1936-06-21', rank: 2 }, ctx);
    expect(vitale.code).toBe('01');
  });

  it('answers 02 for homonyms, then 00 once the birthplace or all first names are given', async () => {
    const base = { birthName: 'DUBOISINSI', givenNames: ['MARIE'], birthDate: '1985-05-12', sex: 'F' as const };
    const several = await client.searchWithTraits(base, ctx);
    expect(several).toEqual({ code: '02', message: expect.stringMatching(/prénoms de naissance.*lieu de naissance/) });
    const byPlace = await client.searchWithTraits({ ...base, birthplaceCode: '69123' }, ctx);
    expect(byPlace.code === '00' && byPlace.identity.birthGivenNames).toEqual(['MARIE', 'CLAIRE']);
    const byNames = await client.searchWithTraits({ ...base, givenNames: ['Marie', 'Louise'] }, ctx);
    expect(byNames.code === '00' && byNames.identity.birthplaceCode).toBe('75056');
  });

  it('knows identities added at run time', async () => {
    const matricule = '1600175112001' + computeInsKey('1600175112001');
    standIn.addIdentities(
      [{ matricule, oid: '1.2.250.1.213.1.4.10', birthName: 'AJOUTINSI', birthGivenNames: ['LUC'], birthDate: '1960-01-01', sex: 'M', birthplaceCode: '75112' }],
      [{ nir: '1600175112001', holderName: 'AJOUTINSI LUC', beneficiaries: [{ birthDate: '1960-01-01', rank: 1, matricule }] }],
    );
    const result = await client.searchWithVitale({ nir: '1600175112001', birthDate: '1960-01-01' }, ctx);
    expect(result.code === '00' && result.identity.birthName).toBe('AJOUTINSI');
  });

  it('surfaces a SOAP fault as REMOTE_SERVICE with the French reason', async () => {
    const error = await caught(
      client.searchWithTraits({ birthName: SANDBOX_UNAVAILABLE_BIRTH_NAME, givenNames: ['X'], birthDate: '2000-01-01', sex: 'M' }, ctx),
    );
    expect(error.code).toBe('REMOTE_SERVICE');
    expect(error.message).toMatch(/momentanément indisponible/);
    expect(error.details).toMatchObject({ faultCode: 'soap:Receiver', subcode: 'insi_102' });
  });

  it('refuses invalid input before calling the service', async () => {
    const error = await caught(client.searchWithVitale({ nir: '236066322083657', birthDate: '1936-06-21' }, ctx));
    expect(error.code).toBe('VALIDATION');
  });

  describe('stand-in protocol checks (raw SOAP)', () => {
    const post = (body: string, contentType = soapContentType(soapAction('traits'))) =>
      fetch(standIn.url, { method: 'POST', headers: { 'content-type': contentType }, body });
    const header = { messageId: 'm1', professionalId: '810000000001', softwareId: 'TEST', softwareInstance: 'i', now: new Date() };

    it('answers soap:Sender for malformed XML', async () => {
      const res = await post('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>');
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain('soap:Sender');
      expect(text).toMatch(/mal formé/);
    });

    it('refuses DOCTYPE (no entity expansion)', async () => {
      const xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&e;</soap:Body></soap:Envelope>';
      const res = await post(xml);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain('soap:Sender');
      expect(text).not.toContain('root:');
    });

    it('answers soap:Sender when a required field is missing', async () => {
      const xml = buildTraitsRequest(header, { birthName: 'TCHITCHI', givenNames: ['CATARINA'], birthDate: '1936-06-21', sex: 'F' }).replace(
        /<ins:Sexe>F<\/ins:Sexe>/,
        '',
      );
      const res = await post(xml);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Champ obligatoire absent : sexe/);
    });

    it('answers soap:Sender when the action does not match the body', async () => {
      const xml = buildTraitsRequest(header, { birthName: 'TCHITCHI', givenNames: ['CATARINA'], birthDate: '1936-06-21', sex: 'F' });
      const res = await post(xml, soapContentType(soapAction('vitale')));
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Action SOAP incohérente/);
    });
  });
});

describe('INSi client failure modes', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(closeServer));
  });

  it('maps connection refused to NETWORK', async () => {
    const server = createServer();
    const url = await listen(server);
    await closeServer(server); // the port is now free: nothing listens there
    const client = createInsiClient({ endpoint: url, timeoutMs: 2000 });
    const error = await caught(client.searchWithTraits({ birthName: 'A', givenNames: ['B'], birthDate: '2000-01-01', sex: 'F' }, ctx));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toMatch(/Impossible de joindre/);
  });

  it('maps a server that never answers to TIMEOUT', async () => {
    const server = createServer(() => {
      /* never answers */
    });
    servers.push(server);
    const client = createInsiClient({ endpoint: await listen(server), timeoutMs: 300 });
    const started = Date.now();
    const error = await caught(client.searchWithTraits({ birthName: 'A', givenNames: ['B'], birthDate: '2000-01-01', sex: 'F' }, ctx));
    expect(error.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('maps an HTTP error without SOAP fault to NETWORK', async () => {
    const server = createServer((_req, res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<html>maintenance</html>'));
    servers.push(server);
    const client = createInsiClient({ endpoint: await listen(server) });
    const error = await caught(client.searchWithVitale({ nir: '2360663220836', birthDate: '1936-06-21' }, ctx));
    expect(error.code).toBe('NETWORK');
    expect(error.details).toEqual({ status: 503 });
  });

  it('rejects an INS with a wrong key returned by the server as REMOTE_SERVICE', async () => {
    const body = [
      '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>',
      '<RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR>',
      '<INDIVIDU><INSACTIF><IdIndividu><NumIdentifiant>2360663220836</NumIdentifiant><Cle>57</Cle></IdIndividu>',
      '<OID>1.2.250.1.213.1.4.10</OID></INSACTIF><TIQ><NomNaissance>TCHITCHI</NomNaissance><ListePrenom>CATARINA BELLA</ListePrenom>',
      '<Sexe>F</Sexe><DateNaissance>1936-06-21</DateNaissance><LieuNaissance>63220</LieuNaissance></TIQ></INDIVIDU></RESULTAT>',
      '</soap:Body></soap:Envelope>',
    ].join('');
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(body));
    servers.push(server);
    const client = createInsiClient({ endpoint: await listen(server) });
    const error = await caught(client.searchWithTraits({ birthName: 'TCHITCHI', givenNames: ['CATARINA'], birthDate: '1936-06-21', sex: 'F' }, ctx));
    expect(error.code).toBe('REMOTE_SERVICE');
    expect(error.message).toMatch(/clé de contrôle incorrecte/);
  });
});
