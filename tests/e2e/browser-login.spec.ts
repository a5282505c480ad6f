import { expect, test } from './support/app-host';

test('login in the system browser: PSC page, test card, loopback redirect, back in the app', async ({ page, app, context }) => {
  await app.rpc('auth.logout');
  await page.goto(app.url);
  const popupPromise = context.waitForEvent('page');
  await page.getByRole('button', { name: /Se connecter dans le navigateur/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Terminez la connexion' })).toBeVisible();

  // The PSC stand-in's login page (what the system browser shows): pick the doctor's card.
  const psc = await popupPromise;
  await psc.waitForLoadState();
  expect(psc.url()).toContain('/auth/realms/esante-wallet');
  await psc.getByRole('button', { name: /Karim BENALI/ }).click();
  // The loopback redirect page asks the user to come back to the application.
  await expect(psc.locator('body')).toContainText(/application/i);
  expect(new URL(psc.url()).hostname).toBe('127.0.0.1');

  await expect(page.getByTestId('user-badge')).toContainText('Karim BENALI', { timeout: 20_000 });
  await expect(page.getByTestId('user-badge')).toContainText('Médecin');
});
