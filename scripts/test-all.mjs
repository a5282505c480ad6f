// `npm test`: type checks, build, unit + integration (+ conformance when ../shared exists, + an
// offline packaging check) with Vitest, then end-to-end with Playwright (Chromium through the browser host; Electron when its
// binary exists). Ends with one plain line: "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const out = 'tests/output';
mkdirSync(out, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];

function step(label, cmd, args, env = {}) {
  console.log(`\n=== ${label} ===`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  console.log(`--- ${label}: ${result.status === 0 ? 'ok' : `échec (code ${result.status})`} en ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (result.status !== 0) problems.push(label);
  return result.status === 0;
}

const bin = (name) => `node_modules/.bin/${name}`;

step('Vérification des types (main, services, tests)', bin('tsc'), ['-p', 'tsconfig.json']);
step('Vérification des types (renderer)', bin('tsc'), ['-p', 'renderer/tsconfig.json']);

const built = step('Construction (renderer, main, preload, CLI)', process.execPath, ['scripts/build.mjs']);
rmSync(`${out}/vitest.json`, { force: true });
step('Tests unitaires, d’intégration et de conformité (Vitest)', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}/vitest.json`,
]);
if (existsSync(`${out}/vitest.json`)) {
  const report = JSON.parse(readFileSync(`${out}/vitest.json`, 'utf8'));
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += report.numFailedTests ?? 0;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} else {
  totals.failed += 1;
}

if (built) {
  rmSync(`${out}/playwright.json`, { force: true });
  step('Tests de bout en bout (Playwright)', bin('playwright'), ['test']);
  if (existsSync(`${out}/playwright.json`)) {
    const { stats } = JSON.parse(readFileSync(`${out}/playwright.json`, 'utf8'));
    totals.passed += stats.expected ?? 0;
    totals.failed += (stats.unexpected ?? 0) + (stats.flaky ?? 0);
    totals.skipped += stats.skipped ?? 0;
  } else {
    totals.failed += 1;
  }
}

if (problems.length) console.log(`\nÉtapes en échec : ${problems.join(' ; ')}`);
const failed = totals.failed + (problems.length && totals.failed === 0 ? problems.length : 0);
console.log(`\n${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped`);
process.exit(failed > 0 || problems.length ? 1 : 0);
