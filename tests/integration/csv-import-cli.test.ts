import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importPatientsCommand } from '../../electron/cli/commands/import-patients';
import type { ImportReport } from '../../electron/services/identity/csv-import';
import { createAuditRepo } from '../../electron/services/store/audit-repo';
import { openDatabase } from '../../electron/services/store/db';
import { createPatientsRepo } from '../../electron/services/store/patients-repo';

const FIXTURES = join(__dirname, '..', 'fixtures');
const MIXED = join(FIXTURES, 'patients-mixed.csv');
const VALID = join(FIXTURES, 'patients-valid.csv');

/** Runs the command in this process, capturing what it prints. */
async function lgcImport(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await importPatientsCommand(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('lgc import-patients', () => {
  let dataDir: string;
  const inDb = <T>(fn: (db: ReturnType<typeof openDatabase>) => T): T => {
    const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lgc-import-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('imports a file with invalid lines: exit 0, French summary listing duplicates and invalid lines', async () => {
    const { code, stdout, stderr } = await lgcImport('--data-dir', dataDir, MIXED);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Import de patients-mixed\.csv \(UTF-8, séparateur « ; »\)/);
    expect(stdout).toMatch(/Lignes lues\s+: 9/);
    expect(stdout).toMatch(/Patients créés\s+: 2/);
    expect(stdout).toMatch(/Doublons possibles \(écartés\)\s+: 1/);
    expect(stdout).toMatch(/Lignes invalides \(écartées\)\s+: 6/);
    expect(stdout).toContain('ligne 3 : doublon possible de la ligne 2 du fichier');
    expect(stdout).toContain('ligne 7, ins : INS « 180032B02040124 » refusé : clé de contrôle incorrecte.');
    expect(stdout).toContain('ligne 5, date_naissance : date de naissance « 12/05/2090 » dans le futur');
    inDb((db) => {
      expect(createPatientsRepo(db).count()).toBe(2);
      const audit = createAuditRepo(db).list({ limit: 5 });
      expect(audit.map((a) => [a.action, a.actor, a.userId])).toEqual([['patient.import', 'Import CSV (ligne de commande)', null]]);
      expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ fichier: 'patients-mixed.csv', lignes: 9, crees: 2, doublons: 1, invalides: 6 });
    });
  });

  it('--json prints the report; a second run is idempotent (everything unchanged)', async () => {
    const first = await lgcImport('--data-dir', dataDir, '--json', VALID);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as ImportReport;
    expect(report).toMatchObject({ total: 7, created: 7, updated: 0, unchanged: 0, duplicates: [], invalid: [], encoding: 'utf-8', delimiter: ';' });
    expect(typeof report.durationMs).toBe('number');

    const second = await lgcImport('--data-dir', dataDir, '--json', VALID);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ total: 7, created: 0, updated: 0, unchanged: 7, duplicates: [], invalid: [] });
    inDb((db) => {
      expect(createPatientsRepo(db).count()).toBe(7);
      expect((db.prepare('SELECT count(*) AS n FROM identity_events').get() as { n: number }).n).toBe(7);
    });
  });

  it('--dry-run reports without writing anything', async () => {
    const { code, stdout } = await lgcImport('--data-dir', dataDir, '--dry-run', VALID);
    expect(code).toBe(0);
    expect(stdout).toContain('simulation : rien n’a été enregistré');
    expect(stdout).toMatch(/Patients à créer\s+: 7/);
    inDb((db) => {
      expect(createPatientsRepo(db).count()).toBe(0);
      expect(createAuditRepo(db).list({ limit: 5 })).toEqual([]);
    });
  });

  it('--map maps the columns of another software’s export', async () => {
    const file = join(FIXTURES, 'patients-other-software.csv');
    const maps = ['nom_naissance=NOM', 'prenoms_naissance=PRENOMS', 'date_naissance=NE_LE', 'sexe=SEXE', 'lieu_naissance=CODE_INSEE', 'id_externe=NUM_DOSSIER'];
    const { code, stdout } = await lgcImport('--data-dir', dataDir, '--json', ...maps.flatMap((m) => ['--map', m]), file);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ created: 3, ignoredColumns: ['TELEPHONE'] });
  });

  it('exit 1: unreadable file, unknown column, file without the required columns', async () => {
    const missing = await lgcImport('--data-dir', dataDir, join(dataDir, 'absent.csv'));
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/impossible de lire .*absent\.csv \(fichier introuvable\)/);

    const column = await lgcImport('--data-dir', dataDir, '--map', 'nom_naissance=NOM_JF', VALID);
    expect(column.code).toBe(1);
    expect(column.stderr).toMatch(/Colonne « NOM_JF » introuvable/);

    const other = join(dataDir, 'autre.csv');
    writeFileSync(other, 'nom;prenom\nA;B\n');
    const required = await lgcImport('--data-dir', dataDir, other);
    expect(required.code).toBe(1);
    expect(required.stderr).toMatch(/Colonnes obligatoires absentes de l’en-tête : nom_naissance, prenoms_naissance, date_naissance, sexe/);
  });

  it('exit 2: usage errors (no file, two files, bad --map, unknown field, unknown option)', async () => {
    for (const argv of [[], [VALID, MIXED], ['--map', 'nom_naissance', VALID], ['--map', 'nom=NOM', VALID], ['--inconnue', VALID]]) {
      const r = await lgcImport('--data-dir', dataDir, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^Erreur : .*\n\nUsage : lgc import-patients/s);
    }
    expect((await lgcImport('--help')).stdout).toMatch(/^Usage : lgc import-patients/);
  });

  it('runs as `lgc import-patients` (bin/lgc.mjs): exit code and JSON on stdout', () => {
    const run = (...argv: string[]) =>
      spawnSync(process.execPath, ['bin/lgc.mjs', 'import-patients', ...argv], {
        cwd: join(__dirname, '..', '..'),
        encoding: 'utf8',
        env: { ...process.env, LGC_FROM_SOURCES: '1' },
      });
    const ok = run('--data-dir', dataDir, '--json', MIXED);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ total: 9, created: 2 });
    const again = run('--data-dir', dataDir, '--json', MIXED);
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 9, created: 0, unchanged: 2 });
    expect(run('--data-dir', dataDir, join(dataDir, 'absent.csv')).status).toBe(1);
    expect(run('--data-dir', dataDir).status).toBe(2);
  }, 60_000);
});
