import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/** Linked cases on the case page: add one by id, follow it to the other case, see it from there, remove it. */
describe('linked cases in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('links a case by its id, navigates to it, shows the link from the other side and removes it', async () => {
    const { t } = c;
    const open = async (title: string) => {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title }) });
      expect(created.statusCode).toBe(201);
      return created.json().id as string;
    };
    const blocker = await open('Chargeback dispute for order 3001');
    const blocked = await open('Refund for order 3001');

    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    await page.goto(`/cases/${blocker}`);
    const panel = page.getByRole('region', { name: 'Linked cases' });
    await panel.getByText('No linked cases.').waitFor();

    // Not an id: a sentence, not a crash.
    await panel.getByLabel('Case id').fill('order 3001');
    await panel.getByRole('button', { name: 'Link case' }).click();
    await panel.getByRole('alert').getByText('Some of what you entered is not valid.', { exact: false }).waitFor();

    // An id as pasted from elsewhere (upper case) links all the same.
    await panel.getByLabel('This case').selectOption('blocks');
    await panel.getByLabel('Case id').fill(` ${blocked.toUpperCase()} `);
    await panel.getByRole('button', { name: 'Link case' }).click();
    const row = panel.locator('li[data-link-kind="blocks"]');
    await row.getByRole('link', { name: 'Refund for order 3001' }).waitFor();
    expect(await row.textContent()).toContain('Blocks');
    expect(await panel.getByRole('alert').count()).toBe(0);
    await page.locator('li.event[data-kind="link.added"]').waitFor();

    await row.getByRole('link', { name: 'Refund for order 3001' }).click();
    await page.getByRole('heading', { name: 'Refund for order 3001' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/cases/${blocked}`);
    const back = page.getByRole('region', { name: 'Linked cases' }).locator('li[data-link-kind="blocks"]');
    await back.getByRole('link', { name: 'Chargeback dispute for order 3001' }).waitFor();
    expect(await back.textContent()).toContain('Blocked by');
    // `LATCH_SCREENSHOTS=docs/screenshots` keeps a picture of the panel for the README.
    if (process.env.LATCH_SCREENSHOTS) await page.getByRole('region', { name: 'Linked cases' }).screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/linked-cases.png` });

    await back.getByRole('button', { name: `Remove the link to case ${blocker}` }).click();
    await page.getByRole('region', { name: 'Linked cases' }).getByText('No linked cases.').waitFor();
    await page.locator('li.event[data-kind="link.removed"]').waitFor();

    const links = await t.app.inject({ url: `/api/v1/cases/${blocker}/links`, headers: bearer(t.users.operator) });
    expect(links.json().items).toEqual([]);
    const kinds = (await t.app.inject({ url: `/api/v1/cases/${blocker}/timeline`, headers: bearer(t.users.operator) })).json().items.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(['case.created', 'link.added', 'link.removed']);
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
