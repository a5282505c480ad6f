import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { PracticeConfigInput } from '../services/config/practice-config';
import { bootApp } from '../boot';
import { defaultDataDir } from '../paths';
import { createLogger } from '../services/log/logger';
import { startSandbox, type Sandbox } from '../sandbox/run';
import { serveBrowserHost } from '../web-host/serve';
import { AppError } from '../../shared/errors';
import { configCheckCommand } from './commands/config-check';
import { importPatientsCommand } from './commands/import-patients';
import { ingestCommand } from './commands/ingest';
import { restoreCommand } from './commands/restore';
import { resolveDataDir } from './data-dir';

/**
 * `lgc` — the command line of LGC Ségur for scripting and administration. Runs under plain Node;
 * every command takes `--data-dir DIR` (default: the same per-user folder as the application).
 */

const USAGE = `Usage : lgc <commande> [options]

Commandes :
  serve [--open] [--port N] [--config FICHIER]
                                  Démarre l'application dans le navigateur (hôte local 127.0.0.1)
  sandbox [--json] [--write-config FICHIER]
                                  Démarre les services simulés du mode formation et affiche leurs adresses ;
                                  --write-config écrit la configuration d'un poste qui les utilise
  config check <fichier> [--json] Vérifie un fichier de configuration de cabinet (déploiement)
  import-patients <fichier.csv>   Importe des patients (en-tête canonique ou --map champ=colonne ; --dry-run ; --json)
  ingest <fichiers…> [--json]     Classe des documents reçus (.eml, IHE_XDM.ZIP, .pdf) comme la liste de travail
  restore --list | --latest | <fichier>
                                  Restaure la base depuis une sauvegarde (copie de sécurité d'abord ; application fermée)
  help                            Affiche cette aide

Options communes :
  --data-dir DIR                  Dossier des données (défaut : ${defaultDataDir()})
`;

type Command = (argv: string[]) => Promise<number>;

/**
 * A workstation configuration pointing at these stand-ins (training mode, as a training centre
 * serving several workstations would): rehearses a real rollout, first-run checklist included.
 * The PSC client secret goes to a file beside it, referenced, as in production.
 */
function writeWorkstationConfig(file: string, sandbox: Sandbox): void {
  const secretFile = join(dirname(file), `${basename(file, extname(file))}.psc-secret`);
  writeFileSync(secretFile, sandbox.config.psc.clientSecret ?? '', { mode: 0o600 });
  const { practice, insi, dmp } = sandbox.config;
  const config: PracticeConfigInput = {
    mode: 'training',
    practice,
    psc: {
      issuer: sandbox.config.psc.issuer,
      clientId: sandbox.config.psc.clientId,
      clientAuth: { method: 'client_secret_basic', secretRef: `file:${secretFile}` },
      allowInsecureLoopback: true,
    },
    mssante: {
      imap: { host: sandbox.mail.imap!.host, port: sandbox.mail.imap!.port },
      smtp: { host: sandbox.mail.smtp!.host, port: sandbox.mail.smtp!.port },
      mailboxes: sandbox.mail.mailboxes.map((b) => ({ address: b.address, kind: b.kind, label: b.label, ...(b.ownerNationalId ? { ownerNationalId: b.ownerNationalId } : {}) })),
    },
    ...(insi ? { insi } : {}),
    ...(dmp ? { dmp: { endpoint: dmp.endpoint } } : {}),
  };
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
}

function dataDirFrom(value: string | undefined): string {
  return resolve(value ?? defaultDataDir());
}

function untilInterrupted(): Promise<void> {
  return new Promise((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}

const commands: Record<string, Command> = {
  async sandbox(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false }, 'write-config': { type: 'string' } },
    });
    const logger = createLogger({ level: 'warn' });
    const sandbox = await startSandbox({ logger });
    if (values['write-config']) {
      const file = resolve(values['write-config']);
      writeWorkstationConfig(file, sandbox);
      if (!values.json) process.stdout.write(`Configuration de poste de formation écrite : ${file}\n`);
    }
    const endpoints = Object.fromEntries(sandbox.endpoints.map((e) => [e.name, e.url]));
    if (values.json) {
      process.stdout.write(JSON.stringify({ dataDir: dataDirFrom(values['data-dir']), endpoints, testCards: sandbox.testCards, config: sandbox.config }) + '\n');
    } else {
      process.stdout.write('Services simulés du mode formation (Ctrl+C pour arrêter) :\n');
      for (const e of sandbox.endpoints) process.stdout.write(`  ${e.label.padEnd(34)} ${e.url}\n`);
      process.stdout.write('Cartes de test :\n');
      for (const c of sandbox.testCards) process.stdout.write(`  ${c.displayName.padEnd(34)} ${c.nationalId}\n`);
    }
    await untilInterrupted();
    await sandbox.close();
    return 0;
  },

  async serve(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        config: { type: 'string' },
        open: { type: 'boolean', default: false },
        port: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    const host = await serveBrowserHost({
      dataDir: dataDirFrom(values['data-dir']),
      ...(values.config ? { configFile: resolve(values.config) } : {}),
      exactDataDir: values['data-dir'] !== undefined,
      port: values.port ? Number(values.port) : 0,
      open: values.open ?? false,
      json: values.json ?? false,
    });
    await untilInterrupted();
    await host.close();
    return 0;
  },

  config: (argv) => configCheckCommand(argv),
  'import-patients': (argv) => importPatientsCommand(argv),
  ingest: (argv) => ingestCommand(argv),
  async restore(argv) {
    const index = argv.indexOf('--data-dir');
    return restoreCommand(argv, await resolveDataDir(index >= 0 ? argv[index + 1] : undefined));
  },

  async help() {
    process.stdout.write(USAGE);
    return 0;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = commands[name ?? 'help'];
  if (!command) {
    process.stderr.write(`Commande inconnue : ${name}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    const message = error instanceof AppError ? error.message : (error as Error).message;
    process.stderr.write(`Erreur : ${message}\n`);
    return 1;
  }
}

export { bootApp };
