import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_FIELDS } from '../../electron/services/identity/csv-import';
import { serveBrowserHost } from '../../electron/web-host/serve';
import { CSV_IMPORT_MAX_BASE64, IMPORT_CSV_FIELDS, type ImportReportView } from '../../shared/import';

/**
 * `patients.importCsv` through the application's dispatcher (the path of every IPC and HTTP
 * call), on the training sandbox's seeded practice: argument checks, session, dry run that
 * writes nothing, the import under the signed-in user, the search index kept in step, the
 * `patients.changed` event, the audit entry, idempotence, mapping, and the browser host's body
 * limit for a real-sized file.
 */

const HEADER = 'nom_naissance;prenoms_naissance;date_naissance;sexe;lieu_naissance;nom_utilise;prenom_utilise;ins;ins_oid;statut_identite;id_externe;remarque';
const CSV =
  [
    HEADER,
    'Vérançon;Aurélie Jeanne;12/05/1984;F;63113;;;;;PROV;IMP-001;première visite',
    'DUBOSC-ÉTIENNE;Marc;1971-11-03;M;75056;;;;;VALI;IMP-002;',
    'PLOUZANÉ;Yann;31/02/1975;M;29212;;;;;PROV;IMP-003;date impossible',
    // The seeded test identity TCHITCHI Catarina Bella (PROV), written with her first first name only.
    'TCHITCHI;Catarina;21/06/1936;F;63220;;;;;PROV;IMP-004;',
  ].join('\r\n') + '\r\n';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

type Rpc = { ok: true; value: any } | { ok: false; error: { code: string; message: string } };

describe('patients.importCsv through the dispatcher (training sandbox)', () => {
  let served: Awaited<ReturnType<typeof serveBrowserHost>>;
  let dataDir: string;
  let changed = 0;
  const call = async (method: string, args: unknown) => (await served.booted.services.dispatch(method, args)) as Rpc;
  const value = async <T = any>(method: string, args: unknown): Promise<T> => {
    const res = await call(method, args);
    if (!res.ok) throw new Error(`${method}: ${res.error.code} ${res.error.message}`);
    return res.value as T;
  };
  const importCsv = (args: Record<string, unknown>) => value<ImportReportView>('patients.importCsv', { fileName: 'export-ancien-logiciel.csv', ...args });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lgc-import-rpc-'));
    const staticDir = mkdtempSync(join(tmpdir(), 'lgc-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    served = await serveBrowserHost({ dataDir, staticDir, json: true, autoApproveCibaAfterMs: 50 });
    served.booted.services.events.on('patients.changed', () => changed++);
  }, 60_000);
  afterAll(async () => {
    await served?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the contract lists the service’s columns', () => {
    expect([...IMPORT_CSV_FIELDS]).toEqual([...CSV_FIELDS]);
  });

  it('requires a signed-in user', async () => {
    const res = await call('patients.importCsv', { fileName: 'a.csv', base64: b64(CSV), dryRun: true });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('UNAUTHENTICATED');
  });

  it('the preview (dry run) reports everything and writes nothing', async () => {
    const cards = await value<{ nationalId: string; role: string }[]>('auth.testCards', {});
    const session = await value('auth.loginCiba', { nationalId: cards.find((c) => c.role === 'secretary')!.nationalId });
    expect(session).toMatchObject({ state: 'active', user: { role: 'secretary' } });
    const auditBefore = (await value<{ action: string }[]>('audit.list', { limit: 500 })).length;
    const changedBefore = changed;

    const report = await importCsv({ base64: b64(CSV), dryRun: true });
    expect(report).toMatchObject({
      fileName: 'export-ancien-logiciel.csv',
      dryRun: true,
      total: 4,
      created: 2,
      updated: 0,
      unchanged: 0,
      invalidLines: 1,
      blankLines: 0,
      encoding: 'utf-8',
      delimiter: ';',
      ignoredColumns: ['remarque'],
    });
    expect(report.invalid).toEqual([{ line: 4, field: 'date_naissance', reason: 'date de naissance « 31/02/1975 » inexistante' }]);
    expect(report.duplicates).toHaveLength(1);
    const dup = report.duplicates[0]!;
    expect(dup).toMatchObject({ line: 5, reason: expect.stringContaining('doublon possible du dossier') });
    expect(dup.existing).toMatchObject({ id: dup.existingId, birthName: 'TCHITCHI', birthGivenNames: ['Catarina', 'Bella'], birthDate: '1936-06-21', identityStatus: 'PROV', ins: null });

    // Nothing written: no patient, no audit entry, no event.
    expect(await value('patients.search', { query: 'verancon', limit: 10 })).toEqual([]);
    expect(await value('patients.search', { query: 'dubosc', limit: 10 })).toEqual([]);
    const auditAfter = await value<{ action: string }[]>('audit.list', { limit: 500 });
    expect(auditAfter.length).toBe(auditBefore);
    expect(auditAfter.map((a) => a.action)).not.toContain('patient.import');
    expect(changed).toBe(changedBefore);
  });

  it('the confirmed import creates the valid lines under the user, found at once by search, audited once', async () => {
    const changedBefore = changed;
    const report = await importCsv({ base64: b64(CSV), dryRun: false });
    expect(report).toMatchObject({ dryRun: false, total: 4, created: 2, updated: 0, unchanged: 0, invalidLines: 1 });
    expect(report.duplicates.map((d) => d.existing?.birthName)).toEqual(['TCHITCHI']);
    expect(changed).toBe(changedBefore + 1);

    // The search index was kept in step: accent-less, lower-case, no restart.
    const found = await value<{ id: number; birthName: string; birthGivenNames: string[]; identityStatus: string }[]>('patients.search', { query: 'verancon aurelie', limit: 10 });
    expect(found[0]).toMatchObject({ birthName: 'VÉRANÇON', birthGivenNames: ['Aurélie', 'Jeanne'], identityStatus: 'PROV' });
    expect((await value<unknown[]>('patients.search', { query: 'dubosc etienne', limit: 10 }))[0]).toMatchObject({ birthName: 'DUBOSC-ÉTIENNE', identityStatus: 'VALI' });
    // The seeded TCHITCHI is untouched and still alone; the invalid line was not created.
    const tchitchi = await value<{ birthGivenNames: string[] }[]>('patients.search', { query: 'tchitchi', limit: 10 });
    expect(tchitchi).toHaveLength(1);
    expect(tchitchi[0]!.birthGivenNames).toEqual(['Catarina', 'Bella']);
    expect(await value('patients.search', { query: 'plouzane', limit: 10 })).toEqual([]);

    // One audit entry, by the signed-in secretary, with the counts; the identity history names the file.
    const audit = await value<{ action: string; actor: string; actorRole: string; detail: string }[]>('audit.list', { limit: 50 });
    const entries = audit.filter((a) => a.action === 'patient.import');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'Sophie DURAND', actorRole: 'secretary' });
    expect(JSON.parse(entries[0]!.detail)).toMatchObject({ fichier: 'export-ancien-logiciel.csv', lignes: 4, crees: 2, doublons: 1, invalides: 1 });
    const record = await value<{ externalId: string; identityHistory: { by: string; reason: string; evidence: string }[] }>('patients.get', { id: found[0]!.id });
    expect(record.externalId).toBe('IMP-001');
    expect(record.identityHistory[0]).toMatchObject({ by: 'Sophie DURAND', reason: expect.stringContaining('import CSV') });
    expect(JSON.parse(record.identityHistory[0]!.evidence)).toEqual({ note: 'import CSV', ligne: 2, fichier: 'export-ancien-logiciel.csv' });
  });

  it('is idempotent: the same file again changes nothing', async () => {
    const report = await importCsv({ base64: b64(CSV), dryRun: false });
    expect(report).toMatchObject({ total: 4, created: 0, updated: 0, unchanged: 2, invalidLines: 1 });
    expect(report.duplicates).toHaveLength(1);
    expect(await value<unknown[]>('patients.search', { query: 'verancon', limit: 10 })).toHaveLength(1);
  });

  it('takes a column mapping and a Windows-1252 file', async () => {
    const text = 'NOM;PRENOMS;NE_LE;SEXE;DOSSIER\r\nMÉNARD-LÉGER;Agnès;07/08/1959;F;OLD-77\r\n';
    const latin = Buffer.from(text, 'latin1');
    const mapping = { nom_naissance: 'NOM', prenoms_naissance: 'PRENOMS', date_naissance: 'NE_LE', sexe: 'SEXE', id_externe: 'DOSSIER' };
    const preview = await importCsv({ fileName: 'ancien.csv', base64: latin.toString('base64'), mapping, dryRun: true });
    expect(preview).toMatchObject({ encoding: 'windows-1252', created: 1, ignoredColumns: [] });
    const done = await importCsv({ fileName: 'ancien.csv', base64: latin.toString('base64'), mapping, dryRun: false });
    expect(done.created).toBe(1);
    expect((await value<unknown[]>('patients.search', { query: 'menard leger agnes', limit: 5 }))[0]).toMatchObject({ birthName: 'MÉNARD-LÉGER', birthGivenNames: ['Agnès'] });
  });

  it('refuses, in French, a file it cannot use — whole, with nothing imported', async () => {
    const missing = await call('patients.importCsv', { fileName: 'x.csv', base64: b64('NOM;PRENOM\r\nA;B\r\n'), dryRun: false });
    expect(missing).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringMatching(/^Colonnes obligatoires absentes de l’en-tête : nom_naissance, prenoms_naissance, date_naissance, sexe/) } });
    const badMap = await call('patients.importCsv', { fileName: 'x.csv', base64: b64(CSV), mapping: { nom_naissance: 'NOM_DE_FAMILLE' }, dryRun: false });
    expect(badMap).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('Colonne « NOM_DE_FAMILLE » introuvable') } });
    const unknownField = await call('patients.importCsv', { fileName: 'x.csv', base64: b64(CSV), mapping: { nom: 'NOM' }, dryRun: true });
    expect(unknownField).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENTS' } });
    const noDryRun = await call('patients.importCsv', { fileName: 'x.csv', base64: b64(CSV) });
    expect(noDryRun).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENTS', message: expect.stringContaining('dryRun') } });
    const tooLarge = await call('patients.importCsv', { fileName: 'x.csv', base64: 'A'.repeat(CSV_IMPORT_MAX_BASE64 + 4), dryRun: true });
    expect(tooLarge).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENTS', message: 'Paramètres invalides : base64 : Fichier trop volumineux : 50 Mo au plus. Découpez-le ou utilisez la commande lgc import-patients.' } });
    const audit = await value<{ action: string }[]>('audit.list', { limit: 50 });
    expect(audit.filter((a) => a.action === 'patient.import')).toHaveLength(3); // the first import, its re-run, the mapped file
  });

  it('a real-sized export (38,000 lines, over 3 Mo) goes through the browser host', async () => {
    const letters = (n: number) => {
      let s = '';
      for (let k = 0; k < 4; k++, n = Math.floor(n / 26)) s += String.fromCharCode(65 + (n % 26));
      return s;
    };
    const lines = [HEADER];
    for (let i = 0; i < 38_000; i++) {
      // One birth date each (1905 to 2009): no two lines can look like the same person.
      const birth = new Date(Date.UTC(1905, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      lines.push(`VOLUME${letters(i)};Camille Marie;${birth};${i % 2 ? 'M' : 'F'};75056;;;;;PROV;VOL-${i};`);
    }
    const base64 = b64(lines.join('\r\n'));
    expect(base64.length).toBeGreaterThan(3_000_000);
    const res = await fetch(`${served.origin}/rpc/patients.importCsv`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ fileName: 'gros-export.csv', base64, dryRun: true }),
    });
    const body = (await res.json()) as Rpc;
    expect(body.ok).toBe(true);
    if (body.ok) expect(body.value).toMatchObject({ total: 38_000, created: 38_000, invalidLines: 0, dryRun: true });
    expect(await value('patients.search', { query: 'volumeaaaa', limit: 5 })).toEqual([]);
  }, 60_000);
});
