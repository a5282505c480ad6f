import { DOCTOR, expect, signIn, test } from './support/app-host';

test('the training sandbox opens on the worklist with seeded patients', async ({ page, app }) => {
  await signIn(page, app, DOCTOR);

  const badge = page.getByTestId('user-badge');
  await expect(badge).toContainText('Claire MARTIN');
  await expect(badge).toContainText('Médecin');
  await expect(page.getByTestId('training-banner')).toContainText('Mode formation');
  await expect(page.getByRole('heading', { name: 'Documents reçus' })).toBeVisible();
  await expect(page.getByTestId('mailbox-status')).toBeVisible();

  await page.keyboard.press('Alt+2');
  const list = page.getByTestId('patient-list');
  // Today's twelve appointments (then anyone opened recently).
  await expect(list).toContainText('TCHITCHI');
  expect(await list.getByRole('option').count()).toBeGreaterThanOrEqual(12);
  await page.screenshot({ path: 'tests/output/screenshots/patients-du-jour.png' });

  await page.keyboard.press('Alt+1');
  await expect(page.getByTestId('worklist')).toBeVisible();
  await page.screenshot({ path: 'tests/output/screenshots/worklist.png' });
});
