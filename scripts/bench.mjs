#!/usr/bin/env node
// `npm run bench -- <name> [args...]`: runs tests/bench/<name>.ts with tsx; without a name, lists the benches.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'tests', 'bench');
const available = existsSync(benchDir)
  ? readdirSync(benchDir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => f.slice(0, -3))
      .sort()
  : [];

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  process.stdout.write(`Usage : npm run bench -- <nom> [options]\n\nBancs d'essai disponibles :\n${available.map((b) => `  ${b}`).join('\n') || '  (aucun)'}\n`);
  process.exit(name ? 0 : available.length ? 0 : 1);
}
if (!available.includes(name)) {
  process.stderr.write(`Banc d'essai inconnu : ${name}\nDisponibles : ${available.join(', ') || '(aucun)'}\n`);
  process.exit(2);
}

const tsx = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
const child = spawn(tsx, [join(benchDir, `${name}.ts`), ...rest], { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
