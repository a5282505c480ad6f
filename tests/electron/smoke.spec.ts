import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The same smoke scenario as tests/e2e/smoke.spec.ts, in the real Electron shell when its binary exists. */
function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) {
  console.log('[electron] Binaire Electron absent sur ce poste : le scénario Electron est ignoré (skipped). Le même scénario tourne dans Chromium via l’hôte navigateur.');
}

test.describe('Electron shell', () => {
  test.skip(!binary, 'Electron binary not installed on this machine (download blocked): skipped');

  test('opens the window on the training sandbox with seeded data, through the preload bridge', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lgc-electron-'));
    const nativeBinding = existsSync('.cache/electron-native/current') ? readFileSync('.cache/electron-native/current', 'utf8') : '';
    const app = await electron.launch({
      executablePath: binary!,
      args: ['dist/electron/main.mjs', '--data-dir', dataDir],
      env: { ...process.env, LGC_SQLITE_NATIVE_BINDING: nativeBinding },
    });
    try {
      const window = await app.firstWindow();
      expect(window.url()).toBe('app://lgc/index.html');
      // The bridge is exactly the contract; no Node in the page.
      expect(await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await window.evaluate(() => Object.keys((window as unknown as { lgc: object }).lgc).includes('patients.search'))).toBe(true);
      await expect(window.getByTestId('training-banner')).toBeVisible();
      await window.getByRole('button', { name: /Claire MARTIN/ }).click();
      await expect(window.getByTestId('user-badge')).toContainText('Claire MARTIN', { timeout: 20_000 });
      await window.keyboard.press('Alt+2');
      await expect(window.getByTestId('patient-list').getByRole('option')).toHaveCount(12);
      await window.screenshot({ path: 'tests/output/screenshots/electron-patients.png' });
    } finally {
      await app.close();
    }
  });
});
