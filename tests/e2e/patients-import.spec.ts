import { expect, SECRETARY, signIn, startAppHost, test, type AppHost } from './support/app-host';

/**
 * CSV import from the patients screen (issue 3): the file is checked first (simulation), the
 * report lists the invalid line and the possible duplicate of a seeded patient, nothing is
 * written until « Importer N patients » (Entrée), then the imported patients are found by search.
 * Its own sandbox, so that the imported patients do not show up in the other files' lists.
 */

let host: AppHost & { stop(): Promise<void> };
test.beforeAll(async () => {
  host = await startAppHost();
});
test.afterAll(async () => {
  await host?.stop();
});

const CSV = [
  'nom_naissance;prenoms_naissance;date_naissance;sexe;lieu_naissance;nom_utilise;prenom_utilise;ins;ins_oid;statut_identite;id_externe',
  'Vérançon;Aurélie Jeanne;12/05/1984;F;63113;;;;;PROV;IMP-001',
  'DUBOSC-ÉTIENNE;Marc;1971-11-03;M;75056;;;;;VALI;IMP-002',
  'PLOUZANÉ;Yann;31/02/1975;M;29212;;;;;PROV;IMP-003',
  // The seeded test identity TCHITCHI Catarina Bella, exported with her first first name only.
  'TCHITCHI;Catarina;21/06/1936;F;63220;;;;;PROV;IMP-004',
].join('\r\n');

test('the secretary imports a CSV: simulation report, confirmation with Entrée, imported patient found by search', async ({ page }) => {
  await signIn(page, host, SECRETARY);
  await page.keyboard.press('Alt+2');
  await expect(page.getByRole('heading', { name: 'Patients', level: 1 })).toBeVisible();

  // The action is a keyboard shortcut and a button of the screen header.
  await expect(page.getByRole('button', { name: /Importer des patients \(CSV\)/ })).toHaveAttribute('aria-keyshortcuts', 'Alt+I');
  await page.keyboard.press('Alt+I');
  const panel = page.getByTestId('csv-import');
  await expect(panel.getByRole('heading', { name: 'Importer des patients (CSV)' })).toBeVisible();
  await expect(panel.getByLabel('Fichier CSV')).toBeFocused();

  // Choosing the file runs the simulation by itself.
  await panel.getByLabel('Fichier CSV').setInputFiles({ name: 'export-ancien-logiciel.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV, 'utf8') });
  const preview = panel.getByTestId('import-preview');
  await expect(preview).toBeVisible();
  await expect(panel.getByRole('status').first()).toContainText('simulation, rien n’a encore été enregistré');
  await expect(preview.getByTestId('count-created')).toContainText('À créer2');
  await expect(preview.getByTestId('count-updated')).toContainText('0');
  await expect(preview.getByTestId('count-duplicates')).toContainText('1');
  await expect(preview.getByTestId('count-invalid')).toContainText('1');
  await expect(preview.getByTestId('import-file-info')).toContainText('4 lignes lues · encodage UTF-8 · séparateur « ; »');
  const invalid = preview.getByTestId('import-invalid');
  await expect(invalid.getByRole('row')).toHaveCount(2);
  await expect(invalid.getByRole('row').nth(1)).toContainText('4date_naissancedate de naissance « 31/02/1975 » inexistante');
  const duplicates = preview.getByTestId('import-duplicates');
  await expect(duplicates.getByRole('row')).toHaveCount(2);
  await expect(duplicates.getByRole('row').nth(1)).toContainText('TCHITCHI Catarina');
  await expect(duplicates.getByRole('row').nth(1)).toContainText('21/06/1936');
  await expect(duplicates.getByRole('row').nth(1)).toContainText('doublon possible du dossier');

  const confirm = panel.getByRole('button', { name: /^Importer 2 patients/ });
  await expect(confirm).toBeFocused();
  await page.screenshot({ path: 'tests/output/screenshots/import-csv.png' });

  // Nothing written by the simulation.
  expect((await host.rpc<unknown[]>('patients.search', { query: 'verancon', limit: 10 })).value).toEqual([]);
  expect((await host.rpc<{ action: string }[]>('audit.list', { limit: 100 })).value!.map((a) => a.action)).not.toContain('patient.import');

  // Entrée confirms.
  await page.keyboard.press('Enter');
  const result = panel.getByTestId('import-result');
  await expect(panel.getByRole('heading', { name: /Import terminé/ })).toContainText('Import terminé : 2 patients créés, 0 mis à jour.');
  await expect(result.getByTestId('count-created')).toContainText('Créés2');
  await expect(result.getByTestId('import-duplicates')).toContainText('TCHITCHI Catarina');
  await expect(result.getByTestId('import-invalid')).toContainText('31/02/1975');
  await page.screenshot({ path: 'tests/output/screenshots/import-csv-termine.png' });
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);

  // Found at once by search, accents and case ignored; the record says where it comes from.
  await page.keyboard.press('/');
  await page.keyboard.type('verancon aurelie');
  const list = page.getByTestId('patient-list');
  await expect(list.getByRole('option').first()).toContainText('VÉRANÇON Aurélie');
  await expect(list.getByRole('option').first()).toContainText('12/05/1984');
  await page.keyboard.press('Enter');
  const record = page.getByTestId('patient-record');
  await expect(record).toContainText('Création de l’identité par import CSV (identité provisoire) — par Sophie DURAND');
  // The invalid line and the duplicate were not created.
  expect((await host.rpc<unknown[]>('patients.search', { query: 'plouzane', limit: 10 })).value).toEqual([]);
  expect((await host.rpc<unknown[]>('patients.search', { query: 'tchitchi', limit: 10 })).value).toHaveLength(1);
});

test('a Windows-1252 file naming its columns otherwise: the column mapping is offered, then the same preview and confirmation', async ({ page }) => {
  await signIn(page, host, SECRETARY);
  await page.keyboard.press('Alt+2');
  await page.keyboard.press('Alt+I');
  const panel = page.getByTestId('csv-import');
  const file = Buffer.from('NOM;PRÉNOMS;NÉ LE;SEXE;N° DOSSIER\r\nGRÉGOIRE-ÉLUARD;Noël;25/12/1948;M;ANC-12\r\n', 'latin1');
  await panel.getByLabel('Fichier CSV').setInputFiles({ name: 'ancien-logiciel.csv', mimeType: 'text/csv', buffer: file });

  // Refused whole (required columns not found), in French; the mapping opens with the file's headers.
  await expect(panel.getByRole('alert')).toContainText('Colonnes obligatoires absentes de l’en-tête : nom_naissance, prenoms_naissance, date_naissance.');
  const mapping = panel.getByRole('group', { name: 'Correspondance des colonnes' });
  await mapping.getByLabel('Nom de naissance').selectOption('NOM');
  await mapping.getByLabel('Prénoms de naissance').selectOption('PRÉNOMS');
  await mapping.getByLabel('Date de naissance').selectOption('NÉ LE');
  await mapping.getByLabel('Identifiant externe').selectOption('N° DOSSIER');
  await mapping.getByRole('button', { name: 'Vérifier à nouveau' }).click();

  const preview = panel.getByTestId('import-preview');
  await expect(preview.getByTestId('count-created')).toContainText('À créer1');
  await expect(preview.getByTestId('import-file-info')).toContainText('1 ligne lue · encodage Windows-1252 · séparateur « ; »');
  await expect(preview.getByTestId('import-ignored')).toHaveCount(0);
  await expect(panel.getByRole('alert')).toHaveCount(0);
  expect((await host.rpc<unknown[]>('patients.search', { query: 'gregoire eluard', limit: 5 })).value).toEqual([]);

  await expect(panel.getByRole('button', { name: /^Importer 1 patient/ })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.getByRole('heading', { name: /Import terminé/ })).toContainText('Import terminé : 1 patient créé, 0 mis à jour.');
  const found = (await host.rpc<{ birthName: string; birthGivenNames: string[] }[]>('patients.search', { query: 'gregoire eluard noel', limit: 5 })).value!;
  expect(found[0]).toMatchObject({ birthName: 'GRÉGOIRE-ÉLUARD', birthGivenNames: ['Noël'] });
});
