import { DOCTOR, expect, SECRETARY, signIn, test } from './support/app-host';

test('received documents arrive classified; the secretary files by keyboard, the doctor validates', async ({ page, app }) => {
  await signIn(page, app, SECRETARY);
  await page.keyboard.press('Alt+1');
  const items = page.getByTestId('worklist-items');
  // The sandbox operator's demo messages, synced over IMAP (XOAUTH2 with the PSC token) and classified.
  await expect(items.getByRole('option')).not.toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('mailbox-status')).toContainText('connectée');
  await expect(items).toContainText('Supprimé par l’émetteur');
  await expect(items).toContainText('remplacement');
  await expect(items).toContainText('Conflit d’identité');
  await expect(page.getByTestId('pdf-viewer').locator('canvas').first()).toBeVisible({ timeout: 15_000 });
  await page.screenshot({ path: 'tests/output/screenshots/worklist.png' });

  // A certain document (qualified INS, QUAL identity): selected, then one keystroke files it.
  const certain = items.getByRole('option').filter({ hasText: 'Proposé' }).filter({ hasNotText: 'possible' }).first();
  await certain.click();
  const detail = page.getByTestId('worklist-detail');
  await expect(detail.getByTestId('decision')).toContainText('Rattachement certain');
  const patient = (await detail.locator('.decision-patient').textContent())!;
  await page.locator('body').press('Enter');
  await page.getByRole('button', { name: /^À valider/ }).click();
  await expect(items.getByRole('option').filter({ hasText: patient }).first()).toContainText('À valider');

  // A proposal from traits only: the candidates are explained; Enter attaches the first one.
  await page.getByRole('button', { name: /^À traiter/ }).click();
  const proposal = items.getByRole('option').filter({ hasText: 'patient possible' }).first();
  await proposal.click();
  await expect(detail.getByRole('list', { name: 'Patients possibles' })).toBeVisible();
  await expect(detail.getByTestId('decision')).toContainText('Rattachement proposé');
  await page.locator('body').press('Enter');

  // The doctor sees what the secretary filed and who did it, and validates with V.
  await signIn(page, app, DOCTOR);
  await page.keyboard.press('Alt+1');
  await page.getByRole('button', { name: /^À valider/ }).click();
  const toValidate = page.getByTestId('worklist-items').getByRole('option').filter({ hasText: patient }).first();
  await toValidate.click();
  await expect(page.getByTestId('worklist-detail')).toContainText('Rattaché par Sophie DURAND');
  await page.locator('body').press('v');
  await page.getByRole('button', { name: /^Intégrés/ }).click();
  await expect(page.getByTestId('worklist-items').getByRole('option').filter({ hasText: patient }).first()).toContainText('Intégré');

  // A deletion requested by the sender is only applied after confirmation.
  await page.getByRole('button', { name: /^À traiter/ }).click();
  await page.getByTestId('worklist-items').getByRole('option').filter({ hasText: 'Supprimé par l’émetteur' }).first().click();
  await expect(page.getByRole('button', { name: /Confirmer la suppression/ })).toBeVisible();
});
