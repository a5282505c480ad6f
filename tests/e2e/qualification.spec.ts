import { DOCTOR, expect, SECRETARY, signIn, test } from './support/app-host';

test('the secretary qualifies a patient with a Vitale card in three interactions; the doctor sees who did it', async ({ page, app }) => {
  await signIn(page, app, SECRETARY);
  await page.keyboard.press('Alt+2');
  await page.keyboard.press('/');
  await page.keyboard.type('tchitchi');
  await expect(page.getByTestId('patient-list').getByRole('option').first()).toContainText('TCHITCHI');
  await page.keyboard.press('Enter');
  const record = page.getByTestId('patient-record');
  await expect(record).toContainText('Provisoire');
  await page.locator('body').click({ position: { x: 5, y: 5 } }); // leave the search box so Q is a shortcut

  // 1: Q opens the dialog — 2: read the Vitale card (INSi) — 3: ID document checked.
  await page.keyboard.press('q');
  await page.getByRole('button', { name: /Lire la carte Vitale : TCHITCHI/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'INSi a trouvé' })).toContainText('236066322083656');
  await page.getByRole('button', { name: 'Carte d’identité vérifiée : qualifier' }).click();

  await expect(record).toContainText('Qualifiée');
  await expect(record.getByTestId('ins')).toContainText('236066322083656');
  await expect(record).toContainText('par Sophie DURAND (secrétariat)');
  await page.screenshot({ path: 'tests/output/screenshots/identite-qualifiee.png' });

  await signIn(page, app, DOCTOR);
  await page.keyboard.press('Alt+2');
  await page.keyboard.press('/');
  await page.keyboard.type('tchitchi');
  await expect(page.getByTestId('patient-list').getByRole('option').first()).toContainText('TCHITCHI');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('patient-record')).toContainText('Identité qualifiée — pièce vérifiée : Carte nationale d');
  await expect(page.getByTestId('audit-entries')).toContainText('Qualification de l’identité — Sophie DURAND');
  await expect(page.getByTestId('audit-entries')).toContainText('Appel au téléservice INSi — Sophie DURAND');
});

test('INSi answers 02 for homonyms: the birthplace is asked for, then the identity is found', async ({ page, app }) => {
  await signIn(page, app, SECRETARY);
  await page.keyboard.press('Alt+2');
  await page.keyboard.press('/');
  await page.keyboard.type('duboisinsi');
  await expect(page.getByTestId('patient-list').getByRole('option').first()).toContainText('DUBOISINSI');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: /Qualifier l’identité/ }).click();
  await page.getByRole('button', { name: 'Rechercher l’INS par les traits d’identité' }).click();
  await expect(page.getByRole('alert')).toContainText(/plusieurs|Plusieurs/);
  await page.getByLabel('Lieu de naissance (COG)').fill('75056');
  await page.getByRole('button', { name: 'Relancer INSi' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'INSi a trouvé' })).toBeVisible();
});
