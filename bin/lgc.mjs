#!/usr/bin/env node
// Entry of the `lgc` command: the bundled CLI when built, the TypeScript sources through tsx otherwise.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'dist', 'electron', 'cli.mjs');
let cli;
if (existsSync(bundled) && !process.env.LGC_FROM_SOURCES) {
  cli = await import(pathToFileURL(bundled).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  cli = await tsImport(pathToFileURL(join(root, 'electron', 'cli', 'lgc.ts')).href, import.meta.url);
}
process.exit(await cli.main(process.argv.slice(2)));
