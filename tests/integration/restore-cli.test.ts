import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreCommand } from '../../electron/cli/commands/restore';
import { snapshot } from '../../electron/services/store/backup';
import { openDatabase } from '../../electron/services/store/db';
import { acquireInstanceLock } from '../../electron/services/store/instance-lock';
import { createPatientsRepo, type PatientFields } from '../../electron/services/store/patients-repo';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } } };
}

const PATIENT: PatientFields = {
  birthName: 'MARTIN', birthGivenNames: ['Louise'], birthDate: '1950-02-03', sex: 'F', birthplaceCode: null,
  usedName: null, usedGivenName: null, insMatricule: null, insOid: null, identityStatus: 'PROV', externalId: null,
};

function practice(): { dataDir: string; count: () => number } {
  const dataDir = mkdtempSync(join(tmpdir(), 'lgc-restore-'));
  dirs.push(dataDir);
  return {
    dataDir,
    count: () => {
      const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
      try {
        return createPatientsRepo(db).count();
      } finally {
        db.close();
      }
    },
  };
}

describe('lgc restore', () => {
  it('lists the backups, restores the latest after a safety copy, and the safety copy undoes it', async () => {
    const { dataDir, count } = practice();
    const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
    const repo = createPatientsRepo(db);
    repo.insert(PATIENT, null);
    snapshot(db, join(dataDir, 'sauvegardes'), 14, new Date('2026-11-20T08:00:00Z'));
    repo.insert({ ...PATIENT, birthName: 'BERNARD' }, null);
    db.close();
    expect(count()).toBe(2);

    const listed = io();
    expect(await restoreCommand(['--list'], dataDir, listed.io)).toBe(0);
    expect(listed.out.stdout).toMatch(/lgc-2026-11-20T08-00-00-000Z\.sqlite/);

    const run = io();
    expect(await restoreCommand(['--latest'], dataDir, run.io)).toBe(0);
    expect(count()).toBe(1);
    const safety = /Copie de sécurité de la base précédente : (.+)\n/.exec(run.out.stdout)![1]!;
    expect(readdirSync(join(dataDir, 'sauvegardes', 'securite'))).toHaveLength(1);

    // A wrong restore is itself undone from the safety copy.
    expect(await restoreCommand([safety], dataDir, io().io)).toBe(0);
    expect(count()).toBe(2);
  });

  it('refuses while the application works on the folder, and refuses a damaged backup; the base is untouched', async () => {
    const { dataDir, count } = practice();
    const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
    createPatientsRepo(db).insert(PATIENT, null);
    const backup = snapshot(db, join(dataDir, 'sauvegardes'), 14);
    db.close();

    // Another live process holds the folder (the parent of this test process stands in for it).
    writeFileSync(join(dataDir, 'lgc.pid'), JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-11-23T08:00:00Z' }));
    const busy = io();
    expect(await restoreCommand([backup.file], dataDir, busy.io)).toBe(1);
    expect(busy.out.stderr).toContain('déjà ouvert sur ce dossier');
    rmSync(join(dataDir, 'lgc.pid'));

    const damaged = join(dataDir, 'abimee.sqlite');
    writeFileSync(damaged, Buffer.alloc(8192, 7));
    const bad = io();
    expect(await restoreCommand([damaged], dataDir, bad.io)).toBe(1);
    expect(bad.out.stderr).toMatch(/Restauration refusée/);
    expect(count()).toBe(1);
  });

  it('a stale lock left by a crashed process does not block; a live one blocks a second instance', () => {
    const { dataDir } = practice();
    writeFileSync(join(dataDir, 'lgc.pid'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: 'x' }));
    const lock = acquireInstanceLock(dataDir);
    lock.release();
    writeFileSync(join(dataDir, 'lgc.pid'), JSON.stringify({ pid: process.ppid, host: hostname(), since: 'x' }));
    expect(() => acquireInstanceLock(dataDir)).toThrow(/déjà ouvert/);
  });
});
