import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(p: string, o: object): string[] };
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Order of the fuse wire (@electron/fuses FuseV1Options).
const FUSES = ['RunAsNode', 'EnableCookieEncryption', 'EnableNodeOptionsEnvironmentVariable', 'EnableNodeCliInspectArguments', 'EnableEmbeddedAsarIntegrityValidation', 'OnlyLoadAppFromAsar', 'LoadBrowserProcessSpecificV8Snapshot', 'GrantFileProtocolExtraPrivileges'];

/**
 * Offline packaging check: electron-builder packs an unpacked Linux build around a stand-in
 * Electron distribution (a stub binary carrying the fuse wire). We inspect the real app.asar and
 * the fuses written into the binary. Native rebuild for Electron's ABI needs the Electron headers
 * (not downloadable here), so npmRebuild is off for this check only.
 */
describe('packaging (electron-builder, stand-in Electron distribution)', () => {
  const work = mkdtempSync(join(tmpdir(), 'lgc-pack-'));
  const out = join(work, 'release');
  let resources = '';

  beforeAll(() => {
    if (!existsSync('dist/renderer/index.html') || !existsSync('dist/electron/main.mjs')) throw new Error('run `npm run build` first');
    const electronDist = join(work, 'electron-dist');
    mkdirSync(join(electronDist, 'resources'), { recursive: true });
    writeFileSync(join(electronDist, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\n' + FUSE_SENTINEL), Buffer.from([1, FUSES.length]), Buffer.from('0'.repeat(FUSES.length))]), { mode: 0o755 });
    writeFileSync(join(electronDist, 'version'), require('electron/package.json').version);
    const result = spawnSync(
      process.execPath,
      ['node_modules/electron-builder/cli.js', '--linux', 'dir', '--publish', 'never', `-c.electronDist=${electronDist}`, '-c.npmRebuild=false', `-c.directories.output=${out}`],
      { encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
    );
    if (result.status !== 0) throw new Error(`electron-builder failed:\n${result.stdout}\n${result.stderr}`);
    resources = join(out, 'linux-unpacked', 'resources');
  }, 180_000);

  it('puts the built renderer, main and preload in app.asar, without tests or source maps', () => {
    const files = asar.listPackage(join(resources, 'app.asar'), {}).map((f) => f.replace(/\\/g, '/'));
    expect(files).toEqual(expect.arrayContaining(['/dist/renderer/index.html', '/dist/electron/main.mjs', '/dist/electron/preload.cjs', '/package.json']));
    expect(files.some((f) => f.startsWith('/dist/renderer/assets/') && f.endsWith('.js'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /^\/(tests|electron|renderer|scripts)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('/node_modules/'))).toEqual([]);
  });

  it('ships electron-updater and its runtime dependencies inside app.asar (main.mjs imports it)', () => {
    const files = asar.listPackage(join(resources, 'app.asar'), {}).map((f) => f.replace(/\\/g, '/'));
    for (const pkg of ['electron-updater', 'builder-util-runtime', 'lazy-val', 'semver', 'tiny-typed-emitter']) {
      expect(files, pkg).toContain(`/node_modules/${pkg}/package.json`);
    }
    expect(files).toContain('/node_modules/electron-updater/out/main.js');
    expect(readFileSync('dist/electron/main.mjs', 'utf8')).toMatch(/from "electron-updater"/);
    // The runtime side of `publish`: electron-updater reads its generic feed from app-update.yml.
    expect(readFileSync(join(resources, 'app-update.yml'), 'utf8')).toMatch(/^provider: generic$/m);
  });

  it('unpacks the native SQLite module out of the asar', () => {
    const unpacked = join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3');
    expect(existsSync(unpacked)).toBe(true);
    const release = join(unpacked, 'build', 'Release');
    expect(readdirSync(release).some((f) => f.endsWith('.node'))).toBe(true);
  });

  it('flips the security fuses in the binary as electron-builder.yml declares', () => {
    const binary = readFileSync(join(out, 'linux-unpacked', 'lgc-segur'));
    const at = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    const wire = binary.subarray(at + 2, at + 2 + FUSES.length).toString('latin1');
    const state = Object.fromEntries(FUSES.map((name, i) => [name, wire[i] === '1']));
    expect(state).toMatchObject({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      GrantFileProtocolExtraPrivileges: false,
    });
  });
});
