import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody, sessionFor } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/**
 * The case page tells the server's story: each event's line is the API's presentation.summary (the
 * same as the evidence bundle's story.txt), the actor is named by the server, and refusals and
 * denials stand out, on a desktop and on a phone.
 */
describe('the timeline as the server tells it', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('shows each event’s summary line, names the actor, and highlights the refusal and the denial', async () => {
    const { t } = c;
    const [operator, approver] = [await sessionFor(t.app, t.users.operator), await sessionFor(t.app, t.users.approver)];
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: operator, payload: refundBody({ title: 'Refund for order 4242' }) })).json().id as string;
    await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/notes`, headers: operator, payload: { body: 'Customer sent the receipt; amount checked.' } });
    const input = { payment_intent: 'pi_4242', amount_minor: 61200, currency: 'usd', reason: 'duplicate' };
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input } });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const { id: actionId, payloadHash } = proposed.json();
    const self = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${actionId}/decisions`, headers: operator, payload: { decision: 'approve', payloadHash } });
    expect(self.json().error.code).toBe('SELF_APPROVAL_FORBIDDEN');
    const denied = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${actionId}/decisions`, headers: approver, payload: { decision: 'deny', payloadHash, reason: 'The order was already refunded' } });
    expect(denied.statusCode, denied.body).toBe(201);
    const api = (await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.admin) })).json().items as { seq: number; presentation: { summary: string } }[];

    for (const [name, viewport, isMobile] of [
      ['desktop', { width: 1280, height: 800 }, false],
      ['phone', { width: 390, height: 844 }, true],
    ] as const) {
      const { page, problems } = await c.context({ viewport, isMobile });
      await logIn(page, t.users.operator);
      await page.goto(`/cases/${caseId}`);
      const rows = page.locator('ol.timeline > li.event');
      await rows.nth(api.length - 1).waitFor();
      // Every line is the server's, in order.
      expect(await rows.locator('> .what').allTextContents()).toEqual(api.map((e) => e.presentation.summary));
      const proposal = page.locator('li.event[data-kind="action.proposed"]');
      expect(await proposal.locator('.what').textContent()).toBe('operator proposed Refund through Stripe: USD 612.00 on pi_4242');
      // The richer bits stay: the note's body, the payload.
      await page.locator('li.event[data-kind="note.added"] blockquote', { hasText: 'Customer sent the receipt' }).waitFor();
      expect(await proposal.textContent()).toContain('"payment_intent": "pi_4242"');
      // Refusals stand out: the blocked self-approval and the denial, and nothing else.
      const highlighted = page.locator('li.event.tone-refusal');
      expect(await highlighted.evaluateAll((items) => items.map((li) => li.getAttribute('data-kind')))).toEqual(['attempt.blocked', 'approval.denied']);
      expect(await highlighted.first().locator('.what').textContent()).toBe('Refused: operator may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)');
      expect(await page.locator('li.event[data-kind="approval.denied"] .who').textContent()).toBe('approver');
      const background = (kind: string) => page.locator(`li.event[data-kind="${kind}"]`).evaluate((li) => li.ownerDocument.defaultView!.getComputedStyle(li).backgroundColor);
      expect(await background('approval.denied')).not.toBe(await background('note.added'));
      // `LATCH_SCREENSHOTS=docs/screenshots` keeps pictures of the timeline for the README.
      if (process.env.LATCH_SCREENSHOTS) {
        await highlighted.first().scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(process.env.LATCH_SCREENSHOTS, `timeline-${name}.png`), fullPage: false });
      }
      expect(problems).toEqual([]);
    }
  }, E2E_TIMEOUT_MS);
});
