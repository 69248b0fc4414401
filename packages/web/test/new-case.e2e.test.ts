import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/**
 * Opening a case from the console: the type's fields come from its JSON Schema, a queue none of
 * the operator's teams works is refused as a sentence (QUEUE_NOT_OWNED) with nothing typed lost,
 * and the case opens once the queue is theirs.
 */
describe('a new case from the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('fills the type’s fields, is told of a queue it does not own, and opens the case', async () => {
    const { t } = c;
    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    await page.getByRole('link', { name: 'New case' }).click();
    await page.getByRole('heading', { name: 'New case' }).waitFor();
    const form = page.locator('section.new-case form');

    // The refund type's own fields, from its schema; a missing title or required field stops the form, told why.
    await form.getByLabel('Case type').selectOption('refund');
    await form.getByRole('button', { name: 'Open case' }).click();
    await form.getByText('A case needs a title.').waitFor();
    expect(await form.getByLabel('Amount (minor units)').getAttribute('aria-invalid')).toBe('true');

    const title = 'Refund for order 4001: <b>damaged</b> on arrival';
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Description').fill('The customer sent photos.');
    await form.getByLabel('Priority').selectOption('high');
    await form.getByLabel('Order').fill('4001');
    await form.getByLabel('Amount (minor units)').fill('12500');
    await form.getByLabel('Currency').selectOption('eur');
    await form.getByLabel('Queue').fill('vendor-management');
    await form.getByRole('button', { name: 'Open case' }).click();
    await form.getByRole('alert').getByText('None of your teams works this queue, so you could not see the case afterwards.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/cases/new');
    expect(await form.getByLabel('Order').inputValue()).toBe('4001');
    // `LATCH_SCREENSHOTS=docs/screenshots` keeps a picture of the form, refusal included, for the README.
    if (process.env.LATCH_SCREENSHOTS) await page.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/new-case.png`, fullPage: true });

    await form.getByLabel('Queue').fill('refunds');
    await form.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('heading', { name: title }).waitFor();
    const caseId = new URL(page.url()).pathname.replace('/cases/', '');
    expect(caseId).toMatch(/^[0-9a-f-]{36}$/);
    await page.locator('li.event[data-kind="case.created"]').waitFor();

    const stored = (await t.app.inject({ url: `/api/v1/cases/${caseId}`, headers: bearer(t.users.operator) })).json();
    expect(stored).toMatchObject({ type: 'refund', title, description: 'The customer sent photos.', priority: 'high', queue: 'refunds', fields: { order_id: '4001', amount_minor: 12_500, currency: 'eur' } });
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
