// Full build: renderer (Vite) then main, preload and CLI (esbuild).
import { spawnSync } from 'node:child_process';

for (const args of [['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], ['scripts/build-main.mjs']]) {
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
