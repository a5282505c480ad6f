import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

describe('lgc sandbox --json', () => {
  it('starts the stand-ins headless, prints their endpoints as one JSON object, stops on SIGINT', async () => {
    const child = spawn(process.execPath, ['bin/lgc.mjs', 'sandbox', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const info = JSON.parse(line) as { endpoints: Record<string, string>; testCards: { role: string }[]; config: { mode: string } };
    expect(info.config.mode).toBe('training');
    expect(Object.keys(info.endpoints)).toEqual(expect.arrayContaining(['psc', 'insi']));
    for (const url of Object.values(info.endpoints)) expect(new URL(url).hostname).toBe('127.0.0.1');

    const discovery = await fetch(`${info.endpoints.psc}/.well-known/wallet-openid-configuration`);
    expect(discovery.ok).toBe(true);
    expect(((await discovery.json()) as { scopes_supported: string[] }).scopes_supported).toContain('scope_all');
    const insi = await fetch(info.endpoints.insi!, { method: 'POST', headers: { 'Content-Type': 'application/soap+xml' }, body: '<not-soap/>' });
    expect(insi.status).toBeGreaterThanOrEqual(400); // a real SOAP endpoint answering a fault
    expect(await insi.text()).toContain('Fault');

    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 60_000);
});
