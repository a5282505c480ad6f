import { expect, SECRETARY, signIn, test } from './support/app-host';

/** Records every status the first outbox row shows, as it changes (runs in the page; a string: the tests have no DOM types). */
const RECORD_STATUSES = `(() => {
  window.__outboxStatuses = [];
  const record = () => {
    const text = document.querySelector('[data-testid="outbox-row"] [data-testid="outbox-status"]')?.textContent ?? null;
    const seen = window.__outboxStatuses;
    if (text && seen[seen.length - 1] !== text) seen.push(text);
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

test('the secretary writes to a colleague with a record document and sees it go from "en attente" to "envoyé"', async ({ page, app }) => {
  await signIn(page, app, SECRETARY);

  // A document received from the cardiologist (who asked for a receipt) is filed: it is now in the patient's record.
  await page.keyboard.press('Alt+1');
  const items = page.getByTestId('worklist-items');
  await expect(items.getByRole('option')).not.toHaveCount(0, { timeout: 30_000 });
  const fromCardiologist = items.getByRole('option').filter({ hasText: 'Proposé' }).filter({ hasText: 'ROUSSEL' }).filter({ hasNotText: 'possible' }).first();
  await fromCardiologist.click();
  const detail = page.getByTestId('worklist-detail');
  await expect(detail.getByTestId('decision')).toContainText('Rattachement certain');
  const patient = (await detail.locator('.decision-patient').textContent())!.trim();
  const title = (await detail.locator('h2').first().textContent())!.trim();
  await page.locator('body').press('Enter');
  await page.getByRole('button', { name: /^À valider/ }).click();
  await expect(items.getByRole('option').filter({ hasText: patient }).filter({ hasText: 'ROUSSEL' }).first()).toContainText('À valider');

  // Messagerie (Alt+3): the mailbox is connected; its integration receipt went out automatically.
  await page.keyboard.press('Alt+3');
  const screen = page.getByTestId('mail-screen');
  await expect(screen.getByTestId('mailbox-lines')).toContainText('Secrétariat du cabinet');
  await expect(screen.getByTestId('mailbox-lines')).toContainText('connectée');
  await screen.getByRole('button', { name: /^Accusés de traitement envoyés/ }).click();
  const receiptRow = screen.getByTestId('outbox-row').filter({ hasText: 'helene.roussel@cardio-jaude.mssante.fr' });
  await expect(receiptRow).toHaveCount(1);
  await expect(receiptRow.getByTestId('outbox-status')).toHaveText('Envoyé', { timeout: 20_000 });
  await screen.getByRole('button', { name: /^Messages envoyés/ }).click();

  // Alt+M: new message. The "To" field has the focus; a typed address is added with Entrée.
  await page.keyboard.press('Alt+M');
  const compose = page.getByTestId('compose');
  await expect(compose).toBeVisible();
  await expect(compose.getByLabel('Destinataires')).toBeFocused();
  await page.keyboard.type('dr.pneumo@hopital-nord.mssante.fr');
  await page.keyboard.press('Enter');
  await expect(compose.getByTestId('recipient')).toHaveText(/dr\.pneumo@hopital-nord\.mssante\.fr/);

  // The patient, with the same search as the Patients screen; then one of the record's documents.
  await compose.getByLabel('Patient concerné').fill(patient);
  await expect(compose.getByRole('listbox', { name: 'Patients trouvés' }).getByRole('option').first()).toBeVisible();
  await compose.getByLabel('Patient concerné').press('Enter');
  await expect(compose.getByTestId('picked-patient')).toContainText(patient);
  const documents = compose.getByTestId('compose-documents');
  const docItem = documents.getByRole('listitem').filter({ hasText: title }).first();
  await expect(docItem).toContainText('IHE_XDM.ZIP');
  await docItem.getByRole('checkbox').check();
  await expect(compose.getByTestId('auto-subject')).toContainText(title);
  await compose.getByRole('textbox', { name: 'Message' }).fill('Chère consœur,\n\nJe vous adresse le compte rendu de cardiologie de notre patiente commune.\n\nBien confraternellement.');
  await compose.getByLabel('Demander un accusé de lecture').check();
  await page.screenshot({ path: 'tests/output/screenshots/messagerie-nouveau-message.png' });

  // Every status the new row shows, as it changes.
  await page.evaluate(RECORD_STATUSES);
  await page.keyboard.press('Control+Enter');

  const row = screen.getByTestId('outbox-row').first();
  await expect(row).toContainText(title);
  await expect(row).toContainText('dr.pneumo@hopital-nord.mssante.fr');
  await expect(row.getByTestId('outbox-status')).toHaveText('Envoyé', { timeout: 20_000 });
  expect(await page.evaluate('window.__outboxStatuses')).toEqual(['En attente', 'Envoyé']);

  const sent = page.getByTestId('outbox-detail');
  await expect(sent).toContainText(patient);
  await expect(sent).toContainText('IHE_XDM.ZIP');
  await expect(sent.getByTestId('outbox-detail-text')).toHaveText(/^Envoyé le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}$/);
  await expect(sent.getByTestId('outbox-receipts')).toContainText('Accusé de lecture demandé');
  await page.screenshot({ path: 'tests/output/screenshots/messagerie.png' });

  // What left, as the operator relayed it: the archive and the PDF copy, the XDM subject.
  const outbox = await app.rpc<{ subject: string; attachments: string[]; status: string; readReceipt: boolean }[]>('mail.outbox', {});
  expect(outbox.value!.find((m) => m.subject.startsWith(title))).toMatchObject({ status: 'envoye', readReceipt: true, attachments: ['IHE_XDM.ZIP', expect.stringMatching(/\.pdf$/)] });
});
