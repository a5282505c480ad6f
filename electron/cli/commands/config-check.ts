import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkPracticeFile } from '../../services/config/sources';

/**
 * `lgc config check <fichier> [--json]` — validates one practice configuration file
 * (machine file or a draft of it) before it is deployed.
 * Exit status: 0 valid, 1 invalid, 2 usage error or unreadable file.
 */

export const CONFIG_CHECK_USAGE = `Usage : lgc config check <fichier> [--json]

Vérifie un fichier de configuration du cabinet (practice.json) avant son déploiement.
  --json    Résultat en JSON : { "valid": bool, "file": "...", "problems": [{ "key", "message" }] }
Code de sortie : 0 valide, 1 invalide, 2 erreur d'utilisation ou fichier illisible.
`;

export interface CliOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export async function configCheckCommand(argv: string[], io: CliOutput = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${CONFIG_CHECK_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(CONFIG_CHECK_USAGE);
    return 0;
  }
  // Registered as `lgc config …`: the sub-command comes first.
  if (positionals[0] === 'check') positionals = positionals.slice(1);
  if (positionals.length !== 1) {
    io.stderr.write(`${positionals.length ? 'Un seul fichier à la fois.' : 'Fichier à vérifier manquant.'}\n\n${CONFIG_CHECK_USAGE}`);
    return 2;
  }
  const file = resolve(positionals[0]!);

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'fichier introuvable' : code === 'EISDIR' ? 'c’est un dossier' : code === 'EACCES' || code === 'EPERM' ? 'droits insuffisants' : (error as Error).message;
    io.stderr.write(`Fichier illisible : ${file} (${why})\n`);
    return 2;
  }

  const { config, problems } = checkPracticeFile(text);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ valid: problems.length === 0, file, problems })}\n`);
  } else if (config) {
    io.stdout.write(`Configuration valide\n  Fichier : ${file}\n  Mode : ${config.mode === 'production' ? 'production' : 'formation'}\n  Cabinet : ${config.practice.name}\n`);
  } else {
    io.stdout.write(`Configuration invalide (${problems.length} problème${problems.length > 1 ? 's' : ''}) : ${file}\n`);
    for (const p of problems) io.stdout.write(`${p.key} : ${p.message}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}
