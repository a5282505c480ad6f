import { describe, expect, it } from 'vitest';
import { interpretInsiResponse, readSoapFault } from '../../electron/services/identity/insi/responses';
import { UnsafeOrMalformedXmlError, decodeXmlText, parseSafeXml } from '../../electron/services/identity/insi/safe-xml';

const ENV = 'http://www.w3.org/2003/05/soap-envelope';

function result(inner: string): string {
  // Prefixes differ between envelope and body, as in responses seen from the real service.
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${ENV}"><env:Body xmlns:env="${ENV}"><RESULTAT xmlns="http://www.cnamts.fr/INSiResultat">${inner}</RESULTAT></env:Body></soap:Envelope>`;
}

function individu(num: string, key: string, oid = '1.2.250.1.213.1.4.8', names = 'PIERRE-ALAIN MURIEL FLORIANT'): string {
  return `<CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR><INDIVIDU><INSACTIF><IdIndividu><NumIdentifiant>${num}</NumIdentifiant><Cle>${key}</Cle></IdIndividu><OID>${oid}</OID></INSACTIF><INSHISTO><IdIndividu><NumIdentifiant>2090763220834</NumIdentifiant><Cle>39</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSHISTO><TIQ><NomNaissance>D&apos;ECETINSI</NomNaissance><ListePrenom>${names}</ListePrenom><Sexe>M</Sexe><DateNaissance>2009-07-14</DateNaissance><LieuNaissance>63220</LieuNaissance></TIQ></INDIVIDU>`;
}

describe('safe XML', () => {
  it('decodes only predefined entities and character references', () => {
    expect(decodeXmlText('D&apos;A &amp; &lt;b&gt; &#233;&#xE9; &foo;')).toBe("D'A & <b> éé &foo;");
  });

  it('refuses DOCTYPE and malformed documents', () => {
    expect(() => parseSafeXml('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')).toThrow(UnsafeOrMalformedXmlError);
    expect(() => parseSafeXml('<a><b></a>')).toThrow(UnsafeOrMalformedXmlError);
  });
});

describe('INSi response interpretation', () => {
  it('reads an identity with a composed first name and an apostrophe', () => {
    const out = interpretInsiResponse(parseSafeXml(result(individu('1090763220834', '89'))), 'traits');
    expect(out).toEqual({
      code: '00',
      identity: {
        matricule: '109076322083489',
        oid: '1.2.250.1.213.1.4.8',
        birthName: "D'ECETINSI",
        birthGivenNames: ['PIERRE-ALAIN', 'MURIEL', 'FLORIANT'],
        birthDate: '2009-07-14',
        sex: 'M',
        birthplaceCode: '63220',
      },
    });
  });

  it('refuses a wrong key, an unknown OID and an unexpected code', () => {
    expect(() => interpretInsiResponse(parseSafeXml(result(individu('1090763220834', '88'))), 'traits')).toThrowError(
      expect.objectContaining({ code: 'REMOTE_SERVICE', message: expect.stringMatching(/clé de contrôle incorrecte/) }),
    );
    expect(() => interpretInsiResponse(parseSafeXml(result(individu('1090763220834', '89', '1.2.250.1.213.1.4.5'))), 'traits')).toThrowError(
      expect.objectContaining({ code: 'REMOTE_SERVICE', message: expect.stringMatching(/OID 1\.2\.250\.1\.213\.1\.4\.5/) }),
    );
    expect(() =>
      interpretInsiResponse(parseSafeXml(result('<CR><CodeCR>03</CodeCR><LibelleCR>Inconnu</LibelleCR></CR>')), 'vitale'),
    ).toThrowError(expect.objectContaining({ code: 'REMOTE_SERVICE' }));
  });

  it('gives operation-specific French messages for 01 and the retry hint for 02', () => {
    const none = parseSafeXml(result('<CR><CodeCR>01</CodeCR><LibelleCR>Aucune identite trouvee</LibelleCR></CR>'));
    expect(interpretInsiResponse(none, 'vitale')).toEqual({ code: '01', message: expect.stringMatching(/carte Vitale/) });
    expect(interpretInsiResponse(none, 'traits')).toEqual({ code: '01', message: expect.stringMatching(/Vérifiez les traits/) });
    const several = parseSafeXml(result('<CR><CodeCR>02</CodeCR><LibelleCR>Plusieurs identites trouvees</LibelleCR></CR>'));
    expect(interpretInsiResponse(several, 'traits')).toEqual({ code: '02', message: expect.stringMatching(/prénoms de naissance/) });
  });

  it('reads a SOAP 1.2 fault with several reason texts', () => {
    const xml = `<s:Envelope xmlns:s="${ENV}"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>insi_101</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="fr">Erreur technique</s:Text><s:Text xml:lang="en">Technical error</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`;
    expect(readSoapFault(parseSafeXml(xml))).toEqual({ code: 's:Receiver', subcode: 'insi_101', reason: 'Erreur technique' });
    expect(readSoapFault(parseSafeXml(result('<CR><CodeCR>01</CodeCR></CR>')))).toBeNull();
  });
});
