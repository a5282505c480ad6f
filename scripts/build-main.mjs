// Bundles the main process, the preload and the CLI with esbuild (the renderer is built by Vite).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

import { tsImport } from 'tsx/esm/api';

// The sandboxed preload needs only the method and event names: give it those as a tiny virtual
// module generated from the contract, instead of bundling zod and every schema into it.
const { METHOD_NAMES, EVENT_NAMES } = await tsImport('../shared/contract.ts', import.meta.url);
const contractNamesOnly = {
  name: 'contract-names-only',
  setup(b) {
    b.onResolve({ filter: /shared\/contract$/ }, () => ({ path: 'contract-names', namespace: 'virtual' }));
    b.onLoad({ filter: /.*/, namespace: 'virtual' }, () => ({
      contents: `export const METHOD_NAMES = ${JSON.stringify(METHOD_NAMES)}; export const EVENT_NAMES = ${JSON.stringify(EVENT_NAMES)};`,
      loader: 'js',
    }));
  },
};

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  define: { __LGC_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
};

await Promise.all([
  // ESM, node_modules left as imports: they ship beside the bundle (better-sqlite3 is native).
  build({ ...common, entryPoints: ['electron/shell/main.ts'], outfile: 'dist/electron/main.mjs', format: 'esm', packages: 'external' }),
  build({ ...common, entryPoints: ['electron/cli/lgc.ts'], outfile: 'dist/electron/cli.mjs', format: 'esm', packages: 'external' }),
  // Sandboxed preloads are one CommonJS script that may only require 'electron'.
  build({ ...common, entryPoints: ['electron/shell/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'], plugins: [contractNamesOnly] }),
]);
