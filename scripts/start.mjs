// `npm start`: builds, then opens the Electron window when an Electron binary is installed, or
// serves the same app in the browser host (loopback HTTP) when it is not — as on machines where
// the Electron download is blocked. Both land in the training sandbox when no practice
// configuration exists.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const run = (cmd, args) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

run(process.execPath, ['scripts/build.mjs']);

function findElectronBinary() {
  try {
    const path = require('electron'); // the binary's path, or throws when it was not downloaded
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

// package.json denies Electron's install script (npm install must succeed where its download is
// blocked); fetch the binary here instead, once, and remember a failure for a day.
let electronBinary = findElectronBinary();
const failureMark = '.cache/electron-download-failed';
const recentlyFailed = existsSync(failureMark) && Date.now() - statSync(failureMark).mtimeMs < 24 * 3600 * 1000;
if (!electronBinary && !recentlyFailed && !process.env.LGC_BROWSER_HOST) {
  console.log('Téléchargement du binaire Electron…');
  const result = spawnSync(process.execPath, ['node_modules/electron/install.js'], { stdio: 'ignore', timeout: 120_000 });
  electronBinary = result.status === 0 ? findElectronBinary() : null;
  if (!electronBinary) {
    mkdirSync('.cache', { recursive: true });
    writeFileSync(failureMark, new Date().toISOString());
  }
}

const passThrough = process.argv.slice(2);
if (electronBinary && !process.env.LGC_BROWSER_HOST) {
  run(process.execPath, ['scripts/native-for-electron.mjs']);
  const nativeBinding = readFileSync('.cache/electron-native/current', 'utf8');
  const child = spawn(electronBinary, ['dist/electron/main.mjs', ...passThrough], {
    stdio: 'inherit',
    env: { ...process.env, LGC_SQLITE_NATIVE_BINDING: nativeBinding },
  });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    "\nLe binaire Electron n'est pas installé sur ce poste (son téléchargement est bloqué ici) :\n" +
      "LGC Ségur démarre dans l'hôte navigateur, avec les mêmes services, sur 127.0.0.1.\n",
  );
  const child = spawn(process.execPath, ['bin/lgc.mjs', 'serve', '--open', ...passThrough], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
