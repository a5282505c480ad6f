// Development launch with a real Electron binary: better-sqlite3 in node_modules is built for
// Node's ABI (tests, CLI). Build a second copy for Electron's ABI under .cache/ and point the main
// process at it (LGC_SQLITE_NATIVE_BINDING), leaving node_modules untouched. Packaging does its
// own rebuild (electron-builder); `npm install` never does this.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
const root = resolve('.cache/electron-native', electronVersion);
const binding = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');

if (!existsSync(binding)) {
  console.log(`Compilation de better-sqlite3 pour Electron ${electronVersion} (une seule fois)…`);
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'electron-native', private: true, dependencies: { 'better-sqlite3': '*' } }));
  cpSync('node_modules/better-sqlite3', join(root, 'node_modules/better-sqlite3'), { recursive: true });
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({ buildPath: root, electronVersion, onlyModules: ['better-sqlite3'], force: true });
}
process.env.LGC_SQLITE_NATIVE_BINDING = binding;
writeFileSync('.cache/electron-native/current', binding);
