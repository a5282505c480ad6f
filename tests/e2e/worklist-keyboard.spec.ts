import type { Locator, Page } from '@playwright/test';
import type { RecordDocument, WorklistItem } from '../../shared/domain';
import { type AppHost, DOCTOR, expect, SECRETARY, signIn, startAppHost, test } from './support/app-host';

/**
 * Issue #6, keyboard-first worklist against the training sandbox's demo messages:
 *  - the click budget (certain ≤ 1, trait-only with the right top candidate ≤ 2, change of patient ≤ 4),
 *  - a replacement (action C) and a deletion requested by the sender (action D),
 *  - a secretary's keyboard-only confirmation of a proposal made from traits alone.
 * The tests share one fresh host (own data directory, so no state from other spec files) and run in order.
 */
test.describe.configure({ mode: 'serial' });

let app: AppHost & { stop(): Promise<void> };
test.beforeAll(async () => {
  test.setTimeout(60_000);
  app = await startAppHost({ LGC_LOCK_AFTER_SECONDS: '' });
});
test.afterAll(async () => {
  await app?.stop();
});

/** The "À traiter" view exactly as WorklistScreen asks for it (same filter, same sort → same order). */
const TODO = { status: ['a_classer', 'propose', 'conflit', 'supprime_emetteur'], sort: 'date' };
const DONE = { status: ['integre'], sort: 'date' };

const rows = (page: Page) => page.getByTestId('worklist-items').getByRole('option');
const selectedRow = (page: Page) => page.locator('[data-testid="worklist-items"] [role="option"][aria-selected="true"]');
const detail = (page: Page) => page.getByTestId('worklist-detail');

async function list(filter: object = {}): Promise<WorklistItem[]> {
  const r = await app.rpc<WorklistItem[]>('worklist.list', filter);
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  return r.value!;
}
async function item(id: number): Promise<WorklistItem> {
  return (await list({})).find((i) => i.id === id)!;
}
async function recordDocuments(patientId: number): Promise<RecordDocument[]> {
  const r = await app.rpc<RecordDocument[]>('documents.list', { patientId });
  expect(r.ok, JSON.stringify(r.error)).toBe(true);
  return r.value!;
}

/** The demo items this file works on, found by what the worklist decided (not by position). */
interface Demo {
  certain: WorklistItem; // qualified INS of a QUAL identity, pre-attached (practice mode "confirm")
  traitOnly: WorklistItem; // CDA whose INS is unknown here: candidates from traits, right one on top
  pdfLetter: WorklistItem; // plain PDF letter: candidates from subject / file name / text
  conflict: WorklistItem; // INS of a local QUAL patient with another birth date
  original: WorklistItem; // lab report v1…
  replacement: WorklistItem; // …and its corrected version (action C)
  deletion: WorklistItem; // action D…
  deleted: WorklistItem; // …of this imaging report
}

async function demoItems(): Promise<Demo> {
  let found: Demo | null = null;
  await expect
    .poll(async () => {
      const all = await list({});
      const pending = (i: WorklistItem) => i.status === 'propose';
      const replacement = all.find((i) => i.action === 'C');
      const deletion = all.find((i) => i.action === 'D' && i.status === 'supprime_emetteur');
      const d: Partial<Demo> = {
        certain: all.find((i) => pending(i) && i.rule === 'auto' && !i.action && /consultation/i.test(i.subject)),
        traitOnly: all.find((i) => pending(i) && i.rule === 'proposed' && i.patientId === null && i.candidateCount > 0 && !/adressage/i.test(i.subject)),
        pdfLetter: all.find((i) => pending(i) && i.patientId === null && i.candidateCount > 0 && /adressage/i.test(i.subject)),
        conflict: all.find((i) => i.status === 'conflit'),
        replacement,
        original: replacement && all.find((i) => pending(i) && !i.action && i.patientId === replacement.patientId && i.typeCode === replacement.typeCode && i.id < replacement.id),
        deletion,
        deleted: deletion && all.find((i) => pending(i) && !i.action && i.patientId === deletion.patientId && i.typeCode === deletion.typeCode),
      };
      if (Object.values(d).every(Boolean) && Object.keys(d).length === 8) found = d as Demo;
      return found !== null;
    }, { timeout: 30_000, message: 'the demo messages are synced and classified' })
    .toBe(true);
  return found!;
}

/**
 * Counts interactions as the click budget defines them: each click and each command key is one;
 * the characters of a search are not counted. Moving through the list (↑/↓, j/k) is counted apart.
 */
class Meter {
  counts: Record<string, number> = {};
  nav: Record<string, number> = {};
  constructor(private page: Page, public scenario = '') {}
  async press(key: string) {
    this.counts[this.scenario] = (this.counts[this.scenario] ?? 0) + 1;
    await this.page.keyboard.press(key);
  }
  async click(target: Locator) {
    this.counts[this.scenario] = (this.counts[this.scenario] ?? 0) + 1;
    await target.click();
  }
  async type(text: string) {
    await this.page.keyboard.type(text);
  }
  async move(key: string) {
    this.nav[this.scenario] = (this.nav[this.scenario] ?? 0) + 1;
    await this.page.keyboard.press(key);
  }
}

/** Selects an item of the current view with ↓/↑ (or j/k) only, and waits for its detail to be loaded. */
async function goTo(page: Page, meter: Meter, filter: object, target: WorklistItem, keys: { down: string; up: string } = { down: 'ArrowDown', up: 'ArrowUp' }) {
  const ids = (await list(filter)).map((i) => i.id);
  const index = ids.indexOf(target.id);
  expect(index, `item ${target.id} is in the view`).toBeGreaterThanOrEqual(0);
  await expect(rows(page)).toHaveCount(ids.length);
  await expect(selectedRow(page)).toHaveCount(1);
  const selected = await rows(page).evaluateAll((els) => els.findIndex((e) => e.getAttribute('aria-selected') === 'true'));
  for (let i = selected; i < index; i++) await meter.move(keys.down);
  for (let i = selected; i > index; i--) await meter.move(keys.up);
  await expect(rows(page).nth(index)).toHaveAttribute('aria-selected', 'true');
  await expect(rows(page).nth(index)).toContainText(target.typeLabel ?? 'Document');
  // "With the item already in view": the row the keys act on is visible in the list, not scrolled away.
  await expect(rows(page).nth(index)).toBeInViewport({ ratio: 0.9 });
  // The detail pane of the new selection answers keys once loaded.
  await expect(detail(page).getByTestId('decision')).toBeVisible();
  await expect(detail(page).locator('h2')).toHaveText(await titleOf(target));
}

async function titleOf(i: WorklistItem): Promise<string> {
  const r = await app.rpc<{ title: string | null; item: WorklistItem }>('worklist.get', { id: i.id });
  return r.value!.title ?? r.value!.item.subject;
}

async function openWorklist(page: Page) {
  await page.keyboard.press('Alt+1');
  await expect(rows(page)).not.toHaveCount(0, { timeout: 30_000 });
}

/** Opens a patient's record from the Patients screen (Alt+2, search, Enter) and returns its document list. */
async function openRecord(page: Page, name: string, birth: string): Promise<Locator> {
  await page.keyboard.press('Alt+2');
  const search = page.getByRole('searchbox', { name: 'Rechercher un patient' });
  await search.fill(name);
  const options = page.getByTestId('patient-list').getByRole('option');
  const wanted = options.filter({ hasText: name }).filter({ hasText: birth });
  await expect(wanted).toHaveCount(1);
  await wanted.click();
  return page.getByTestId('record-documents');
}

function frDate(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split('-');
  return `${d}/${m}/${y}`;
}
async function birthOf(patientId: number): Promise<string> {
  const r = await app.rpc<{ birthDate: string }>('patients.get', { id: patientId });
  return frDate(r.value!.birthDate);
}

let demo: Demo;

test('click budget: certain ≤ 1, trait-only top candidate ≤ 2, change of patient ≤ 4 — keyboard only', async ({ page }) => {
  await signIn(page, app, DOCTOR);
  await openWorklist(page);
  demo = await demoItems();
  const meter = new Meter(page);
  const d = detail(page);

  // 1. Certain document (qualified INS, QUAL identity, pre-attached): Entrée.
  meter.scenario = 'certain';
  await goTo(page, meter, TODO, demo.certain);
  await expect(d.getByTestId('decision')).toContainText('Rattachement certain');
  await expect(d.locator('.decision-patient')).toHaveText(demo.certain.patientLabel!);
  await meter.press('Enter');
  await expect.poll(async () => (await item(demo.certain.id)).status).toBe('integre');
  await expect(rows(page)).toHaveCount((await list(TODO)).length); // gone from "À traiter"
  expect(await item(demo.certain.id)).toMatchObject({ patientId: demo.certain.patientId, needsValidation: false, validatedBy: expect.stringContaining('MARTIN') });

  // 2. Trait-only document (INS unknown here): the right patient is the first candidate; Entrée.
  meter.scenario = 'traitOnly';
  await goTo(page, meter, TODO, demo.traitOnly, { down: 'j', up: 'k' });
  await expect(d.getByTestId('decision')).toContainText('Rattachement proposé');
  const candidates = d.getByRole('list', { name: 'Patients possibles' });
  await expect(candidates.getByRole('button').first()).toHaveClass(/top/);
  const topName = (await candidates.locator('.candidate-name').first().textContent())!;
  await expect(d.getByRole('button', { name: /Rattacher au 1er patient proposé/ })).toBeVisible();
  await meter.press('Enter');
  await expect.poll(async () => (await item(demo.traitOnly.id)).status).toBe('integre');
  const traitFiled = await item(demo.traitOnly.id);
  expect(traitFiled.patientLabel).toBe(topName);

  // 3. Change of patient: the identity conflict is settled by choosing the patient explicitly
  //    (C, type the name, pick with ↓ if needed, Entrée picks and confirms).
  meter.scenario = 'changePatient';
  await goTo(page, meter, TODO, demo.conflict);
  await expect(d.getByTestId('decision')).toContainText('Conflit d’identité');
  await expect(d.getByRole('table', { name: 'Traits en désaccord' })).toContainText(/date de naissance/i);
  await expect(d.getByRole('button', { name: /^Accepter/ })).toHaveCount(0); // never one key for a conflict
  const conflictPatient = demo.conflict.patientLabel!;
  await meter.press('c');
  const dialog = page.getByRole('dialog', { name: 'Changer de patient' });
  await expect(dialog.getByRole('textbox', { name: 'Rechercher le patient du document' })).toBeFocused();
  const query = conflictPatient.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase(); // accents left out on purpose
  await meter.type(query);
  const expected = ((await app.rpc<{ id: number }[]>('patients.search', { query, limit: 8 })).value ?? []).map((p) => p.id);
  const results = dialog.getByRole('listbox', { name: 'Résultats' }).getByRole('option');
  await expect(results).toHaveCount(expected.length);
  const pick = expected.indexOf(demo.conflict.patientId!);
  expect(pick, 'the search finds the patient').toBeGreaterThanOrEqual(0);
  for (let i = 0; i < pick; i++) await meter.press('ArrowDown');
  await expect(results.nth(pick)).toHaveAttribute('aria-selected', 'true');
  await expect(results.nth(pick)).toContainText(conflictPatient.split(' ')[0]!);
  await meter.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect.poll(async () => (await item(demo.conflict.id)).status).toBe('integre');
  expect(await item(demo.conflict.id)).toMatchObject({ patientId: demo.conflict.patientId, needsValidation: false });

  const scenarios = ['certain', 'traitOnly', 'changePatient'] as const;
  const counts = Object.fromEntries(scenarios.map((k) => [k, meter.counts[k] ?? 0])) as Record<(typeof scenarios)[number], number>;
  const navigation = Object.fromEntries(scenarios.map((k) => [k, meter.nav[k] ?? 0]));
  // One JSON line for the closing note: interactions per scenario (navigation keys and search text apart).
  console.log(JSON.stringify({ bench: 'worklist.clicks', ...counts, budget: { certain: 1, traitOnly: 2, changePatient: 4 }, navigationKeys: navigation, searchText: query }));
  expect(counts.certain).toBeLessThanOrEqual(1);
  expect(counts.traitOnly).toBeLessThanOrEqual(2);
  expect(counts.changePatient).toBeLessThanOrEqual(4);

  // End state as the UI shows it: "Intégrés" view, then each patient's record.
  await page.getByRole('button', { name: /^Intégrés/ }).click();
  const doneIds = (await list(DONE)).map((i) => i.id);
  await expect(rows(page)).toHaveCount(doneIds.length);
  for (const it of [demo.certain, demo.traitOnly, demo.conflict]) {
    const filed = await item(it.id);
    const ids = doneIds;
    await expect(rows(page).nth(ids.indexOf(it.id))).toContainText('Intégré');
    await expect(rows(page).nth(ids.indexOf(it.id))).toContainText(filed.patientLabel!);
  }
  for (const it of [demo.certain, demo.traitOnly, demo.conflict]) {
    const filed = await item(it.id);
    const docs = await recordDocuments(filed.patientId!);
    const title = await titleOf(it);
    expect(docs.map((x) => x.title)).toContain(title);
    const record = await openRecord(page, filed.patientLabel!, await birthOf(filed.patientId!));
    await expect(record.getByRole('listitem').filter({ hasText: title }).first()).toContainText('reçu par MSSanté');
  }
});

test('replacement (action C): the corrected version replaces the filed one, history kept', async ({ page }) => {
  await signIn(page, app, DOCTOR);
  await openWorklist(page);
  const meter = new Meter(page, 'replacement');
  const d = detail(page);

  // The first version is filed (one key), then the corrected version is accepted (one key).
  await goTo(page, meter, TODO, demo.original);
  await expect(d.getByTestId('decision')).toContainText('Rattachement certain');
  await meter.press('Enter');
  await expect.poll(async () => (await item(demo.original.id)).status).toBe('integre');

  await goTo(page, meter, TODO, demo.replacement);
  await expect(selectedRow(page)).toContainText('remplacement');
  await expect(d.locator('.decision-patient')).toHaveText(demo.original.patientLabel!);
  await meter.press('Enter');
  await expect.poll(async () => (await item(demo.replacement.id)).status).toBe('integre');
  const replacement = await item(demo.replacement.id);
  expect(replacement.note).toMatch(/Remplace la version/);

  // The worklist shows the replacement as handled, with its note and history.
  await page.getByRole('button', { name: /^Intégrés/ }).click();
  await goTo(page, meter, DONE, demo.replacement);
  await expect(d.getByTestId('decision')).toContainText('Intégré');
  await expect(d.getByTestId('decision')).toContainText(/Remplace la version 1 \(historique conservé\)/);
  await expect(d.locator('.history')).toContainText(`Classé dans le dossier de ${demo.original.patientLabel}`);
  await expect(d.getByTestId('pdf-viewer').locator('canvas').first()).toBeVisible({ timeout: 15_000 });
  await page.screenshot({ path: 'tests/output/screenshots/worklist-versions.png' });

  // The record keeps both versions; the previous one is marked as replaced.
  const docs = await recordDocuments(demo.original.patientId!);
  const oldTitle = await titleOf(demo.original);
  const newTitle = await titleOf(demo.replacement);
  expect(docs.filter((x) => x.title === oldTitle && x.replaced)).toHaveLength(1);
  expect(docs.filter((x) => x.title === newTitle && !x.replaced)).toHaveLength(1);
  const record = await openRecord(page, demo.original.patientLabel!, await birthOf(demo.original.patientId!));
  await expect(record.getByRole('listitem').filter({ hasText: oldTitle }).filter({ hasNotText: newTitle })).toContainText('remplacé par une version plus récente');
  await expect(record.getByRole('listitem').filter({ hasText: newTitle })).not.toContainText('remplacé');
});

test('deletion requested by the sender (action D): confirmed with Suppr, undone, then applied to a filed document', async ({ page }) => {
  await signIn(page, app, DOCTOR);
  await openWorklist(page);
  const meter = new Meter(page, 'deletion');
  const d = detail(page);
  const deletedTitle = await titleOf(demo.deleted);

  // The document to delete is still in the worklist: confirming removes it from there (never filed).
  await goTo(page, meter, TODO, demo.deletion);
  await expect(d.getByTestId('decision')).toContainText('Supprimé par l’émetteur');
  await expect(d.getByRole('button', { name: /Confirmer la suppression/ })).toBeVisible();
  await meter.press('Delete');
  await expect.poll(async () => (await item(demo.deletion.id)).status).toBe('integre');
  expect(await item(demo.deleted.id)).toMatchObject({ status: 'rejete', note: 'Supprimé à la demande de l’émetteur.' });
  const todo = (await list(TODO)).map((i) => i.id);
  expect(todo).not.toContain(demo.deletion.id);
  expect(todo).not.toContain(demo.deleted.id);
  await expect(rows(page)).toHaveCount(todo.length);
  expect((await recordDocuments(demo.deleted.patientId!)).map((x) => x.title)).not.toContain(deletedTitle);
  await page.getByRole('button', { name: /^Rejetés/ }).click();
  await expect(rows(page).filter({ hasText: demo.deleted.patientLabel! }).filter({ hasText: demo.deleted.typeLabel! })).toContainText('Rejeté');

  // Undo (U) puts both back; file the document, then confirm the deletion again: the record keeps
  // the line, marked as deleted by the sender.
  await page.getByRole('button', { name: /^Tous/ }).click();
  await goTo(page, meter, { sort: 'date' }, demo.deletion);
  await expect(d.getByTestId('decision')).toContainText('Demande de suppression close');
  await meter.press('u');
  await expect.poll(async () => (await item(demo.deletion.id)).status).toBe('supprime_emetteur');
  expect((await item(demo.deleted.id)).status).toBe('propose');
  await page.getByRole('button', { name: /^À traiter/ }).click();
  await goTo(page, meter, TODO, demo.deleted);
  await meter.press('Enter');
  await expect.poll(async () => (await item(demo.deleted.id)).status).toBe('integre');
  await goTo(page, meter, TODO, demo.deletion);
  await expect(d.getByRole('button', { name: /Confirmer la suppression/ })).toBeVisible();
  await meter.press('Delete');
  await expect.poll(async () => (await item(demo.deletion.id)).status).toBe('integre');
  expect((await item(demo.deletion.id)).note).toMatch(/Suppression confirmée/);
  expect((await list(TODO)).map((i) => i.id)).not.toContain(demo.deletion.id);
  const docs = (await recordDocuments(demo.deleted.patientId!)).filter((x) => x.title === deletedTitle);
  expect(docs).toHaveLength(1);
  expect(docs[0]!.deletedBySender).toBe(true);
  const record = await openRecord(page, demo.deleted.patientLabel!, await birthOf(demo.deleted.patientId!));
  await expect(record.getByRole('listitem').filter({ hasText: deletedTitle })).toContainText('supprimé par l’émetteur');
});

test('the secretary confirms a trait-only proposal with the keyboard alone', async ({ page }) => {
  await signIn(page, app, SECRETARY);
  await openWorklist(page);
  const meter = new Meter(page, 'secretary');
  const d = detail(page);

  await goTo(page, meter, TODO, demo.pdfLetter, { down: 'j', up: 'k' });
  await expect(d.getByTestId('decision')).toContainText('Rattachement proposé');
  await expect(d.getByTestId('decision')).toContainText('jamais de rattachement automatique');
  const top = d.getByRole('list', { name: 'Patients possibles' }).getByRole('listitem').first();
  const topName = (await top.locator('.candidate-name').textContent())!;
  await expect(top).toContainText(/\d+ %/);
  await meter.press('Enter');

  // Filed in the top candidate's record, waiting for the doctor's validation, and out of "À traiter".
  await expect.poll(async () => (await item(demo.pdfLetter.id)).status).toBe('integre');
  const filed = await item(demo.pdfLetter.id);
  expect(filed).toMatchObject({ patientLabel: topName, needsValidation: true, confirmedBy: 'Sophie DURAND' });
  expect((await list(TODO)).map((i) => i.id)).not.toContain(demo.pdfLetter.id);
  await expect(rows(page)).toHaveCount((await list(TODO)).length);
  expect((await recordDocuments(filed.patientId!)).map((x) => x.title)).toContain(await titleOf(demo.pdfLetter));
  await page.getByRole('button', { name: /^À valider/ }).click();
  await goTo(page, meter, { toValidate: true, sort: 'date' }, demo.pdfLetter);
  await expect(d.getByTestId('decision')).toContainText('À valider par le médecin');
  await expect(d.locator('.decision-patient')).toHaveText(topName);
  await expect(d.getByTestId('decision')).toContainText('Rattaché par Sophie DURAND');
  expect(meter.counts.secretary).toBe(1); // navigation keys, then a single Entrée
});
