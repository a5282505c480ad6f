import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, startAppHost, test } from './support/app-host';

/**
 * A configured workstation (not the built-in sandbox): the stand-ins run as a separate
 * "training centre" (`lgc sandbox --write-config`), the app is started on that file.
 */

let sandbox: ChildProcess | null = null;
let folder = '';
let configFile = '';
let doctorId = '';

test.beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'lgc-e2e-config-'));
  configFile = join(folder, 'poste.json');
  sandbox = spawn(process.execPath, ['bin/lgc.mjs', 'sandbox', '--json', '--write-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: sandbox!.stdout! }).once('line', resolve);
    sandbox!.once('exit', (code) => reject(new Error(`lgc sandbox exited ${code}`)));
  });
  const cards = (JSON.parse(line) as { testCards: { nationalId: string; role: string }[] }).testCards;
  doctorId = cards.find((c) => c.role === 'doctor')!.nationalId;
});

test.afterAll(async () => {
  if (sandbox) {
    sandbox.kill('SIGINT');
    await once(sandbox, 'exit');
  }
  rmSync(folder, { recursive: true, force: true });
});

test('first start of a configured workstation: one line per service, a clear error, then the login screen', async ({ page }) => {
  // INSi is misconfigured on purpose: nothing listens on port 9 of this machine.
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { insi: { endpoint: string } };
  config.insi.endpoint = 'http://127.0.0.1:9/insi';
  writeFileSync(configFile, JSON.stringify(config));
  const host = await startAppHost({}, ['--config', configFile]);
  try {
    await page.goto(host.url);
    await expect(page.getByRole('heading', { name: 'Premier démarrage du poste' })).toBeVisible();
    const checks = page.getByTestId('first-run-checks');
    await expect(checks.getByTestId('check-psc')).toContainText('Joignable', { timeout: 20_000 });
    await expect(checks.getByTestId('check-mailbox')).toContainText('Joignable');
    await expect(checks.getByTestId('check-mailbox')).toContainText('IMAP 127.0.0.1');
    await expect(checks.getByTestId('check-dmp')).toContainText('Joignable');
    await expect(checks.getByTestId('check-insi')).toContainText('Erreur');
    await expect(checks.getByTestId('check-insi')).toContainText('connexion refusée');
    await expect(page.getByRole('status').filter({ hasText: '1 service en erreur' })).toBeVisible();
    await page.screenshot({ path: 'tests/output/screenshots/premier-demarrage.png', fullPage: true });

    // Keyboard: the focus is on "Continuer quand même".
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Connexion avec Pro Santé Connect' })).toBeVisible();
    // Seen once per workstation: the next start goes straight to the login screen.
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Connexion avec Pro Santé Connect' })).toBeVisible();
    expect((await host.rpc<{ firstRunPending: boolean }>('app.info')).value?.firstRunPending).toBe(false);

    // No test cards outside the built-in sandbox: the professional types the national id, the
    // e-CPS push is approved (by the training centre's stand-in), the configured mailboxes sync.
    await expect(page.getByRole('heading', { name: 'Cartes de test (mode formation)' })).toHaveCount(0);
    await page.getByLabel('Identifiant national (RPPS précédé de 8)').fill(doctorId);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('user-badge')).toContainText('Médecin', { timeout: 20_000 });
    await expect(page.getByTestId('mailbox-status')).toContainText('connectée', { timeout: 30_000 });
  } finally {
    await host.stop();
  }
});

test('a bad configuration stops on a French error screen naming each bad key, never on the training sandbox', async ({ page }) => {
  const bad = join(folder, 'poste-errone.json');
  writeFileSync(
    bad,
    JSON.stringify({
      mode: 'production',
      practice: { name: 'Cabinet du Parc', structureId: '312345678900016', siret: '12345678900016' },
      psc: { issuer: 'http://auth.esante.gouv.fr/auth/realms/esante-wallet', clientId: 'lgc', clientSecret: 'en-clair' },
      lockAfterMinute: 30,
    }),
  );
  const host = await startAppHost({}, ['--config', bad]);
  try {
    await page.goto(host.url);
    await expect(page.getByRole('heading', { name: 'Configuration du poste invalide' })).toBeVisible();
    const problems = page.getByTestId('config-problems');
    await expect(problems.getByRole('row').filter({ hasText: 'psc.clientSecret' })).toContainText('secret en clair interdit');
    await expect(problems.getByRole('row').filter({ hasText: 'psc.issuer' })).toContainText('https obligatoire en production');
    await expect(problems.getByRole('row').filter({ hasText: 'lockAfterMinute' })).toContainText('clé inconnue');
    await expect(problems.getByRole('row').filter({ hasText: 'practice.siret' })).toContainText('SIRET invalide');
    await expect(problems).toContainText('Fichier du poste');
    await expect(page.getByTestId('training-banner')).toHaveCount(0);
    await page.screenshot({ path: 'tests/output/screenshots/configuration-invalide.png', fullPage: true });
    // Nothing else answers: no data reachable from a half-configured workstation.
    expect((await host.rpc('patients.today')).error?.code).toBe('CONFIGURATION');
  } finally {
    await host.stop();
  }
});
