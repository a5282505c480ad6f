import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
const { DebugLogger } = require('builder-util/out/DebugLogger');
const { load } = require('js-yaml');

describe('electron-builder configuration', () => {
  const config = load(readFileSync('electron-builder.yml', 'utf8'));

  it('validates against electron-builder’s schema (offline)', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('declares the security fuses and keeps the native module out of the asar', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
    expect(config.asarUnpack).toContain('**/node_modules/better-sqlite3/**');
    expect(config.files).toContain('!**/*.map');
  });

  it('rejects an unknown key (the check is real)', async () => {
    await expect(validateConfiguration({ ...config, notAnOption: true }, new DebugLogger(false))).rejects.toThrow();
  });
});
