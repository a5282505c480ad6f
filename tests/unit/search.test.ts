import { describe, expect, it } from 'vitest';
import { compactName, foldName, nameTokens, withinOneEdit } from '../../shared/text/normalize';
import { PatientSearchIndex, prefixWithinOneEdit } from '../../electron/services/identity/search-index';
import type { Patient } from '../../electron/services/store/patients-repo';

let nextId = 1;
function patient(p: Partial<Patient> & Pick<Patient, 'birthName' | 'birthDate'>): Patient {
  return {
    id: nextId++,
    birthGivenNames: ['Jean'],
    sex: 'M',
    birthplaceCode: null,
    usedName: null,
    usedGivenName: null,
    insMatricule: null,
    insOid: null,
    identityStatus: 'PROV',
    externalId: null,
    createdAt: '',
    updatedAt: '',
    lastSeenAt: null,
    ...p,
  };
}

describe('name normalisation', () => {
  it('folds case, accents, ligatures, apostrophes and hyphens', () => {
    expect(foldName('Lefèvre')).toBe(foldName('LEFEVRE'));
    expect(compactName("D'Artagnan")).toBe('dartagnan');
    expect(foldName('Lætitia Œuvray')).toBe('laetitia oeuvray');
    expect(nameTokens('Le Goff-Durand')).toEqual(['le', 'goff', 'durand']);
    expect(compactName('Jean-Pierre')).toBe(compactName('jean pierre'));
  });

  it('measures one edit (substitution, insertion, deletion, swap)', () => {
    expect(withinOneEdit('martin', 'martin')).toBe(true);
    expect(withinOneEdit('martin', 'marton')).toBe(true);
    expect(withinOneEdit('martin', 'martn')).toBe(true);
    expect(withinOneEdit('martin', 'marrtin')).toBe(true);
    expect(withinOneEdit('martin', 'mratin')).toBe(true);
    expect(withinOneEdit('martin', 'morton')).toBe(false);
    expect(prefixWithinOneEdit('lfrvx', 'lefevre')).toBe(false);
    expect(prefixWithinOneEdit('lefve', 'lefevre')).toBe(true);
    expect(prefixWithinOneEdit('dubreiul', 'dubreuil')).toBe(true);
  });
});

describe('patient search', () => {
  const index = new PatientSearchIndex();
  const lefevre = patient({ birthName: 'LEFÈVRE', birthGivenNames: ['Hélène'], birthDate: '1961-04-03', sex: 'F' });
  const dartagnan = patient({ birthName: "D'ARTAGNAN", birthGivenNames: ['Charles'], birthDate: '1611-01-01' });
  const married = patient({ birthName: 'MOREAU', usedName: 'SAINT-MARTIN', birthGivenNames: ['Anne-Sophie'], birthDate: '1980-12-25', sex: 'F' });
  const martin = patient({ birthName: 'MARTIN', birthGivenNames: ['Louis'], birthDate: '1950-07-14' });
  const martinez = patient({ birthName: 'MARTINEZ', birthGivenNames: ['Ana'], birthDate: '1990-02-01', sex: 'F' });
  const qualified = patient({ birthName: 'CORSE', birthGivenNames: ['Anthony'], birthDate: '1980-03-02', insMatricule: '180032B02040123', identityStatus: 'QUAL' });
  for (const p of [lefevre, dartagnan, married, martin, martinez, qualified]) index.upsert(p);
  const ids = (q: string) => index.search(q).map((h) => h.patient.id);

  it('is case-, accent-, hyphen- and apostrophe-insensitive', () => {
    expect(ids('LEFEVRE')).toEqual([lefevre.id]);
    expect(ids('lefèvre')).toEqual([lefevre.id]);
    expect(ids('dartagnan')).toEqual([dartagnan.id]);
    expect(ids("d'artagnan")).toEqual([dartagnan.id]);
    expect(ids('artagnan')).toEqual([dartagnan.id]);
    expect(ids('saint martin')).toContain(married.id);
    expect(ids('saintmartin')).toEqual([married.id]);
    expect(ids('anne sophie')).toEqual([married.id]);
  });

  it('finds by prefix as you type and by used or birth name', () => {
    expect(ids('lef')).toEqual([lefevre.id]);
    expect(ids('more')).toEqual([married.id]);
    expect(ids('saint-m')).toEqual([married.id]);
  });

  it('tolerates one typo and ranks exact matches first', () => {
    expect(ids('lefevbre')).toEqual([lefevre.id]);
    expect(ids('mratin')).toContain(martin.id);
    const martins = ids('martin');
    expect(martins[0]).toBe(martin.id); // exact before prefix (MARTINEZ) and before typo matches
    expect(martins).toContain(martinez.id);
    expect(index.search('mratin').find((h) => h.patient.id === martin.id)?.matchedOn).toMatch(/approchée/);
  });

  it('combines names and birth date fragments (jj/mm/aaaa, jj/mm, aaaa)', () => {
    expect(ids('martin 14/07/1950')).toEqual([martin.id]);
    expect(ids('martin 14/07')).toEqual([martin.id]);
    expect(ids('1990')).toEqual([martinez.id]);
    expect(ids('martin 1990')).toEqual([martinez.id]);
    expect(ids('25/12/1980')).toEqual([married.id]);
  });

  it('finds by INS, with or without the key', () => {
    expect(ids('180032B02040123')).toEqual([qualified.id]);
    expect(ids('180032b020401')).toEqual([qualified.id]);
    expect(ids('180032B02040124')).toEqual([]);
  });

  it('follows updates and removals', () => {
    index.upsert({ ...lefevre, birthName: 'LEFEBVRE' });
    expect(ids('lefevre')).toEqual([lefevre.id]); // still one typo away
    expect(ids('lefebvre')).toEqual([lefevre.id]);
    index.remove(lefevre.id);
    expect(ids('lefebvre')).toEqual([]);
  });
});
