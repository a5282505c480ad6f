import { DOCTOR, expect, SECRETARY, signIn, startAppHost, test } from './support/app-host';

test('a doctor-only action is refused to the secretary with a clear message', async ({ page, app }) => {
  await signIn(page, app, SECRETARY);
  await expect(page.getByTestId('user-badge')).toContainText('Secrétariat');
  await page.getByRole('button', { name: 'Sauvegarder' }).click();
  await expect(page.getByRole('alert')).toContainText('Action réservée au médecin');

  await signIn(page, app, DOCTOR);
  await page.getByRole('button', { name: 'Sauvegarder' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Sauvegarde faite' })).toBeVisible();
});

test('manual lock, then unlock by the same professional only', async ({ page, app }) => {
  await signIn(page, app, DOCTOR);
  await page.keyboard.press('Alt+V');
  await expect(page.getByRole('heading', { name: 'Session verrouillée' })).toBeVisible();
  // Only the locked user's card is offered; the data stays out of reach meanwhile.
  await expect(page.getByRole('button', { name: SECRETARY })).toHaveCount(0);
  expect((await app.rpc('patients.today')).error?.code).toBe('SESSION_LOCKED');
  await page.getByRole('button', { name: DOCTOR }).click();
  await expect(page.getByTestId('user-badge')).toContainText('Claire MARTIN', { timeout: 20_000 });
});

test.describe('inactivity', () => {
  test('the session locks itself after the configured delay', async ({ page }) => {
    const host = await startAppHost({ LGC_LOCK_AFTER_SECONDS: '4' });
    try {
      await signIn(page, host, DOCTOR);
      await expect(page.getByRole('heading', { name: 'Session verrouillée' })).toBeVisible({ timeout: 15_000 });
      await expect(page.getByRole('status').filter({ hasText: 'inactivité' })).toBeVisible();
    } finally {
      await host.stop();
    }
  });
});
