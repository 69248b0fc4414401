import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/** The queue counts what matches, sorts from its column headers, and keeps each person's saved views on the server. */
describe('queue counts, sorting and saved views in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
    const cases: [string, string][] = [
      ['Refund for order 1001', 'high'],
      ['Refund for order 1002', 'low'],
      ['Refund for order 1003', 'high'],
      ['Refund for order 1004', 'urgent'],
      ['Refund for order 1005', 'normal'],
      ['Refund for order 1006', 'high'],
    ];
    for (const [title, priority] of cases) {
      const res = await c.t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(c.t.users.operator), payload: refundBody({ title, priority }) });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => c?.close());

  it('counts, sorts by a header, saves the filters as a view, picks it after a reload, and deletes it', async () => {
    const { t } = c;
    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    const countLine = page.locator('.count-line');
    const titles = () => page.locator('table.cases tbody tr td:first-child a').allTextContents();
    await countLine.getByText('6 cases match').waitFor();

    await page.getByLabel('Priority').selectOption('high');
    await countLine.getByText('3 cases match').waitFor();
    expect(new URL(page.url()).searchParams.get('priority')).toBe('high');

    // The "Opened" header: newest first (the default), a click makes it oldest first, in the URL.
    const opened = page.getByRole('columnheader', { name: /Opened/ });
    expect(await opened.getAttribute('aria-sort')).toBe('descending');
    expect(await titles()).toEqual(['Refund for order 1006', 'Refund for order 1003', 'Refund for order 1001']);
    await opened.getByRole('button').click();
    await page.waitForURL(/sort=created/);
    await expect.poll(titles).toEqual(['Refund for order 1001', 'Refund for order 1003', 'Refund for order 1006']);
    expect(await opened.getAttribute('aria-sort')).toBe('ascending');

    await page.getByLabel('Save these filters as').fill('High, oldest first');
    await page.getByRole('button', { name: 'Save view' }).click();
    const saved = page.getByRole('region', { name: 'Saved views' }).getByRole('link', { name: 'High, oldest first' });
    await saved.waitFor();
    expect(await saved.getAttribute('aria-current')).toBe('page');

    // Back to everything, sorted by priority from its header: the urgent case first.
    await page.getByRole('link', { name: 'All cases' }).click();
    await countLine.getByText('6 cases match').waitFor();
    await page.getByRole('columnheader', { name: /Priority/ }).getByRole('button').click();
    await page.waitForURL(/sort=priority/);
    await expect.poll(async () => (await titles())[0]).toBe('Refund for order 1004');

    // Views are the server's: one saved elsewhere (through the API) shows after a reload, and so does the one saved here;
    // picking it brings its filters and order back.
    const elsewhere = await t.app.inject({ method: 'POST', url: '/api/v1/views', headers: bearer(t.users.operator), payload: { name: 'Unassigned urgent', query: { assignee: 'none', priority: 'urgent' } } });
    expect(elsewhere.statusCode).toBe(201);
    await page.reload();
    await page.getByRole('link', { name: 'Unassigned urgent' }).waitFor();
    await saved.click();
    await countLine.getByText('3 cases match').waitFor();
    const params = new URL(page.url()).searchParams;
    expect([params.get('priority'), params.get('sort')]).toEqual(['high', 'created']);
    await expect.poll(titles).toEqual(['Refund for order 1001', 'Refund for order 1003', 'Refund for order 1006']);
    // `LATCH_SCREENSHOTS=docs/screenshots` keeps a picture of the queue with its count and views for the README.
    if (process.env.LATCH_SCREENSHOTS) await page.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/queue.png` });

    // Views are per user: the reviewer has none of the operator's.
    const theirs = await t.app.inject({ method: 'GET', url: '/api/v1/views', headers: bearer(t.users.approver) });
    expect(theirs.json().items).toEqual([]);

    await page.getByRole('button', { name: 'Delete view High, oldest first' }).click();
    await saved.waitFor({ state: 'detached' });
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/views', headers: bearer(t.users.operator) });
    expect(mine.json().items.map((v: { name: string }) => v.name)).toEqual(['Unassigned urgent']);
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);

  it('filters the queue by SLA state on the server', async () => {
    const { t } = c;
    const late = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund past its due time' }) })).json().id;
    // The due time is the read model's: moved into the past here rather than waiting 48 hours.
    await t.ctx.database.db.execute(sql`update cases set due_at = now() - interval '1 hour' where id = ${late}`);
    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    await page.getByLabel('SLA').selectOption('overdue');
    await page.locator('.count-line').getByText('1 case matches').waitFor();
    expect(new URL(page.url()).searchParams.get('sla')).toBe('overdue');
    expect(await page.locator('table.cases tbody tr td:first-child a').allTextContents()).toEqual(['Refund past its due time']);
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
