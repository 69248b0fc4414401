import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from '../../server/test/fakes/stripe-server.js';
import { bearer, TEST_CONFIG_DIR, refundBody, startTestLatch, type TestLatch } from '../../server/test/harness.js';
import { CHROMIUM, E2E_TIMEOUT_MS, logIn } from './browser.js';

const STRIPE_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));
const SHOTS = process.env.LATCH_SCREENSHOTS;
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

/** The case page's Context panel against a Latch running the Stripe plugin on a fake Stripe. */
describe('the context panel', () => {
  let t: TestLatch;
  let stripe: StripeServer;
  let browser: Browser;
  let base: string;
  let configDir: string;
  beforeAll(async () => {
    stripe = await startStripeServer({
      paymentIntents: [
        { id: 'pi_e2eolder', amount: 4_200, currency: 'usd', customer: 'cus_e2e' },
        { id: 'pi_e2e', amount: 60_000, currency: 'usd', customer: 'cus_e2e' },
        { id: 'pi_e2edown', amount: 900, currency: 'usd' },
      ],
    });
    // Untrusted text from the external system: it must reach the page as text.
    stripe.paymentIntents.get('pi_e2e')!.status = HOSTILE;
    configDir = mkdtempSync(join(tmpdir(), 'latch-console-context-'));
    cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
    writeFileSync(join(configDir, 'plugins.yaml'), `plugins:\n  stripe:\n    path: ${STRIPE_DIR}\n    config: { apiBase: "${stripe.url}" }\n    secrets: { apiKey: { env: LATCH_TEST_CONSOLE_STRIPE_KEY } }\n    context: [refund]\n`);
    process.env.LATCH_TEST_CONSOLE_STRIPE_KEY = 'sk_test_console_context';
    t = await startTestLatch('pglite', { LATCH_CONFIG_DIR: configDir });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await stripe?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const open = async (payment_intent: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ fields: { order_id: '1042', amount_minor: 60_000, currency: 'usd', payment_intent } }) });
    return res.json().id as string;
  };
  const panelOf = (page: Page) => page.locator('section.context-panel article[aria-label="Context from stripe"]');

  it('lists the Stripe facts per plugin with when they were read, inert, and Refresh asks again', async () => {
    const id = await open('pi_e2e');
    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      const context = await browser.newContext({ baseURL: base, viewport });
      const page = await context.newPage();
      await logIn(page, t.users.operator);
      await page.goto(`/cases/${id}`);
      const panel = panelOf(page);
      await panel.getByText('600.00 USD paid, 0.00 USD refunded in 0 refunds').waitFor();
      const text = (await panel.textContent())!;
      expect(text).toContain('fetched');
      expect(text).toContain('pi_e2e');
      expect(text).toContain('cus_e2e');
      expect(text).toContain(HOSTILE);
      expect(await page.locator('section.context-panel img').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
      if (SHOTS) await page.screenshot({ path: join(SHOTS, `context-panel-${viewport.width < 500 ? 'phone' : 'desktop'}.png`), fullPage: viewport.width < 500 });
      await context.close();
    }

    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    await logIn(page, t.users.operator);
    await page.goto(`/cases/${id}`);
    await panelOf(page).getByText('0.00 USD refunded').waitFor();
    stripe.ledger.createRefund({ payment_intent: 'pi_e2e', amount: '2500' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await panelOf(page).getByText('600.00 USD paid, 25.00 USD refunded in 1 refund').waitFor();
    await context.close();
  }, E2E_TIMEOUT_MS);

  it('says the context is unavailable when the plugin keeps failing', async () => {
    stripe.inject({ kind: 'api_error', path: '/v1/payment_intents/pi_e2edown', times: 3 });
    const id = await open('pi_e2edown');
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    await logIn(page, t.users.operator);
    await page.goto(`/cases/${id}`);
    await panelOf(page).getByText('unavailable').waitFor({ timeout: 30_000 });
    if (SHOTS) await page.locator('section.context-panel').screenshot({ path: join(SHOTS, 'context-unavailable-desktop.png') });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await panelOf(page).getByText('9.00 USD paid, 0.00 USD refunded in 0 refunds').waitFor();
    await context.close();
  }, E2E_TIMEOUT_MS);
});
