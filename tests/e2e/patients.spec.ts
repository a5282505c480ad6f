import { expect, SECRETARY, signIn, test } from './support/app-host';

test('the secretary creates a patient, is warned of a duplicate, and finds it by a misspelled name', async ({ page, app }) => {
  await signIn(page, app, SECRETARY);
  await page.keyboard.press('Alt+2');

  // Create: keyboard only.
  await page.keyboard.press('Alt+N');
  const form = page.getByRole('form', { name: 'Nouveau patient' });
  await form.getByLabel('Nom de naissance').fill('Lefèvre-Dubreuil');
  await form.getByLabel('Prénoms de naissance').fill('Hélène Marie');
  await form.getByLabel('Date de naissance').fill('03/04/1961');
  await form.getByLabel('Féminin').check();
  await form.getByLabel('Lieu de naissance').fill('63113');
  await form.getByRole('button', { name: 'Enregistrer' }).click();

  const record = page.getByTestId('patient-record');
  await expect(record).toContainText('LEFÈVRE-DUBREUIL Hélène');
  await expect(record).toContainText('Provisoire');
  await expect(record.getByTestId('ins')).toHaveCount(0);

  // Same birth traits again: the software proposes the existing record instead of a second one.
  await page.keyboard.press('Alt+N');
  const again = page.getByRole('form', { name: 'Nouveau patient' });
  await again.getByLabel('Nom de naissance').fill('LEFEVRE DUBREUIL');
  await again.getByLabel('Prénoms de naissance').fill('Helene');
  await again.getByLabel('Date de naissance').fill('03/04/1961');
  await again.getByLabel('Féminin').check();
  await again.getByRole('button', { name: 'Enregistrer' }).click();
  await expect(page.getByRole('alert')).toContainText('Doublon possible');
  await page.getByRole('button', { name: /LEFÈVRE-DUBREUIL Hélène/ }).click();
  await expect(page.getByTestId('patient-record')).toContainText('03/04/1961');

  // Search: no accent, one typo, then Enter opens the record.
  await page.keyboard.press('/');
  await page.keyboard.type('lefevr dubreiul');
  const list = page.getByTestId('patient-list');
  await expect(list.getByRole('option').first()).toContainText('LEFÈVRE-DUBREUIL');
  await page.keyboard.press('Enter');
  const audit = page.getByTestId('audit-entries');
  await expect(audit).toContainText('Création du patient');
  await expect(audit).toContainText('Consultation du dossier');
  await expect(audit).toContainText('Sophie DURAND');
});
