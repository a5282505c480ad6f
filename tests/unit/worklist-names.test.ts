import { describe, expect, it } from 'vitest';
import { findDate, identityFromText, parseSubjectIdentity, parseTextIdentity } from '../../electron/services/worklist/identity';
import { dateSimilarity, dateVariants, nameForm, nameSimilarity, phoneticKey, sameName } from '../../electron/services/worklist/phonetic';

describe('French phonetic key', () => {
  it.each([
    ['Lefèvre', 'Lefebvre'],
    ['Gautier', 'Gauthier'],
    ['Meyer', 'Meier'],
    ['Philippe', 'Filipe'],
    ['Rousseau', 'Rousso'],
    ['Schmitt', 'Schmidt'],
    ['Dubois', 'Duboa'],
    ['Thomas', 'Tomas'],
    ['Dupont', 'Dupond'],
    ['Leroy', 'Leroi'],
    ['Noël', 'NOEL'],
    ['Hélène', 'Elène'],
  ])('%s sounds like %s', (a, b) => {
    expect(phoneticKey(a)).toBe(phoneticKey(b));
    expect(phoneticKey(a)).not.toBe('');
  });

  it.each([
    ['Martin', 'Marion'],
    ['Bernard', 'Renard'],
    ['Petit', 'Roux'],
    ['Guérin', 'Gérin'],
    ['Simon', 'Simone'.slice(0, 4)],
  ])('%s does not sound like %s', (a, b) => {
    expect(phoneticKey(a)).not.toBe(phoneticKey(b));
  });
});

describe('name normalisation and similarity', () => {
  it('folds accents, case, hyphens, apostrophes and spaces for strict equality', () => {
    expect(sameName("D'Almeida-Côté", 'DALMEIDA COTE')).toBe(true);
    expect(sameName('Le Goff', 'LEGOFF')).toBe(true);
    expect(sameName('Le Goff', 'Le Gof')).toBe(false);
    expect(sameName('', '')).toBe(false);
  });

  it('explains how two names match', () => {
    expect(nameSimilarity(nameForm('DE LA FONTAINE'), nameForm('Fontaine'))).toEqual({ score: 0.95, how: 'particule' });
    expect(nameSimilarity(nameForm("D'ALMEIDA"), nameForm('Almeida'))).toEqual({ score: 0.95, how: 'particule' });
    expect(nameSimilarity(nameForm('VAN DER BERGHE'), nameForm('Berghe')).how).toBe('particule');
    expect(nameSimilarity(nameForm('MÉNARD-LEBLANC'), nameForm('Menard'))).toEqual({ score: 0.8, how: 'nom composé' });
    expect(nameSimilarity(nameForm('Lefèvre'), nameForm('LEFEBVRE'))).toEqual({ score: 0.9, how: 'phonétique' });
    expect(nameSimilarity(nameForm('MARTIN'), nameForm('MATRIN'))).toEqual({ score: 0.85, how: 'orthographe approchée' });
    expect(nameSimilarity(nameForm('MARTIN'), nameForm('MARTINEZ')).score).toBeLessThan(0.8);
    expect(nameSimilarity(nameForm('PETIT'), nameForm('ROUX')).score).toBe(0);
    expect(nameSimilarity(nameForm('Hélène'), nameForm('HELENE'))).toEqual({ score: 1, how: '' });
  });

  it('compares birth dates with typical typos', () => {
    expect(dateSimilarity('1962-05-14', '1962-05-14').score).toBe(1);
    expect(dateSimilarity('1962-05-04', '1962-04-05').how).toBe('jour et mois inversés');
    expect(dateSimilarity('1962-05-14', '1962-05-15').how).toBe('un chiffre différent');
    expect(dateSimilarity('1962-05-14', '1926-05-14').how).toBe('chiffres inversés');
    expect(dateSimilarity('1962-05-14', '1971-09-30').score).toBe(0);
    const v = dateVariants('1962-05-14');
    expect(v).toContain('1962-05-15');
    expect(v).toContain('1963-05-14');
    expect(v).not.toContain('1962-05-14');
    expect(v.every((d) => /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(d))).toBe(true);
  });
});

describe('identity read from a subject, a file name, a text', () => {
  it('reads NOM prénom date from MSSanté subjects', () => {
    expect(parseSubjectIdentity('Compte rendu de consultation DUPONT Jean-Pierre 12/03/1950')).toEqual({ birthName: 'DUPONT', givenNames: ['Jean-Pierre'], birthDate: '1950-03-12' });
    expect(parseSubjectIdentity('CR IRM DE LA FONTAINE Marie 01-02-1970')).toEqual({ birthName: 'DE LA FONTAINE', givenNames: ['Marie'], birthDate: '1970-02-01' });
    expect(parseSubjectIdentity("Résultats Mme D'ALMEIDA Inès née le 3 août 1988")).toMatchObject({ birthName: "D'ALMEIDA", givenNames: ['Inès'], birthDate: '1988-08-03', sex: 'F' });
    expect(parseSubjectIdentity('Biologie MARTIN JEANNE 1961-04-03')).toEqual({ birthName: 'MARTIN', givenNames: ['JEANNE'], birthDate: '1961-04-03' });
    expect(parseSubjectIdentity('courrier dupont jean 12.03.1950')).toEqual({ birthName: 'dupont', givenNames: ['jean'], birthDate: '1950-03-12' });
  });

  it('finds dates in every usual form and refuses impossible ones', () => {
    expect(findDate('né le 31/02/1950')).toBeUndefined();
    expect(findDate('le 1er janvier 2001')?.date).toBe('2001-01-01');
    expect(findDate('X 2024-12-25 Y')?.date).toBe('2024-12-25');
  });

  it('reads labelled traits from a report text (pdf.js output)', () => {
    const text = "Compte rendu d'examens biologiques \nNom de naissance   PAT-TROIS\nPrénom(s) de naissance   DOMINIQUE MARIE-LOUISE [ DOMINIQUE ] \nSexe   Féminin \nDate de naissance   28/03/1979 \n";
    expect(parseTextIdentity(text)).toEqual({ birthName: 'PAT-TROIS', givenNames: ['DOMINIQUE', 'MARIE-LOUISE'], birthDate: '1979-03-28', sex: 'F' });
    expect(parseTextIdentity('Paris, le 28 décembre 2012\nM. TEST Alain, 40 ans\nCONSULTATION')).toMatchObject({ birthName: 'TEST', givenNames: ['Alain'], sex: 'M' });
    expect(parseTextIdentity('Patiente : BERNARD Chloé, née le 02/05/1990')).toMatchObject({ birthName: 'BERNARD', givenNames: ['Chloé'], birthDate: '1990-05-02', sex: 'F' });
  });

  it('combines text, subject and file name (text first)', () => {
    const id = identityFromText({ subject: 'Résultats', filename: 'CR_DUPONT_Jean_12031950.pdf', text: 'Sexe : M' });
    expect(id).toMatchObject({ traitsSource: 'text', birthName: 'DUPONT', givenNames: ['Jean'], birthDate: '1950-03-12', sex: 'M' });
    expect(identityFromText({ subject: 'Bonjour', filename: 'scan.pdf' }).traitsSource).toBe('none');
  });
});
