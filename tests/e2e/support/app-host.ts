import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test as base, expect, type Page } from '@playwright/test';

export interface AppHost {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  /** Calls a contract method over the same HTTP transport as the renderer. */
  rpc<T = unknown>(method: string, args?: unknown): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
}

/**
 * Starts `lgc serve` (the browser host, training sandbox) in a fresh data directory — the same
 * command `npm start` runs on machines without Electron — and stops it after the test file.
 */
export async function startAppHost(env: Record<string, string> = {}, extraArgs: string[] = []): Promise<AppHost & { stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lgc-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['bin/lgc.mjs', 'serve', '--data-dir', dataDir, '--json', ...extraArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lgc serve did not start:\n${stderr}`)), 45_000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`lgc serve exited (${code}):\n${stderr}`)));
  });
  const info = JSON.parse(line) as { url: string; origin: string };
  const token = new URL(info.url).searchParams.get('t')!;
  return {
    url: info.url,
    origin: info.origin,
    token,
    dataDir,
    async rpc(method, args = {}) {
      const res = await fetch(`${info.origin}/rpc/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
      return (await res.json()) as { ok: boolean; value?: never; error?: { code: string; message: string } };
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const test = base.extend<{ app: AppHost }, { appWorker: AppHost & { stop(): Promise<void> } }>({
  appWorker: [
    async ({}, use) => {
      const host = await startAppHost({ LGC_LOCK_AFTER_SECONDS: process.env.LGC_E2E_LOCK_AFTER_SECONDS ?? '' });
      await use(host);
      await host.stop();
    },
    { scope: 'worker' },
  ],
  app: async ({ appWorker }, use) => use(appWorker),
});

export { expect };

/** Opens the app and signs in with one of the sandbox test cards (e-CPS push, auto-approved). */
export async function signIn(page: Page, app: AppHost, who: RegExp): Promise<void> {
  await app.rpc('auth.logout'); // one session per workstation: start each test from the login screen
  await page.goto(app.url);
  await expect(page.getByTestId('training-banner')).toBeVisible();
  await page.getByRole('button', { name: who }).click();
  await expect(page.getByTestId('user-badge')).toBeVisible({ timeout: 20_000 });
}

export const DOCTOR = /Claire MARTIN/;
export const SECRETARY = /Sophie DURAND/;
