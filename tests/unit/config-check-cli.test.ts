import { describe, expect, it } from 'vitest';
import { configCheckCommand } from '../../electron/cli/commands/config-check';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await configCheckCommand(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

const fixture = (name: string) => `tests/fixtures/config/${name}`;

describe('lgc config check', () => {
  it('exit 0 and « Configuration valide » for a valid file', async () => {
    const { code, stdout, stderr } = await run('check', fixture('practice-valid.json'));
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('Configuration valide');
    expect(stdout).toContain('Cabinet : Cabinet médical des Tilleuls');
    expect(stderr).toBe('');
  });

  it('exit 1 with one `clé : message` line per problem', async () => {
    const { code, stdout } = await run('check', fixture('practice-invalid.json'));
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Configuration invalide \(10 problèmes\) : .*practice-invalid\.json$/);
    expect(lines.slice(1)).toEqual([
      'mode : mode attendu : training ou production',
      'practice.siret : numéro SIRET invalide (14 chiffres, clé de contrôle)',
      'practice.colour : clé inconnue',
      'psc.issuer : adresse http(s) attendue',
      'mssante.imap.port : nombre attendu, texte reçu',
      'mssante.mailboxes.0.address : adresse de messagerie attendue',
      'mssante.mailboxes.0.kind : type attendu : personal ou organisational',
      'updates.channel : canal attendu : stable ou beta',
      'lockAfterMinutes : valeur trop grande (maximum 1440)',
      'autoIntegration : valeur attendue : direct ou confirm',
    ]);
  });

  it('refuses a plain secret and a file that is not JSON (exit 1)', async () => {
    const secret = await run('check', fixture('practice-plain-secret.json'));
    expect(secret.code).toBe(1);
    expect(secret.stdout).toMatch(/^psc\.clientSecret : secret en clair interdit/m);
    expect(secret.stdout).not.toContain('s3cr3t-en-clair');
    const notJson = await run('check', fixture('practice-not-json.json'));
    expect(notJson.code).toBe(1);
    expect(notJson.stdout).toMatch(/^\(fichier\) : JSON (invalide|incomplet)/m);
  });

  it('--json prints one object', async () => {
    const valid = await run('check', fixture('practice-valid.json'), '--json');
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ valid: true, problems: [] });
    const invalid = await run(fixture('practice-plain-secret.json'), '--json'); // also without the sub-command word
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ valid: false, problems: [{ key: 'psc.clientSecret' }] });
  });

  it('exit 2 on usage errors and unreadable files', async () => {
    expect((await run('check')).code).toBe(2);
    expect((await run('check', 'a.json', 'b.json')).code).toBe(2);
    const unknown = await run('check', fixture('practice-valid.json'), '--verbose');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage : lgc config check');
    const missing = await run('check', fixture('absent.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Fichier illisible : .*absent\.json \(fichier introuvable\)/);
    const folder = await run('check', 'tests/fixtures/config');
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('c’est un dossier');
    expect((await run('--help')).code).toBe(0);
  });
});
