import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody, sessionFor } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/** The proposer edits an approved action's input from the case page: the approval is voided, on the record, and the policy asked again. */
describe('editing a proposal in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(() => c?.close());

  it('voids the approval given so far and binds the action to the new payload', async () => {
    const { t } = c;
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund to be corrected' }) })).json().id;
    const proposed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/actions`,
      headers: bearer(t.users.operator),
      payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_123', amount_minor: 60_000, currency: 'usd', reason: 'duplicate' } },
    });
    const action = proposed.json();
    const approved = await t.app.inject({
      method: 'POST',
      url: `/api/v1/actions/${action.id}/decisions`,
      headers: await sessionFor(t.app, t.users.approver),
      payload: { decision: 'approve', payloadHash: action.payloadHash },
    });
    expect(approved.json().status).toBe('approved');

    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    await page.goto(`/cases/${caseId}`);
    const card = page.getByRole('article', { name: 'Action stripe refund' });
    await card.getByRole('button', { name: 'Edit input' }).click();
    const form = card.getByRole('form', { name: 'Edit the input of stripe refund' });
    await form.getByRole('note').getByText('will be voided').waitFor();
    const amount = form.getByLabel(/Amount/);
    await amount.fill('55000');
    if (process.env.LATCH_SCREENSHOTS) await card.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/edit-action.png` });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });

    await expect.poll(async () => (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.operator) })).json()).toMatchObject({
      status: 'awaiting_approval',
      input: { amount_minor: 55_000 },
    });
    const now = (await t.app.inject({ method: 'GET', url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.operator) })).json();
    expect(now.payloadHash).not.toBe(action.payloadHash);
    await card.getByText(now.payloadHash).waitFor();
    await page.getByText('1 earlier decision no longer counts', { exact: false }).waitFor();
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
