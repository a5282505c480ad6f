import { describe, expect, it } from 'vitest';
import { PatientSearchIndex } from '../../electron/services/identity/search-index';
import type { ReceivedPdfDocument, ReceivedXdmDocument } from '../../electron/services/mail/parse/types';
import { readXdmArchive } from '../../electron/services/mail/xdm';
import type { Patient } from '../../electron/services/store/patients-repo';
import type { DocumentIdentity } from '../../electron/services/worklist/identity';
import { compareTraits, matchDocument, matchIdentity, nameKeys, rankCandidates, type PatientLookup } from '../../electron/services/worklist/match';
import { phoneticKey } from '../../electron/services/worklist/phonetic';
import { buildSampleXdmZip, MINIMAL_PDF, TEST_PATIENT, type SampleDocOptions } from '../helpers/mss-message';

let nextId = 1;
function patient(over: Partial<Patient> = {}): Patient {
  return {
    id: nextId++,
    birthName: TEST_PATIENT.birthName,
    birthGivenNames: [...TEST_PATIENT.givenNames],
    birthDate: TEST_PATIENT.birthDate,
    sex: TEST_PATIENT.sex,
    birthplaceCode: TEST_PATIENT.birthplaceCode,
    usedName: null,
    usedGivenName: null,
    insMatricule: TEST_PATIENT.ins.matricule,
    insOid: TEST_PATIENT.ins.oid,
    identityStatus: 'QUAL',
    externalId: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    lastSeenAt: null,
    ...over,
  };
}

function lookupOf(...ps: Patient[]): PatientLookup & { calls: string[] } {
  const index = new PatientSearchIndex();
  for (const p of ps) index.upsert(p);
  const calls: string[] = [];
  return {
    calls,
    byIns: (m) => ps.find((p) => p.insMatricule === m) ?? null,
    byBirthDate: (d) => ps.filter((p) => p.birthDate === d),
    search: (text, limit) => {
      calls.push(text);
      return index.search(text, limit).map((h) => h.patient);
    },
  };
}

async function xdmDoc(options: SampleDocOptions = {}): Promise<ReceivedXdmDocument> {
  const pkg = await readXdmArchive(await buildSampleXdmZip({ docs: [options] }));
  const d = pkg.documents[0]!;
  return { source: 'xdm', index: 0, entry: d.entry, ...(d.cda ? { cda: d.cda } : {}), ...(d.content ? { content: d.content } : {}), problems: d.problems };
}

function pdfDoc(filename = 'document.pdf'): ReceivedPdfDocument {
  return { source: 'pdf', filename, content: MINIMAL_PDF, size: MINIMAL_PDF.length, sha256: 'x', problems: [] };
}

const identity = (over: Partial<DocumentIdentity> = {}): DocumentIdentity => ({
  traitsSource: 'xds',
  hasCda: false,
  givenNames: ['Catarina'],
  birthName: 'TCHITCHI',
  birthDate: '1936-06-21',
  sex: 'F',
  ...over,
});

describe('worklist matching: automatic only when certain', () => {
  it('auto: qualified INS (OID .10, valid key, CDA traits) equal to a local QUAL identity with agreeing traits', async () => {
    const local = patient();
    const decision = matchDocument(await xdmDoc(), lookupOf(local, patient({ insMatricule: null, identityStatus: 'PROV' })));
    expect(decision.rule).toBe('auto');
    expect(decision.patientId).toBe(local.id);
    expect(decision.insQualified).toBe(true);
    expect(decision.candidates[0]).toMatchObject({ patientId: local.id, matched: expect.arrayContaining(['INS', 'nom de naissance', 'prénom', 'date de naissance', 'sexe']) });
  });

  it('auto with the production OID (.8) and traits differing only by accents, case, hyphens and apostrophes', async () => {
    const ins = { matricule: '277076322082910', oid: '1.2.250.1.213.1.4.8' };
    const local = patient({ birthName: "N'DIAYE-LÉGER", birthGivenNames: ['Anne-Hélène'], insMatricule: ins.matricule, insOid: ins.oid });
    const doc = await xdmDoc({ ins, birthName: 'NDIAYE LEGER', givenNames: ['anne helene', 'Marie'] });
    expect(matchDocument(doc, lookupOf(local)).rule).toBe('auto');
  });

  it('proposed (never auto) when the local identity with that INS is not QUAL, offering qualification', async () => {
    for (const status of ['PROV', 'RECUP', 'VALI'] as const) {
      const local = patient({ identityStatus: status });
      const decision = matchDocument(await xdmDoc(), lookupOf(local));
      expect(decision.rule).toBe('proposed');
      expect(decision.patientId).toBe(local.id);
      expect(decision.reasons.join(' ')).toMatch(/qualifiez l’identité/);
    }
  });

  it('never auto when the INS key is invalid: traits rank candidates instead', async () => {
    const local = patient();
    const decision = matchDocument(await xdmDoc({ ins: { matricule: '236066322083657', oid: TEST_PATIENT.ins.oid } }), lookupOf(local));
    expect(decision.rule).toBe('proposed');
    expect(decision.patientId).toBeNull();
    expect(decision.ins).toBeNull();
    expect(decision.candidates[0]?.patientId).toBe(local.id);
    expect(decision.reasons.join(' ')).toMatch(/clé de contrôle incorrecte/);
  });

  it('never auto when the OID is not an INS authority (e.g. the wrong ".4.5")', async () => {
    const local = patient();
    const decision = matchDocument(await xdmDoc({ ins: { matricule: TEST_PATIENT.ins.matricule, oid: '1.2.250.1.213.1.4.5' } }), lookupOf(local));
    expect(decision.rule).toBe('proposed');
    expect(decision.patientId).toBeNull();
    expect(decision.reasons[0]).toMatch(/non reconnu comme INS/);
  });

  it('never auto when the first birth first name is missing (INS incomplete)', async () => {
    const local = patient();
    const decision = matchDocument(await xdmDoc({ givenNames: [] }), lookupOf(local));
    expect(decision.insQualified).toBe(false);
    expect(decision.rule).toBe('proposed');
    expect(decision.reasons.join(' ')).toMatch(/INS incomplet : premier prénom de naissance absent/);
  });

  it('never auto on traits alone, even when every trait agrees with a QUAL identity', async () => {
    const local = patient();
    const decision = matchDocument(await xdmDoc({ ins: null }), lookupOf(local));
    expect(decision.rule).toBe('proposed');
    expect(decision.patientId).toBeNull();
    expect(decision.candidates.map((c) => c.patientId)).toEqual([local.id]);
    expect(decision.candidates[0]!.score).toBe(1);
  });

  it('conflict when the INS is a local QUAL identity but traits disagree, side by side', async () => {
    const local = patient();
    const decision = matchDocument(await xdmDoc({ birthName: 'TCHITCHO', birthDate: '1936-06-12' }), lookupOf(local));
    expect(decision.rule).toBe('conflict');
    expect(decision.patientId).toBe(local.id);
    expect(decision.conflict).toEqual([
      { field: 'Nom de naissance', document: 'TCHITCHO', local: 'TCHITCHI' },
      { field: 'Date de naissance', document: '12/06/1936', local: '21/06/1936' },
    ]);
  });

  it('conflict on a wrong INS: unknown INS while the traits are those of a QUAL identity with another INS', async () => {
    const local = patient({ insMatricule: '297022A02077878' });
    const decision = matchDocument(await xdmDoc(), lookupOf(local));
    expect(decision.rule).toBe('conflict');
    expect(decision.patientId).toBe(local.id);
    expect(decision.conflict).toEqual([{ field: 'INS', document: TEST_PATIENT.ins.matricule, local: '297022A02077878' }]);
  });

  it('conflict on a wrong INS that belongs to another local QUAL patient', async () => {
    const other = patient({ birthName: 'ADRTROIS', birthGivenNames: ['Dominique'], birthDate: '1997-02-26', insMatricule: '297022A02077878', birthplaceCode: '2A020' });
    const real = patient({ insMatricule: null, identityStatus: 'VALI' });
    const decision = matchDocument(await xdmDoc({ ins: { matricule: '297022A02077878', oid: TEST_PATIENT.ins.oid } }), lookupOf(other, real));
    expect(decision.rule).toBe('conflict');
    expect(decision.patientId).toBe(other.id);
  });

  it('a birthplace that differs is a conflict too', async () => {
    const decision = matchDocument(await xdmDoc({ birthplaceCode: '75056' }), lookupOf(patient()));
    expect(decision.rule).toBe('conflict');
    expect(decision.conflict![0]!.field).toBe('Lieu de naissance (code COG)');
  });

  it('not auto when the document was altered (hash mismatch) or the archive mixes patients', async () => {
    const local = patient();
    expect(matchDocument(await xdmDoc({ hash: 'ABCDEF' }), lookupOf(local)).rule).toBe('proposed');
    const decision = matchDocument(await xdmDoc(), lookupOf(local), { messageProblems: [{ code: 'MULTIPLE_PATIENTS', message: '' }] });
    expect(decision.rule).toBe('proposed');
    expect(decision.reasons.join(' ')).toMatch(/plusieurs patients/);
  });

  it('not auto when the CDA carries another INS than the metadata', async () => {
    const local = patient();
    const decision = matchDocument(await xdmDoc({ metadataIns: TEST_PATIENT.ins, ins: { matricule: '297022A02077878', oid: TEST_PATIENT.ins.oid } }), lookupOf(local));
    expect(decision.rule).toBe('conflict');
    expect(decision.conflict![0]!.field).toBe('INS (document CDA)');
  });

  it('not auto when the local identity carries the INS under another authority', async () => {
    const local = patient({ insOid: '1.2.250.1.213.1.4.8' });
    expect(matchDocument(await xdmDoc(), lookupOf(local)).rule).toBe('proposed');
  });

  it('none with the document identity kept for "create patient" when nobody matches', async () => {
    const decision = matchDocument(await xdmDoc({ ins: null }), lookupOf(patient({ birthName: 'DUPONT', birthGivenNames: ['Jean'], birthDate: '1950-01-01', sex: 'M' })));
    expect(decision.rule).toBe('none');
    expect(decision.candidates).toEqual([]);
    expect(decision.identity).toMatchObject({ birthName: 'TCHITCHI', givenNames: ['Catarina', 'Bella'], birthDate: '1936-06-21', sex: 'F' });
  });

  it('plain PDF: candidates from the subject, never auto', () => {
    const local = patient();
    const decision = matchDocument(pdfDoc('cr.pdf'), lookupOf(local), { subject: 'Compte rendu TCHITCHI Catarina 21/06/1936' });
    expect(decision.rule).toBe('proposed');
    expect(decision.patientId).toBeNull();
    expect(decision.candidates[0]).toMatchObject({ patientId: local.id, matched: expect.arrayContaining(['nom de naissance', 'prénom', 'date de naissance']) });
  });
});

describe('worklist matching: ranking from traits', () => {
  const marie = patient({ id: 1001, birthName: 'MOREAU', usedName: 'DUPONT', birthGivenNames: ['Marie', 'Claire'], birthDate: '1962-05-14', sex: 'F', insMatricule: null, identityStatus: 'VALI' });
  const homonym = patient({ id: 1002, birthName: 'MOREAU', birthGivenNames: ['Marie'], birthDate: '1971-09-30', sex: 'F', insMatricule: null, identityStatus: 'PROV' });
  const fontaine = patient({ id: 1003, birthName: 'DE LA FONTAINE', birthGivenNames: ['Jean-Pierre'], birthDate: '1948-11-02', sex: 'M', insMatricule: null, identityStatus: 'PROV' });
  const lefebvre = patient({ id: 1004, birthName: 'LEFEBVRE', birthGivenNames: ['Hélène'], birthDate: '1955-03-08', sex: 'F', insMatricule: null, identityStatus: 'PROV' });
  const menard = patient({ id: 1005, birthName: 'MÉNARD-LEBLANC', birthGivenNames: ['Noémie'], birthDate: '1990-07-21', sex: 'F', insMatricule: null, identityStatus: 'PROV' });
  const lookup = lookupOf(marie, homonym, fontaine, lefebvre, menard);
  const top = (id: Partial<DocumentIdentity>) => rankCandidates(identity(id), lookup)[0];

  it('used (married) name given as the name', () => {
    expect(top({ birthName: 'DUPONT', givenNames: ['Marie'], birthDate: '1962-05-14' })).toMatchObject({ patientId: 1001, matched: expect.arrayContaining(['nom utilisé']) });
  });

  it('inverted first names', () => {
    const c = top({ birthName: 'MOREAU', givenNames: ['Claire', 'Marie'], birthDate: '1962-05-14' });
    expect(c).toMatchObject({ patientId: 1001, matched: expect.arrayContaining(['prénom (ordre différent)']) });
  });

  it('particle dropped and compound first name shortened', () => {
    const c = top({ birthName: 'FONTAINE', givenNames: ['Jean'], birthDate: '1948-11-02', sex: 'M' });
    expect(c).toMatchObject({ patientId: 1003, matched: expect.arrayContaining(['nom de naissance (particule)', 'prénom (prénom composé)']) });
  });

  it('phonetic spelling and missing accents', () => {
    expect(top({ birthName: 'Lefèvre', givenNames: ['Helene'], birthDate: '1955-03-08' })).toMatchObject({ patientId: 1004, matched: expect.arrayContaining(['nom de naissance (phonétique)']) });
  });

  it('one part of a compound name', () => {
    expect(top({ birthName: 'MENARD', givenNames: ['Noemie'], birthDate: '1990-07-21' })).toMatchObject({ patientId: 1005, matched: expect.arrayContaining(['nom de naissance (nom composé)']) });
  });

  it('typo in the name and day/month inverted in the birth date', () => {
    const c = top({ birthName: 'MOERAU', givenNames: ['Marie'], birthDate: '1962-05-14', sex: 'F' });
    expect(c?.patientId).toBe(1001);
    expect(top({ birthName: 'LEFEBVRE', givenNames: ['Hélène'], birthDate: '1955-08-03' })).toMatchObject({ patientId: 1004, matched: expect.arrayContaining(['date de naissance (jour et mois inversés)']) });
    expect(top({ birthName: 'LEFEBVRE', givenNames: ['Hélène'], birthDate: '1955-03-09' })?.patientId).toBe(1004);
  });

  it('the birth date tells homonyms apart; with an unusable date both are proposed, lower', () => {
    expect(rankCandidates(identity({ birthName: 'MOREAU', givenNames: ['Marie'], birthDate: '1971-09-30' }), lookup).map((c) => c.patientId)).toEqual([1002]);
    const both = rankCandidates(identity({ birthName: 'MOREAU', givenNames: ['Marie'], birthDate: '1980-01-01' }), lookup);
    expect(both.map((c) => c.patientId).sort()).toEqual([1001, 1002]);
    expect(both.every((c) => c.score < 0.8 && !c.matched.some((m) => m.startsWith('date')))).toBe(true);
    const d = matchIdentity(identity({ birthName: 'MOREAU', givenNames: ['Marie'], birthDate: '1980-01-01' }), lookup);
    expect(d.reasons.at(-1)).toMatch(/homonymes possibles/);
  });

  it('uses the phonetic name keys of the lookup when it has them', () => {
    const keyed: PatientLookup = {
      ...lookupOf(),
      byNameKeys: (keys) => (keys.some((k) => nameKeys(['LEFEBVRE'], ['Hélène']).includes(k)) ? [lefebvre] : []),
    };
    expect(rankCandidates(identity({ birthName: 'Lefèvre', givenNames: ['Helene'], birthDate: '1977-01-01' }), keyed).map((c) => c.patientId)).toEqual([1004]);
    expect(nameKeys(['DE LA FONTAINE'], ['Jean-Pierre'])).toEqual(expect.arrayContaining([`${phoneticKey('delafontaine')}|${phoneticKey('jeanpierre')}`, `${phoneticKey('fontaine')}|${phoneticKey('jean')}`]));
  });

  it('a different person is not proposed', () => {
    expect(rankCandidates(identity({ birthName: 'PETIT', givenNames: ['Louis'], birthDate: '2001-01-01', sex: 'M' }), lookup)).toEqual([]);
  });

  it('strict comparison of traits folds accents, case, hyphens and apostrophes; first of the list only', () => {
    const p = patient({ birthName: "D'ALMEIDA-CÔTÉ", birthGivenNames: ['Jean-Luc', 'Marc'] });
    expect(compareTraits(identity({ birthName: 'dalmeida cote', givenNames: ['JEAN LUC'], birthDate: p.birthDate }), p)).toEqual([]);
    expect(compareTraits(identity({ birthName: 'dalmeida cote', givenNames: ['Jean', 'Luc'], birthDate: p.birthDate }), p)).toEqual([]);
    expect(compareTraits(identity({ birthName: 'DALMEIDA COTE', givenNames: ['Marc'], birthDate: p.birthDate }), p).map((c) => c.field)).toEqual(['Premier prénom de naissance']);
  });

  it('matchIdentity on traits only never returns auto even with a perfect match', () => {
    const d = matchIdentity(identity({ birthName: 'LEFEBVRE', givenNames: ['Hélène'], birthDate: '1955-03-08', traitsSource: 'cda' }), lookup);
    expect(d.rule).toBe('proposed');
    expect(d.candidates[0]).toMatchObject({ patientId: 1004, score: 1 });
  });
});
