import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/** The queue flags cases whose action awaits approval and filters on it, on the server. */
describe('cases awaiting approval in the console queue', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
    const { t } = c;
    const open = async (title: string, amount?: number) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title }) });
      expect(res.statusCode).toBe(201);
      if (amount === undefined) return;
      // A payment of its own per case: the refund policy also counts earlier refunds of the same payment.
      const input = { payment_intent: `pi_${String(res.json().id).replace(/[^A-Za-z0-9]/g, '')}`, amount_minor: amount, currency: 'usd', reason: 'requested_by_customer' };
      const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${res.json().id}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input } });
      expect(proposed.statusCode).toBe(201);
    };
    await open('Refund for order 2001');
    await open('Refund for order 2002', 90_000); // above the threshold: waits for a second reviewer
    await open('Refund for order 2003', 1_000); // within it: approved at once
    await open('Refund for order 2004', 120_000);
  });
  afterAll(() => c?.close());

  const titles = (page: import('playwright-core').Page) => page.locator('table.cases tbody tr td:first-child a').allTextContents();

  it('shows the flag on waiting cases and filters to them', async () => {
    const { page, problems } = await c.context({ viewport: { width: 1280, height: 800 } });
    await logIn(page, c.t.users.operator);
    await page.locator('.count-line').getByText('4 cases match').waitFor();
    const flagged = page.locator('table.cases tbody tr', { has: page.getByText('awaiting approval', { exact: true }) });
    await expect.poll(async () => (await flagged.locator('td:first-child a').allTextContents()).sort()).toEqual(['Refund for order 2002', 'Refund for order 2004']);

    await page.getByLabel('Approval').selectOption('approval');
    await page.locator('.count-line').getByText('2 cases match').waitFor();
    expect(new URL(page.url()).searchParams.get('awaiting')).toBe('approval');
    await expect.poll(async () => (await titles(page)).sort()).toEqual(['Refund for order 2002', 'Refund for order 2004']);
    if (process.env.LATCH_SCREENSHOTS) await page.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/queue-awaiting.png` });

    // The filter is in the URL: a reload keeps it, and "Any" lets every case back in.
    await page.reload();
    await page.locator('.count-line').getByText('2 cases match').waitFor();
    await page.getByLabel('Approval').selectOption('');
    await page.locator('.count-line').getByText('4 cases match').waitFor();
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);

  it('shows the flag and the filter on a phone', async () => {
    const { page, problems } = await c.context({ viewport: { width: 390, height: 844 }, isMobile: true });
    await logIn(page, c.t.users.operator);
    await page.goto('/?awaiting=approval');
    await page.locator('.count-line').getByText('2 cases match').waitFor();
    expect(await page.getByLabel('Approval').inputValue()).toBe('approval');
    await page.getByText('awaiting approval', { exact: true }).first().waitFor();
    if (process.env.LATCH_SCREENSHOTS) await page.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/queue-awaiting-phone.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
