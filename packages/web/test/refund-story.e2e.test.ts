import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeServer, type StripeServer } from '../../server/test/fakes/stripe-server.js';
import { bearer, TEST_CONFIG_DIR, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/**
 * The refund story through the console, two people in two browsers: the operator proposes a refund
 * above the threshold and is refused when approving it themselves (the refusal is on the timeline);
 * the reviewer approves it from the inbox on a phone-sized screen, and the operator's open page
 * shows the approval, then the refund's result at (a local) Stripe, live (server-sent events), without a reload.
 */
const STRIPE_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/stripe', import.meta.url));

describe('the refund story in the console', () => {
  let c: ConsoleUnderTest;
  let stripe: StripeServer;
  let configDir: string;
  beforeAll(async () => {
    // The Stripe plugin against the local Stripe-speaking server, as in the server's reference story.
    process.env.LATCH_TEST_STRIPE_KEY = 'sk_test_console_story_4242';
    stripe = await startStripeServer({ paymentIntents: [{ id: 'pi_2001', amount: 250_000, currency: 'usd' }] });
    configDir = mkdtempSync(join(tmpdir(), 'latch-console-config-'));
    cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'plugins.yaml'),
      `plugins:\n  stripe:\n    path: ${STRIPE_PLUGIN_DIR}\n    config: { apiBase: "${stripe.url}", apiVersion: "2023-08-16" }\n    secrets: { apiKey: { env: LATCH_TEST_STRIPE_KEY } }\n`,
    );
    c = await startConsole({ LATCH_CONFIG_DIR: configDir });
  });
  afterAll(async () => {
    await c?.close();
    await stripe?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('operator proposes and is refused self-approval; reviewer approves from the inbox on a phone; the refund’s result appears live', async () => {
    const { t } = c;
    const title = 'Refund for order 2001: charged twice';
    const older = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'An older case' }) });
    expect(older.statusCode).toBe(201);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: bearer(t.users.operator),
      payload: refundBody({ title, fields: { order_id: '2001', amount_minor: 75_000, currency: 'usd', payment_intent: 'pi_2001', reason: 'duplicate' } }),
    });
    expect(created.statusCode).toBe(201);
    const caseId: string = created.json().id;

    // The operator works the queue from the keyboard (newest first): j, k, / and Enter.
    const operator = await c.context();
    await logIn(operator.page, t.users.operator);
    const rows = operator.page.locator('table.cases tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.nth(0).getAttribute('aria-current')).toBe('true');
    await operator.page.keyboard.press('j');
    expect(await rows.nth(1).getAttribute('aria-current')).toBe('true');
    await operator.page.keyboard.press('/');
    expect(await operator.page.evaluate('document.activeElement.id')).toBe('queue-search');
    await operator.page.keyboard.press('Escape');
    await operator.page.locator('h1').click();
    await operator.page.keyboard.press('k');
    expect(await rows.nth(0).getAttribute('aria-current')).toBe('true');
    expect(await rows.nth(0).textContent()).toContain(title);
    await operator.page.keyboard.press('Enter');
    await operator.page.getByRole('heading', { name: title }).waitFor();
    const form = operator.page.locator('form.propose');
    expect(await form.getByLabel('Amount (minor units)').inputValue()).toBe('75000');
    // The Stripe plugin's suggestion prefills its own reason; the operator picks the case's.
    await form.getByLabel('Reason').selectOption('duplicate');
    expect(await form.getByLabel('Reason').inputValue()).toBe('duplicate');
    await form.getByText(/Needs: 1 approval by role refund_approver/).waitFor();
    const simulatedHash = (await form.locator('code.hash').textContent())!;
    expect(simulatedHash).toMatch(/^[0-9a-f]{64}$/);
    await form.getByRole('button', { name: 'Propose' }).click();

    const card = operator.page.locator('article.action-card');
    await card.locator('code.hash').waitFor();
    expect(await card.getAttribute('data-status')).toBe('awaiting_approval');
    expect(await card.locator('code.hash').textContent()).toBe(simulatedHash);
    await card.getByText('You proposed this action, so someone else must approve it.').waitFor();

    // The proposer tries anyway: refused, told why, and the refusal is on the case's timeline.
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByRole('alert').getByText('You proposed this action, so someone else must approve or deny it.').waitFor();
    const refusal = operator.page.locator('li.event.outcome-refused');
    await refusal.waitFor();
    expect(await refusal.locator('.what').textContent()).toBe('Refused: operator may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)');
    expect(await refusal.getAttribute('class')).toContain('tone-refusal');
    expect(await refusal.locator('.who').textContent()).toBe('operator');

    await operator.page.evaluate('window.__sameDocument = true');

    // The reviewer, on a phone, decides from the inbox with the case and the exact payload in view.
    const reviewer = await c.context({ viewport: { width: 390, height: 844 }, isMobile: true });
    await logIn(reviewer.page, t.users.approver);
    await reviewer.page.getByRole('link', { name: /Approvals/ }).click();
    const item = reviewer.page.locator('article.inbox-item', { hasText: title });
    await item.waitFor();
    expect(await item.locator('code.hash').textContent()).toBe(simulatedHash);
    expect(await item.textContent()).toContain('"amount_minor": 75000');
    expect(await reviewer.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const approve = item.getByRole('button', { name: 'Approve' });
    const box = (await approve.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await item.getByLabel('Reason').fill('Duplicate charge confirmed in Stripe');
    await approve.click();
    await reviewer.page.getByRole('status').getByText(`Approved: ${title}. Recorded on the case.`).waitFor();
    await item.waitFor({ state: 'detached' });

    // The operator's open page shows the approval and the reviewer's reason live, without a reload
    // (the marker set on this document before the reviewer acted is still there).
    await operator.page.locator('li.event[data-kind="approval.granted"]').waitFor();
    const granted = operator.page.locator('li.event[data-kind="approval.granted"]');
    expect(await granted.locator('.who').textContent()).toBe('approver');
    expect(await granted.textContent()).toContain('Duplicate charge confirmed in Stripe');
    // Then the refund runs at (the local) Stripe, and its result appears on the same page, live.
    await operator.page.locator('li.event[data-kind="action.succeeded"]').waitFor();
    await operator.page.locator('article.action-card[data-status="succeeded"]').waitFor();
    expect(await operator.page.evaluate('window.__sameDocument')).toBe(true);

    // The refund's exchange with Stripe opens under the event, as the server presents it: Stripe's
    // refund id in the answer, the Idempotency-Key Latch sent, and no API key anywhere on the page.
    const succeeded = operator.page.locator('li.event[data-kind="action.succeeded"]');
    await succeeded.getByText('Show request and response').click();
    const sentRequest = succeeded.getByRole('region', { name: 'Request' });
    const answer = succeeded.getByRole('region', { name: 'Response' });
    await answer.locator('pre.exchange-body').waitFor();
    const [refundId] = [...stripe.refunds.keys()];
    expect(refundId).toMatch(/^re_/);
    expect(await answer.locator('pre.exchange-body').textContent()).toContain(`"id": "${refundId}"`);
    expect(await answer.locator('h4').textContent()).toContain('status 200');
    expect(await answer.locator('dt', { hasText: 'request-id' }).locator('xpath=following-sibling::dd').textContent()).toMatch(/^req_/);
    expect(await sentRequest.locator('h4').textContent()).toContain('POST /v1/refunds');
    const recorded = (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.operator) })).json().items.find((e: { kind: string }) => e.kind === 'action.succeeded');
    const presented = (await t.app.inject({ url: `/api/v1/cases/${caseId}/exchanges/${recorded.data.request}`, headers: bearer(t.users.operator) })).json();
    const key = await sentRequest.locator('dt', { hasText: 'Idempotency-Key' }).locator('xpath=following-sibling::dd').textContent();
    expect(key).toBe(presented.content.headers['Idempotency-Key']);
    expect(key).toBe(`latch-${recorded.data.actionId}-r1-e1`);
    expect(await operator.page.locator('body').textContent()).not.toContain(process.env.LATCH_TEST_STRIPE_KEY);
    // `LATCH_SCREENSHOTS=docs/screenshots` keeps a picture of the opened exchange for the README.
    if (process.env.LATCH_SCREENSHOTS) await succeeded.screenshot({ path: join(process.env.LATCH_SCREENSHOTS, 'exchange.png') });

    // What the console showed is what the server recorded.
    const timeline = await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.operator) });
    const kinds = timeline.json().items.map((e: { kind: string; outcome: string }) => `${e.kind}:${e.outcome}`);
    expect(kinds).toEqual(expect.arrayContaining(['action.proposed:ok', 'attempt.blocked:refused', 'approval.granted:ok', 'action.approved:ok', 'action.succeeded:ok']));
    expect(stripe.refunds.size).toBe(1);
    expect([...operator.problems, ...reviewer.problems]).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
