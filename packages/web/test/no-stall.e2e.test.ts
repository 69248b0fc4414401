import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/**
 * A Latch with no plugin configured: an approved refund can't run. Its card on the case page says
 * so, naming the plugin, on a desktop and on a phone; an action still awaiting approval says nothing.
 */
describe('an approved action waiting for its plugin, in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(() => c?.close());

  it('the action card tells the operator the plugin is not configured', async () => {
    const { t } = c;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund that waits for Stripe' }) });
    const caseId: string = created.json().id;
    const propose = (amount_minor: number) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${caseId}/actions`,
        headers: bearer(t.users.operator),
        payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_123', amount_minor, currency: 'usd', reason: 'duplicate' } },
      });
    expect((await propose(4_999)).json().status).toBe('approved');
    expect((await propose(60_000)).json().status).toBe('awaiting_approval');

    for (const viewport of [
      { name: 'desktop', size: { width: 1280, height: 800 }, isMobile: false },
      { name: 'phone', size: { width: 390, height: 844 }, isMobile: true },
    ]) {
      const { context, page, problems } = await c.context({ viewport: viewport.size, isMobile: viewport.isMobile });
      await logIn(page, t.users.operator);
      await page.goto(`/cases/${caseId}`);
      await page.getByRole('heading', { name: 'Refund that waits for Stripe' }).waitFor();
      const approved = page.locator('article.action-card[data-status="approved"]');
      const notice = approved.getByRole('status');
      await notice.waitFor();
      expect(await notice.textContent()).toBe(
        'Waiting for plugin stripe. It is not configured on this server, so this approved action cannot run. An administrator adds it to plugins.yaml and restarts Latch.',
      );
      // Awaiting approval, it waits for people: no plugin notice.
      await page.locator('article.action-card[data-status="awaiting_approval"]').waitFor();
      expect(await page.locator('article.action-card[data-status="awaiting_approval"] .plugin-wait').count()).toBe(0);
      // `LATCH_SCREENSHOTS=docs/screenshots` keeps pictures of the card for the README.
      if (process.env.LATCH_SCREENSHOTS) await approved.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/plugin-waiting-${viewport.name}.png` });
      expect(problems).toEqual([]);
      await context.close();
    }
  }, E2E_TIMEOUT_MS);
});
