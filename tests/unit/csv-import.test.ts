import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { patientInput } from '../../shared/domain';
import { isAppError } from '../../shared/errors';
import { readPatientLine, resolveColumns, CSV_FIELDS } from '../../electron/services/identity/csv-fields';
import { importPatientsCsv, mergedImportStatus, type ImportDeps, type ImportOptions, type ImportReport } from '../../electron/services/identity/csv-import';
import { decodeCsv, detectDelimiter, parseWithCsvParse, readCsvRecords, splitUnquoted } from '../../electron/services/identity/csv-read';
import { PatientSearchIndex } from '../../electron/services/identity/search-index';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase, type Db } from '../../electron/services/store/db';
import { createPatientsRepo, type PatientsRepo } from '../../electron/services/store/patients-repo';

const FIXTURES = join(__dirname, '..', 'fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const HEADER = CSV_FIELDS.join(';');
const NOW = () => new Date('2026-01-15T10:00:00Z');
const TEST_OID = '1.2.250.1.213.1.4.10';

/** One line of the canonical file from named values. */
function row(v: Partial<Record<(typeof CSV_FIELDS)[number], string>>): string {
  return CSV_FIELDS.map((f) => v[f] ?? '').join(';');
}
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

const catarina = { nom_naissance: 'TCHITCHI', prenoms_naissance: 'Catarina Bella', date_naissance: '21/06/1936', sexe: 'F', lieu_naissance: '63220', ins: '236066322083656', ins_oid: TEST_OID, statut_identite: 'QUAL', id_externe: 'D1' };

/** Every data line lands in exactly one bucket. */
function expectAccounted(r: ImportReport) {
  expect(r.created + r.updated + r.unchanged + r.duplicates.length + r.invalidLines).toBe(r.total);
  expect(new Set(r.invalid.map((i) => i.line)).size).toBe(r.invalidLines);
}

describe('CSV import: reading the file', () => {
  let db: Db;
  let repo: PatientsRepo;
  let deps: ImportDeps;
  const run = (input: Buffer | string, options: ImportOptions = {}) => importPatientsCsv(deps, input, { now: NOW, ...options });

  beforeEach(() => {
    db = openDatabase({ file: ':memory:' });
    repo = createPatientsRepo(db);
    deps = { db, patients: repo, audit: createAuditRepo(db), actor: { userId: null, displayName: 'Import CSV (test)', role: null } };
  });

  it('imports the canonical file (UTF-8 with BOM, `;`): names in capitals, statuses, INS with their OID, Corsican 2A/2B keys', () => {
    const r = run(fixture('patients-valid.csv'), { sourceName: 'patients-valid.csv' });
    expect(r).toMatchObject({ total: 7, created: 7, updated: 0, unchanged: 0, duplicates: [], invalid: [], encoding: 'utf-8', delimiter: ';', dryRun: false });
    expectAccounted(r);
    const corse = repo.findByIns('180032B02040123')!;
    expect(corse).toMatchObject({ birthName: 'CORSE', birthGivenNames: ['Anthony'], birthDate: '1980-03-02', sex: 'M', birthplaceCode: '2B020', identityStatus: 'QUAL', insOid: TEST_OID, externalId: 'DOS-0004' });
    expect(repo.findByIns('297022A02077878')).toMatchObject({ birthName: 'ADRTROIS', birthplaceCode: '2A020', identityStatus: 'QUAL' });
    expect(repo.findByIns('109076322083489')).toMatchObject({ birthGivenNames: ['Pierre-Alain'], birthDate: '2009-07-14', identityStatus: 'RECUP' });
    expect(repo.findByExternalId('DOS-0005')).toMatchObject({
      birthName: 'LEFÈVRE',
      birthGivenNames: ['Hélène', 'Marie'],
      usedName: 'DUPUIS-PÉRIER',
      usedGivenName: 'Léna',
      identityStatus: 'VALI',
      insMatricule: null,
    });
    expect(repo.findByExternalId('DOS-0006')).toMatchObject({ birthName: "D'ALMEIDA", birthGivenNames: ['Jean-Baptiste', 'Noël'], birthplaceCode: '99134', identityStatus: 'PROV' });
    expect(repo.findByExternalId('DOS-0007')).toMatchObject({ birthName: 'LE GOFF', identityStatus: 'PROV' }); // empty status → PROV
  });

  it('records an identity event per patient with the imported status and an "import CSV" evidence note, and one audit entry per run', () => {
    run(fixture('patients-valid.csv'), { sourceName: 'patients-valid.csv' });
    const events = repo.identityEvents(repo.findByIns('180032B02040123')!.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ fromStatus: null, toStatus: 'QUAL', at: NOW().toISOString() });
    expect(events[0]!.reason).toMatch(/import CSV/);
    expect(JSON.parse(events[0]!.evidence!)).toEqual({ note: 'import CSV', ligne: 5, fichier: 'patients-valid.csv' });
    const audit = createAuditRepo(db).list({ limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'patient.import', actor: 'Import CSV (test)', patientId: null });
    expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ fichier: 'patients-valid.csv', lignes: 7, crees: 7, misAJour: 0, inchanges: 0, doublons: 0, invalides: 0 });
  });

  it('detects the delimiter (`;`, `,`, tab) from the header line, quotes included', () => {
    expect(detectDelimiter('a;b;c\n1,2;3')).toBe(';');
    expect(detectDelimiter('a,b,c\n1;2;3')).toBe(',');
    expect(detectDelimiter('a\tb\tc\n')).toBe('\t');
    expect(detectDelimiter('"nom;x",b,c\n')).toBe(',');
    const tab = run(csv(row(catarina)).replace(/;/g, '\t'));
    expect(tab).toMatchObject({ delimiter: '\t', created: 1 });
  });

  it('reads `,`-separated files with quoted values, doubled quotes and a quoted delimiter (through csv-parse)', () => {
    const r = run(fixture('patients-other-software.csv'), {
      mapping: { nom_naissance: 'NOM', prenoms_naissance: 'PRENOMS', date_naissance: 'NE_LE', sexe: 'SEXE', lieu_naissance: 'code_insee', id_externe: 'NUM_DOSSIER' },
    });
    expect(r).toMatchObject({ total: 3, created: 3, delimiter: ',', invalid: [], ignoredColumns: ['TELEPHONE'] });
    expect(repo.findByExternalId('X-102')).toMatchObject({ birthName: "O'BRIEN", birthDate: '1955-08-03', birthplaceCode: '99132' });
    expect(repo.findByExternalId('X-101')).toMatchObject({ birthName: 'DE LA FONTAINE', birthplaceCode: '06088' });
  });

  it('decodes Windows-1252 files (invalid UTF-8) and UTF-16 with BOM', () => {
    const r = run(fixture('patients-latin1.csv'));
    expect(r).toMatchObject({ encoding: 'windows-1252', delimiter: ',', created: 3, invalid: [] });
    const names = [...repo.iterateAll()].map((p) => `${p.birthName} ${p.birthGivenNames.join(' ')} ${p.usedName ?? ''}`.trim());
    expect(names).toEqual(['LEFÈVRE Hélène', 'CHÂTELAIN Françoise Zoé GUÉRIN', 'QUÉMÉNEUR Noël']);

    expect(decodeCsv(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('nom;é', 'utf16le')]))).toEqual({ text: 'nom;é', encoding: 'utf-16le' });
    expect(decodeCsv(Buffer.from([0xef, 0xbb, 0xbf, 0x6e, 0xc3, 0xa9]))).toEqual({ text: 'né', encoding: 'utf-8' });
    // 0x80 € and 0x9C œ of Windows-1252, not ISO-8859-1 control characters.
    expect(decodeCsv(Buffer.from([0x43, 0x9c, 0x75, 0x72, 0x20, 0xe9, 0x80, 0x92]))).toEqual({ text: 'Cœur é€’', encoding: 'windows-1252' });
    expect(decodeCsv('\uFEFFnom')).toEqual({ text: 'nom', encoding: 'utf-8' });
  });

  it('splits quote-free files itself, exactly as csv-parse does, with the right line numbers', () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['a;b;c', '1;2;3', '', '4;;6', ';;', '7;8', ''].join(eol);
      expect(splitUnquoted(text, ';')).toEqual(parseWithCsvParse(text, ';'));
      expect(splitUnquoted(text, ';').map((r) => r.line)).toEqual([1, 2, 4, 5, 6]);
    }
    // A quoted line break: the record starts on its first line.
    const quoted = 'a;b\n"x\ny";2\n\n3;4\n';
    expect(readCsvRecords(quoted, ';')).toEqual([
      { line: 1, values: ['a', 'b'] },
      { line: 2, values: ['x\ny', '2'] },
      { line: 5, values: ['3', '4'] },
    ]);
  });

  it('refuses a file it cannot read as CSV, an empty file, or one without the required columns', () => {
    const error = (input: string, options?: ImportOptions) => {
      try {
        run(input, options);
      } catch (e) {
        return e;
      }
      throw new Error('no error');
    };
    expect(error(`${HEADER}\n"TCHITCHI;Catarina\n`)).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/illisible/) });
    expect(error('')).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/vide/) });
    const missing = error('nom;prenom;naissance\nA;B;01/01/1990\n');
    expect(isAppError(missing)).toBe(true);
    expect(missing).toMatchObject({ code: 'BAD_INPUT', details: { missing: ['nom_naissance', 'prenoms_naissance', 'date_naissance', 'sexe'] } });
    expect(error(csv(row(catarina)), { mapping: { nom_naissance: 'NOM_JF' } })).toMatchObject({ code: 'BAD_INPUT', details: { column: 'NOM_JF' } });
    expect(error(csv(row(catarina)), { mapping: { nom: 'X' } as never })).toMatchObject({ code: 'VALIDATION' });
    expect(repo.count()).toBe(0);
  });

  it('matches headers case-, accent- and space-insensitively; a mapping wins over the canonical name', () => {
    const header = 'Nom naissance;PRÉNOMS_NAISSANCE;Date-Naissance;Sexe;Nom';
    expect(resolveColumns(header.split(';')).index).toMatchObject({ nom_naissance: 0, prenoms_naissance: 1, date_naissance: 2, sexe: 3 });
    const mapped = resolveColumns(header.split(';'), { nom_naissance: 'nom' });
    expect(mapped.index.nom_naissance).toBe(4);
    expect(mapped.ignored).toEqual(['Nom naissance']);
  });
});

describe('CSV import: validation, line by line (never silently dropped)', () => {
  let deps: ImportDeps;
  let repo: PatientsRepo;
  const run = (...rows: string[]) => {
    const r = importPatientsCsv(deps, csv(...rows), { now: NOW });
    expectAccounted(r);
    return r;
  };
  const reasons = (r: ImportReport) => r.invalid.map((i) => `${i.line} ${i.field}: ${i.reason}`);

  beforeEach(() => {
    const db = openDatabase({ file: ':memory:' });
    repo = createPatientsRepo(db);
    deps = { db, patients: repo, audit: createAuditRepo(db), actor: { userId: null, displayName: 'Test', role: null } };
  });

  it('reports every problem of the mixed sample with its line and column, and imports the rest', () => {
    const r = importPatientsCsv(deps, fixture('patients-mixed.csv'), { now: NOW });
    expectAccounted(r);
    expect(r).toMatchObject({ total: 9, created: 2, invalidLines: 6 });
    expect(r.duplicates).toEqual([expect.objectContaining({ line: 3, otherLine: 2, reason: expect.stringMatching(/doublon possible de la ligne 2/) })]);
    expect(r.invalid.map((i) => [i.line, i.field])).toEqual([
      [4, 'date_naissance'],
      [5, 'date_naissance'],
      [6, 'sexe'],
      [7, 'ins'],
      [8, 'statut_identite'],
      [9, 'nom_naissance'],
    ]);
    expect(reasons(r).join('\n')).toMatchInlineSnapshot(`
      "4 date_naissance: date de naissance « 31/02/1975 » inexistante
      5 date_naissance: date de naissance « 12/05/2090 » dans le futur
      6 sexe: sexe « X » inconnu : attendu F ou M
      7 ins: INS « 180032B02040124 » refusé : clé de contrôle incorrecte.
      8 statut_identite: statut QUAL sans matricule INS : une identité qualifiée exige une INS valide
      9 nom_naissance: nom de naissance obligatoire"
    `);
  });

  it('accepts jj/mm/aaaa, j/m/aaaa, jj-mm-aaaa and ISO dates; refuses impossible, future, too old or unreadable ones', () => {
    const names = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO', 'FOXTROT', 'GOLF', 'HOTEL', 'INDIA', 'JULIETT'];
    const line = (date: string, id: string) => row({ ...catarina, ins: '', ins_oid: '', statut_identite: '', nom_naissance: names[Number(id)], date_naissance: date, id_externe: id });
    const r = run(line('21/06/1936', '0'), line('1/6/1936', '1'), line('21-06-1936', '2'), line('1936-06-21', '3'), line('29/02/2000', '4'), line('29/02/1900', '5'), line('15/01/2026', '6'), line('16/01/2026', '7'), line('01/01/1849', '8'), line('21 juin 1936', '9'));
    expect(r.created).toBe(6);
    expect(repo.findByExternalId('1')!.birthDate).toBe('1936-06-01');
    expect(repo.findByExternalId('3')!.birthDate).toBe('1936-06-21');
    expect(reasons(r)).toEqual([
      '7 date_naissance: date de naissance « 29/02/1900 » inexistante',
      '9 date_naissance: date de naissance « 16/01/2026 » dans le futur',
      '10 date_naissance: date de naissance « 01/01/1849 » invraisemblable (avant 1850)',
      '11 date_naissance: date de naissance « 21 juin 1936 » illisible : attendu jj/mm/aaaa ou aaaa-mm-jj',
    ]);
  });

  it('requires birth name, first names, date and sex, and checks characters and lengths', () => {
    const r = run(
      row({ id_externe: 'vide' }),
      row({ ...catarina, nom_naissance: 'DUP0NT', prenoms_naissance: 'Jean2' }),
      row({ ...catarina, nom_naissance: 'X'.repeat(101) }),
      row({ ...catarina, prenoms_naissance: 'A B C D E F G H I J K' }),
      row({ ...catarina, sexe: 'h', ins: '', ins_oid: '', statut_identite: 'validée', nom_naissance: 'HOMME', prenoms_naissance: 'Paul' }),
    );
    expect(r.invalid.filter((i) => i.line === 2).map((i) => i.field)).toEqual(['nom_naissance', 'prenoms_naissance', 'date_naissance', 'sexe']);
    expect(reasons(r).slice(4)).toEqual([
      '3 nom_naissance: nom de naissance « DUP0NT » : caractères non autorisés (chiffres ou symboles)',
      '3 prenoms_naissance: prénoms « Jean2 » : caractères non autorisés (chiffres ou symboles)',
      '4 nom_naissance: nom de naissance trop long (100 caractères au plus)',
      '5 prenoms_naissance: dix prénoms de naissance au plus',
    ]);
    expect(r.created).toBe(1);
    expect(repo.findByExternalId('D1')).toMatchObject({ birthName: 'HOMME', sex: 'M', identityStatus: 'VALI' }); // "h" = homme, status word
  });

  it('checks the COG code shape (5 characters, 2A/2B, 99xxx) and restores a leading zero lost by a spreadsheet', () => {
    const r = run(
      row({ ...catarina, lieu_naissance: '2a004', id_externe: 'a' }),
      row({ ...catarina, lieu_naissance: '6088', id_externe: 'b', ins: '', ins_oid: '', statut_identite: '', prenoms_naissance: 'Louise' }),
      row({ ...catarina, lieu_naissance: '2C004', id_externe: 'c' }),
      row({ ...catarina, lieu_naissance: '750561', id_externe: 'd' }),
    );
    expect(repo.findByExternalId('a')!.birthplaceCode).toBe('2A004');
    expect(repo.findByExternalId('b')!.birthplaceCode).toBe('06088');
    expect(reasons(r)).toEqual([
      '4 lieu_naissance: code lieu de naissance « 2C004 » : code COG de 5 caractères attendu (ex. 63113, 2A004, 99134)',
      '5 lieu_naissance: code lieu de naissance « 750561 » : code COG de 5 caractères attendu (ex. 63113, 2A004, 99134)',
    ]);
  });

  it('refuses an INS with a wrong key (Corsican ones included), a wrong shape, a missing or unknown OID', () => {
    const r = run(
      row({ ...catarina, nom_naissance: 'ADRTROIS', prenoms_naissance: 'Dominique', date_naissance: '26/02/1997', lieu_naissance: '2A020', ins: '297022A02077878', id_externe: 'ok2A' }),
      row({ ...catarina, nom_naissance: 'CORSE', prenoms_naissance: 'Anthony', sexe: 'M', date_naissance: '02/03/1980', lieu_naissance: '2B020', ins: '1 80 03 2B 020 401 23', id_externe: 'ok2B' }),
      row({ ...catarina, ins: '297022A02077879', id_externe: 'k1' }),
      row({ ...catarina, ins: '180032B02040122', id_externe: 'k2' }),
      row({ ...catarina, ins: '2360663220836', id_externe: 'k3' }),
      row({ ...catarina, ins: '2360663220836X6', id_externe: 'k4' }),
      row({ ...catarina, ins_oid: '', id_externe: 'k5' }),
      row({ ...catarina, ins_oid: '1.2.250.1.213.1.4.5', id_externe: 'k6' }),
    );
    expect(repo.findByExternalId('ok2A')!.insMatricule).toBe('297022A02077878');
    expect(repo.findByExternalId('ok2B')!.insMatricule).toBe('180032B02040123'); // spaces removed
    expect(reasons(r)).toEqual([
      '4 ins: INS « 297022A02077879 » refusé : clé de contrôle incorrecte.',
      '5 ins: INS « 180032B02040122 » refusé : clé de contrôle incorrecte.',
      '6 ins: INS « 2360663220836 » refusé : Le matricule INS doit comporter 15 caractères (13 + clé de 2 chiffres).',
      '7 ins: INS « 2360663220836X6 » refusé : Le matricule INS contient des caractères non autorisés.',
      '8 ins_oid: OID de l’INS manquant (1.2.250.1.213.1.4.8 pour un NIR, .4.9 pour un NIA)',
      '9 ins_oid: OID « 1.2.250.1.213.1.4.5 » inconnu : attendu 1.2.250.1.213.1.4.8 (NIR), 1.2.250.1.213.1.4.9 (NIA), 1.2.250.1.213.1.4.10 (test) ou 1.2.250.1.213.1.4.11 (démo)',
    ]);
    expect(r.created).toBe(2);
  });

  it('refuses QUAL or RECUP without an INS, and an unknown status; keeps an INS on a PROV or VALI identity', () => {
    const r = run(
      row({ ...catarina, ins: '', ins_oid: '', statut_identite: 'RECUP', id_externe: 'a' }),
      row({ ...catarina, statut_identite: 'QUALIFIE', id_externe: 'b' }),
      row({ ...catarina, statut_identite: 'PROV', id_externe: 'c' }),
    );
    expect(reasons(r)).toEqual([
      '2 statut_identite: statut RECUP sans matricule INS : une identité récupérée exige une INS valide',
      '3 statut_identite: statut « QUALIFIE » inconnu : attendu PROV, RECUP, VALI ou QUAL',
    ]);
    expect(repo.findByExternalId('c')).toMatchObject({ identityStatus: 'PROV', insMatricule: '236066322083656' });
  });

  it('refuses a line with a wrong number of columns (unquoted delimiter in a value) and counts blank lines apart', () => {
    const r = importPatientsCsv(deps, `${HEADER}\n${row(catarina)};en trop\n;;;;;;;;;;\n\n${row({ ...catarina, id_externe: 'x' })}\n`, { now: NOW });
    expectAccounted(r);
    expect(r).toMatchObject({ total: 2, created: 1, blankLines: 1 });
    expect(reasons(r)).toEqual(['2 ligne: 12 colonnes au lieu de 11 (séparateur « ; » dans une valeur sans guillemets ?)']);
  });

  it('accepts only what the creation form (patientInput) would accept', () => {
    const { index } = resolveColumns(HEADER.split(';'));
    const lines = readFileSync(join(FIXTURES, 'patients-valid.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\n').slice(1);
    for (const line of lines) {
      const read = readPatientLine(line.split(';'), index, '2026-01-15');
      expect(read.ok).toBe(true);
      if (!read.ok) continue;
      const f = read.fields;
      expect(patientInput.safeParse({ ...f, usedName: f.usedName, externalId: f.externalId }).success).toBe(true);
    }
    for (const bad of [{ nom_naissance: 'X'.repeat(101) }, { prenoms_naissance: 'A B C D E F G H I J K' }, { prenoms_naissance: 'Y'.repeat(61) }, { id_externe: 'Z'.repeat(65) }, { nom_utilise: 'U'.repeat(101) }]) {
      const values = row({ ...catarina, ...bad }).split(';');
      expect(readPatientLine(values, index, '2026-01-15').ok).toBe(false);
    }
  });
});

describe('CSV import: duplicates and idempotence', () => {
  let db: Db;
  let repo: PatientsRepo;
  let deps: ImportDeps;
  const run = (input: string | Buffer, options: ImportOptions = {}) => {
    const r = importPatientsCsv(deps, input, { now: NOW, ...options });
    expectAccounted(r);
    return r;
  };
  const countRows = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  beforeEach(() => {
    db = openDatabase({ file: ':memory:' });
    repo = createPatientsRepo(db);
    deps = { db, patients: repo, audit: createAuditRepo(db), actor: { userId: null, displayName: 'Test', role: null } };
  });

  it('is idempotent: re-running the same file creates nothing, reports every line unchanged, writes no event', () => {
    const first = run(fixture('patients-valid.csv'));
    expect(first.created).toBe(7);
    const events = countRows('identity_events');
    const second = run(fixture('patients-valid.csv'));
    expect(second).toMatchObject({ total: 7, created: 0, updated: 0, unchanged: 7, duplicates: [], invalid: [] });
    expect(repo.count()).toBe(7);
    expect(countRows('identity_events')).toBe(events);
    expect(createAuditRepo(db).list({ limit: 10 }).map((a) => a.action)).toEqual(['patient.import', 'patient.import']);
  });

  it('is idempotent without id_externe too: found again by INS, or by identical birth traits', () => {
    const file = csv(row({ ...catarina, id_externe: '' }), row({ nom_naissance: 'Martin', prenoms_naissance: 'Louis', date_naissance: '14/07/1950', sexe: 'M', lieu_naissance: '75056' }));
    expect(run(file)).toMatchObject({ created: 2 });
    expect(run(file)).toMatchObject({ created: 0, unchanged: 2, duplicates: [] });
    expect(repo.count()).toBe(2);
  });

  it('updates a record found by id_externe when the file changed it, without ever lowering its status by itself', () => {
    run(fixture('patients-valid.csv'));
    const changed = readFileSync(join(FIXTURES, 'patients-valid.csv'), 'utf8')
      .replace(';Dupuis-Périer;Léna;', ';Dupuis;;') // used names changed
      .replace('2B020;;;180032B02040123;1.2.250.1.213.1.4.10;QUAL', '2B020;;;180032B02040123;1.2.250.1.213.1.4.10;PROV'); // older export: PROV
    const r = run(changed);
    expect(r).toMatchObject({ created: 0, updated: 1, unchanged: 6 });
    expect(repo.findByExternalId('DOS-0005')).toMatchObject({ usedName: 'DUPUIS', usedGivenName: null });
    expect(repo.findByExternalId('DOS-0004')!.identityStatus).toBe('QUAL');
  });

  it('a changed strict trait of a qualified identity lowers it to VALI, recorded in its history', () => {
    run(csv(row(catarina)));
    const r = run(csv(row({ ...catarina, prenoms_naissance: 'Catarina', statut_identite: '' })));
    expect(r.updated).toBe(1);
    const p = repo.findByExternalId('D1')!;
    expect(p).toMatchObject({ birthGivenNames: ['Catarina'], identityStatus: 'VALI', insMatricule: '236066322083656' });
    const last = repo.identityEvents(p.id).at(-1)!;
    expect(last).toMatchObject({ fromStatus: 'QUAL', toStatus: 'VALI' });
    expect(last.reason).toMatch(/Trait strict modifié par import CSV \(birthGivenNames\)/);
  });

  it('merges evidence: a file declaring VALI on a RECUP identity gives QUAL', () => {
    expect(mergedImportStatus('RECUP', 'VALI', { strictTraits: false, ins: false })).toBe('QUAL');
    expect(mergedImportStatus('QUAL', 'PROV', { strictTraits: false, ins: false })).toBe('QUAL');
    expect(mergedImportStatus('QUAL', 'PROV', { strictTraits: true, ins: false })).toBe('VALI');
    expect(mergedImportStatus('RECUP', 'PROV', { strictTraits: false, ins: true })).toBe('PROV');
    expect(mergedImportStatus('PROV', 'QUAL', { strictTraits: true, ins: false })).toBe('QUAL');
  });

  it('same INS as an existing identity: links the line to it (id_externe added), or reports it when the traits differ', () => {
    const existing = repo.insert(
      { birthName: 'TCHITCHI', birthGivenNames: ['Catarina', 'Bella'], birthDate: '1936-06-21', sex: 'F', birthplaceCode: '63220', usedName: null, usedGivenName: null, insMatricule: '236066322083656', insOid: TEST_OID, identityStatus: 'QUAL', externalId: null },
      null,
    );
    const r = run(csv(row(catarina), row({ ...catarina, nom_naissance: 'AUTRE', prenoms_naissance: 'Zoé', date_naissance: '01/01/1990', id_externe: 'D2' })));
    expect(r).toMatchObject({ created: 0, updated: 1 });
    expect(repo.get(existing)!.externalId).toBe('D1');
    expect(r.duplicates).toEqual([{ line: 3, existingId: existing, reason: expect.stringMatching(/même INS que le dossier n° \d+ mais traits de naissance différents/) }]);
    expect(repo.count()).toBe(1);
  });

  it('same birth traits as an existing identity (one typo): « doublon possible », not created', () => {
    const existing = repo.insert(
      { birthName: 'LEFEVRE', birthGivenNames: ['Hélène'], birthDate: '1961-04-03', sex: 'F', birthplaceCode: null, usedName: null, usedGivenName: null, insMatricule: null, insOid: null, identityStatus: 'PROV', externalId: null },
      null,
    );
    const r = run(csv(row({ nom_naissance: 'Lefebvre', prenoms_naissance: 'Helene', date_naissance: '03/04/1961', sexe: 'F', id_externe: 'L1' })));
    expect(r).toMatchObject({ created: 0, duplicates: [{ line: 2, existingId: existing, reason: expect.stringMatching(/^doublon possible du dossier n° \d+/) }] });
    expect(repo.count()).toBe(1);
  });

  it('the same person twice in the file: the second line is reported, not imported', () => {
    const r = run(csv(row(catarina), row({ ...catarina, id_externe: 'D9' }), row({ ...catarina })));
    expect(r.created).toBe(1);
    expect(r.duplicates.map((d) => [d.line, d.otherLine])).toEqual([
      [3, undefined],
      [4, 2],
    ]);
    expect(r.duplicates[0]!.reason).toMatch(/même INS que le dossier n° \d+ \(identifiant externe D1 et non D9\)/);
    expect(r.duplicates[1]!.reason).toBe('identifiant externe D1 déjà présent ligne 2 du fichier');
  });

  it('dry run: same report, nothing written (no patient, no event, no audit), index untouched', () => {
    const index = new PatientSearchIndex();
    deps.index = index;
    const dry = run(fixture('patients-mixed.csv'), { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, total: 9, created: 2, invalidLines: 6 });
    expect(dry.duplicates[0]!.existingId).toBeNull(); // would be the patient of line 2, not created
    expect(repo.count()).toBe(0);
    expect(countRows('identity_events')).toBe(0);
    expect(countRows('audit_log')).toBe(0);
    expect(index.size).toBe(0);
    const real = run(fixture('patients-mixed.csv'));
    expect({ ...real, durationMs: 0, dryRun: true, duplicates: [] }).toEqual({ ...dry, durationMs: 0, duplicates: [] });
  });

  it('keeps the search index in step (created and updated patients), batch after batch', () => {
    const index = new PatientSearchIndex();
    deps.index = index;
    run(fixture('patients-valid.csv'), { batchSize: 2 });
    expect(index.size).toBe(7);
    expect(index.search('lefevre helene').map((h) => h.patient.externalId)).toEqual(['DOS-0005']);
    expect(index.search('180032B02040123')[0]!.patient.externalId).toBe('DOS-0004');
    run(readFileSync(join(FIXTURES, 'patients-valid.csv'), 'utf8').replace(';Dupuis-Périer;', ';Martin;'));
    expect(index.search('martin').map((h) => h.patient.externalId)).toEqual(['DOS-0005']);
  });

  it('matches against the store as it is at each run (patients added in between included)', () => {
    run(csv(row(catarina)));
    repo.insert({ birthName: 'MARTIN', birthGivenNames: ['Louis'], birthDate: '1950-07-14', sex: 'M', birthplaceCode: null, usedName: null, usedGivenName: null, insMatricule: null, insOid: null, identityStatus: 'PROV', externalId: 'M1' }, null);
    const r = run(csv(row({ nom_naissance: 'MARTIN', prenoms_naissance: 'Louis', date_naissance: '14/07/1950', sexe: 'M', id_externe: 'M1' })));
    expect(r).toMatchObject({ created: 0, unchanged: 1 });
  });
});
