import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveIntake } from '../../server/src/intake/receive-intake.js';
import { bearer, sessionFor, startTestLatch, type TestLatch } from '../../server/test/harness.js';
import { intakeConfigDir } from '../../server/test/intake-support.js';
import { CHROMIUM, E2E_TIMEOUT_MS, logIn } from './browser.js';

const SHOTS = process.env.LATCH_SCREENSHOTS;

const CONFIRMED = [
  ['refund', 'Refund for order 1001', 'The parcel never arrived, please refund my payment'],
  ['refund', 'Money back please', 'I was charged twice for the same order, refund the duplicate charge'],
  ['refund', 'Refund request order 1003', 'The item arrived broken and I want my money back'],
  ['refund', 'Please refund my purchase', 'I returned the shoes last week and still have no refund'],
  ['refund', 'Double charge on my card', 'Your shop charged my card twice, I need a refund of the second payment'],
  ['vendor_bank_change', 'New bank account for Acme Supplies', 'Please update our IBAN for future invoices, we changed bank'],
  ['vendor_bank_change', 'Bank details change', 'Our company moved its account to a new bank, new IBAN attached'],
  ['vendor_bank_change', 'Vendor banking update', 'Kindly pay our invoices into the new bank account from next month'],
  ['vendor_bank_change', 'Change of remittance account', 'We are a supplier and our bank details changed, update the vendor record'],
  ['vendor_bank_change', 'Updated IBAN for supplier 42', 'Invoices should be paid to our new IBAN at another bank'],
] as const;

/** The case page's triage panel: accept one suggestion, override another, both on the timeline; the queue's triage filter. */
describe('triage in the console', () => {
  let t: TestLatch;
  let browser: Browser;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    dir = intakeConfigDir();
    writeFileSync(join(dir, 'intelligence.yaml'), 'builtin: { threshold: 0.4, minExamples: 6, retrainEveryMinutes: 0 }\n');
    t = await startTestLatch('pglite', { LATCH_CONFIG_DIR: dir });
    const admin = await sessionFor(t.app, t.users.admin);
    for (const [type, title, description] of CONFIRMED) {
      const fields = type === 'refund' ? { order_id: '1', amount_minor: 1000, currency: 'usd' } : { vendor_id: 'v-1' };
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: admin, payload: { type, title, description, fields } });
      expect(res.statusCode).toBe(201);
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/intelligence/models:train', headers: admin })).json()).toMatchObject({ trained: true });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  }, E2E_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const intake = async (title: string, body: string) => {
    const result = await receiveIntake(t.ctx, {
      channel: 'form',
      source: 'contact-form',
      raw: Buffer.from(`${title}\n\n${body}`),
      rawType: 'text/plain',
      target: { type: 'refund', queue: 'refunds' },
      parsed: { title, body, requester: { email: 'kim@customer.example', name: 'Kim' } },
    });
    const id = result.caseId!;
    for (let i = 0; i < 300; i++) {
      const state = (await t.app.inject({ url: `/api/v1/cases/${id}/intelligence`, headers: bearer(t.users.admin) })).json().state;
      if (state === 'suggested') return id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no suggestion arrived');
  };
  const panel = (page: Page) => page.locator('section.triage-panel');
  const timeline = (page: Page) => page.locator('section.case-timeline');

  it(
    'accepts a suggestion with one click and overrides another; both decisions and the suggestions are on the timeline',
    async () => {
      const bank = await intake('Our bank account changed', 'Please pay our supplier invoices to the new IBAN at our new bank');
      const refund = await intake('Refund for my order', 'I was charged twice, please refund the duplicate payment');
      const waiting = await intake('Refund please', 'The parcel never arrived, refund my payment please');
      const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 1000 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await logIn(page, t.users.admin);

      // The queue shows the cases still waiting for triage.
      await page.getByLabel('Triage').selectOption('triage');
      await page.getByRole('link', { name: 'Our bank account changed' }).waitFor();
      await page.getByRole('link', { name: 'Refund please' }).waitFor();
      if (SHOTS) await page.screenshot({ path: join(SHOTS, 'triage-queue.png') });

      await page.goto(`/cases/${bank}`);
      await panel(page).getByText('type vendor_bank_change').waitFor();
      await panel(page).getByText(/% confident/).waitFor();
      await panel(page).getByText('Weighed most:').waitFor();
      await panel(page).getByRole('heading', { name: 'The rule that will apply (vendor_bank_change)' }).waitFor();
      await panel(page).getByRole('heading', { name: 'Similar cases' }).waitFor();
      if (SHOTS) await page.screenshot({ path: join(SHOTS, 'triage-suggestion.png') });
      await panel(page).getByRole('button', { name: 'Accept suggestion' }).click();
      await panel(page).getByText(/Suggestion accepted: type vendor_bank_change/).waitFor();
      await timeline(page).getByText(/accepted the suggestion: type vendor_bank_change/).waitFor();
      await timeline(page).getByText(/Latch intelligence suggested type vendor_bank_change/).waitFor();
      await timeline(page).getByText(/changed the case type from refund to vendor_bank_change/).waitFor();
      expect((await t.app.inject({ url: `/api/v1/cases/${bank}`, headers: bearer(t.users.admin) })).json().type).toBe('vendor_bank_change');

      await page.goto(`/cases/${refund}`);
      await panel(page).getByText('type refund', { exact: false }).first().waitFor();
      await panel(page).locator('summary', { hasText: 'Override' }).click();
      await panel(page).getByLabel('Priority').selectOption('urgent');
      await panel(page).getByRole('button', { name: 'Override' }).click();
      await panel(page).getByText(/Suggestion overridden: type refund · queue refunds · priority urgent/).waitFor();
      await timeline(page).getByText(/overrode the suggestion .* and chose type refund, queue refunds, priority urgent/).waitFor();
      await timeline(page).getByText(/Latch intelligence suggested type refund/).waitFor();
      if (SHOTS) await page.screenshot({ path: join(SHOTS, 'triage-overridden.png'), fullPage: true });
      const detail = (await t.app.inject({ url: `/api/v1/cases/${refund}`, headers: bearer(t.users.admin) })).json();
      expect(detail.priority).toBe('urgent');

      // Decided cases leave the triage filter; the one nobody decided stays.
      await page.goto('/?awaiting=triage');
      await page.getByRole('link', { name: 'Refund please' }).waitFor();
      expect(await page.getByRole('link', { name: 'Our bank account changed' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Refund for my order' }).count()).toBe(0);
      expect(waiting).toBeTruthy();
      expect(problems).toEqual([]);
      await context.close();
    },
    E2E_TIMEOUT_MS,
  );
});
