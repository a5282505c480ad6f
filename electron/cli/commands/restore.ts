import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../../../shared/errors';
import { listBackups, restore } from '../../services/store/backup';
import { acquireInstanceLock } from '../../services/store/instance-lock';
import type { CliOutput } from './config-check';

export const RESTORE_USAGE = `Usage : lgc restore --list | --latest | <fichier.sqlite>  [--data-dir DIR]

Restaure la base du cabinet depuis une sauvegarde (dossier « sauvegardes » des données).
L’application doit être fermée. La base actuelle est d’abord copiée à part (copie de sécurité),
ce qui permet d’annuler une restauration par erreur.
  --list     Liste les sauvegardes, la plus récente d’abord
  --latest   Restaure la plus récente
Code de sortie : 0 fait, 1 refusé (application ouverte, sauvegarde endommagée…), 2 erreur d’utilisation.
`;

function frenchSize(bytes: number): string {
  return `${(bytes / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
}

/** `lgc restore`: the restore command of the backups (safety copy first, refused under a running application). */
export async function restoreCommand(argv: string[], dataDir: string, io: CliOutput = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let values: { list?: boolean; latest?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'data-dir': { type: 'string' }, list: { type: 'boolean' }, latest: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${RESTORE_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(RESTORE_USAGE);
    return 0;
  }
  const backupDir = join(dataDir, 'sauvegardes');
  const backups = listBackups(backupDir);
  if (values.list) {
    if (!backups.length) io.stdout.write(`Aucune sauvegarde dans ${backupDir}\n`);
    for (const b of backups) io.stdout.write(`${new Date(b.createdAt).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}  ${frenchSize(b.size).padStart(9)}  ${b.file}\n`);
    return 0;
  }
  const chosen = values.latest ? backups[0]?.file : positionals[0] ? resolve(positionals[0]) : undefined;
  if (!chosen) {
    io.stderr.write(values.latest ? `Aucune sauvegarde dans ${backupDir}\n` : RESTORE_USAGE);
    return values.latest ? 1 : 2;
  }
  const database = join(dataDir, 'lgc.sqlite');
  let lock;
  try {
    lock = acquireInstanceLock(dataDir);
  } catch (error) {
    io.stderr.write(`Restauration refusée : ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const { safetyCopy } = restore(database, chosen, join(dataDir, 'sauvegardes', 'securite'));
    io.stdout.write(`Base restaurée depuis ${chosen}\n`);
    io.stdout.write(safetyCopy ? `Copie de sécurité de la base précédente : ${safetyCopy}\n` : 'Il n’y avait pas de base à remplacer.\n');
    return 0;
  } catch (error) {
    io.stderr.write(`Restauration refusée : ${error instanceof AppError ? error.message : String(error)}\n`);
    return 1;
  } finally {
    lock.release();
    if (!existsSync(database)) io.stderr.write('Attention : aucune base en place après l’opération.\n');
  }
}
