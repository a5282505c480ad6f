// `npm run dist [-- --win|--mac|--linux] [electron-builder options]`: builds, then makes the real
// installers with electron-builder (electron-builder.yml) for the current OS or the given ones.
// electron-builder downloads the Electron distribution (and its headers, for the better-sqlite3
// rebuild): where that is impossible, stop early with a French message instead of failing late.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const electronVersion = require('electron/package.json').version;

const PLATFORM_FLAGS = { win32: ['--win', '-w', '--windows'], darwin: ['--mac', '-m', '-o', '--macos'], linux: ['--linux', '-l'] };
const platforms = Object.entries(PLATFORM_FLAGS).filter(([, flags]) => args.some((a) => flags.includes(a))).map(([p]) => p);
if (!platforms.length) platforms.push(process.platform);
const archs = ['x64', 'ia32', 'arm64', 'armv7l'].filter((a) => args.includes(`--${a}`));
if (!archs.length) archs.push(process.arch === 'arm64' ? 'arm64' : 'x64');
const hasOption = (name) => args.some((a) => a.startsWith(`-c.${name}=`) || a.startsWith(`--config.${name}=`));

function electronCacheDirs() {
  if (process.env.ELECTRON_CACHE) return [process.env.ELECTRON_CACHE];
  if (process.platform === 'win32') return [join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'electron', 'Cache')];
  if (process.platform === 'darwin') return [join(homedir(), 'Library', 'Caches', 'electron')];
  return [join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'electron')];
}

function inCache(fileName) {
  for (const dir of electronCacheDirs()) {
    if (!existsSync(dir)) continue;
    if (existsSync(join(dir, fileName))) return true;
    for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory() && existsSync(join(dir, sub.name, fileName))) return true;
  }
  return false;
}

/** null when reachable, otherwise the cause. A 404 or a network error means "cannot be obtained". */
async function unreachable(url) {
  try {
    const response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(20_000) });
    return response.status === 404 ? `${url} : introuvable (404)` : null;
  } catch (error) {
    return `${url} : ${error.cause?.code ?? error.message}`;
  }
}

function explainAndStop(causes) {
  console.error(
    `\nImpossible d'obtenir Electron ${electronVersion} sur ce poste :\n` +
      causes.map((c) => `  - ${c}\n`).join('') +
      '\nLes vrais installateurs (NSIS et MSI, dmg, AppImage et deb) doivent être construits sur un poste où\n' +
      'Electron peut être téléchargé (github.com/electron/electron/releases et electronjs.org/headers, ou un\n' +
      'miroir : ELECTRON_MIRROR), ou avec une distribution Electron locale (-c.electronDist=<dossier>).\n' +
      "Ici, le test hors ligne de l'empaquetage vérifie la configuration et le contenu du paquet :\n" +
      '  npx vitest run tests/unit/builder-config.test.ts tests/integration/packaging.test.ts\n',
  );
  process.exit(1);
}

// 1. Can electron-builder get Electron (cache or download) and, for the native rebuild, its headers?
if (!hasOption('electronDist')) {
  const mirror = process.env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/';
  const customDir = process.env.ELECTRON_CUSTOM_DIR ?? `v${electronVersion}`;
  const checks = [];
  for (const platform of platforms) {
    for (const arch of archs) {
      const fileName = `electron-v${electronVersion}-${platform}-${arch}.zip`;
      if (!inCache(fileName)) checks.push(unreachable(`${mirror.replace(/\/?$/, '/')}${customDir}/${fileName}`));
    }
  }
  if (!args.some((a) => /^(-c|--config)\.npmRebuild=false$/.test(a))) checks.push(unreachable(`https://www.electronjs.org/headers/v${electronVersion}/node-v${electronVersion}-headers.tar.gz`));
  const causes = (await Promise.all(checks)).filter(Boolean);
  if (causes.length) explainAndStop(causes);
}

// 2. The feed the per-user installs will poll.
const publishUrl = String(require('js-yaml').load(readFileSync('electron-builder.yml', 'utf8')).publish?.url ?? '');
if (publishUrl.includes('.example') && !hasOption('publish.url')) {
  console.warn(`Attention : le flux de mises à jour est l'adresse provisoire ${publishUrl}. Donnez celle de l'éditeur : npm run dist -- -c.publish.url=https://…\n`);
}

// 3. Build, then package.
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// npm exports its `nodedir` setting; node-gyp would then rebuild better-sqlite3 against Node's
// headers instead of Electron's, silently. The rebuild must target Electron or fail.
const env = { ...process.env };
for (const key of Object.keys(env)) if (/^npm_config_nodedir$/i.test(key)) delete env[key];

const output = [];
const child = spawn(process.execPath, ['node_modules/electron-builder/cli.js', ...args], { env, stdio: ['inherit', 'pipe', 'pipe'] });
child.stdout.on('data', (chunk) => (process.stdout.write(chunk), output.push(String(chunk))));
child.stderr.on('data', (chunk) => (process.stderr.write(chunk), output.push(String(chunk))));
const status = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));

// electron-builder's npmRebuild compiles better-sqlite3 in node_modules for Electron: put the Node
// build back for the tests and the CLI.
const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.log('\nRecompilation de better-sqlite3 pour Node (tests, CLI)…');
  spawnSync('npm', ['rebuild', 'better-sqlite3'], { stdio: 'inherit', shell: process.platform === 'win32' });
}

if (status !== 0) {
  const text = output.join('');
  const download = /(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|github\.com\/electron|electronjs\.org\/headers|cannot download|status code 40[34])/i.exec(text);
  if (download) explainAndStop([`electron-builder : ${download[0]}`]);
  process.exit(status);
}
console.log("\nInstallateurs dans le dossier de sortie (release/ par défaut), avec les latest*.yml à publier sur le flux de mises à jour.");
