import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/**
 * Two tabs edit one case. The first saves; the second, still typing, is told live that the case
 * changed, then told of the conflict when it saves, and loses nothing it typed: it can save over
 * the other change knowingly.
 */
describe('a stale edit in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(() => c?.close());

  const fieldsForm = (page: Page) => page.locator('section.panel', { has: page.getByRole('heading', { name: 'Edit fields' }) });

  it('the second tab is told of the conflict and keeps what it typed', async () => {
    const { t } = c;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Two tabs' }) });
    expect(created.statusCode).toBe(201);
    const caseId: string = created.json().id;

    const { context, page: first, problems } = await c.context();
    await logIn(first, t.users.operator);
    const second = await context.newPage();
    for (const page of [first, second]) {
      await page.goto(`/cases/${caseId}`);
      await page.getByRole('heading', { name: 'Two tabs' }).waitFor();
      await page.getByRole('button', { name: 'Edit fields' }).click();
    }

    // The second tab starts typing before the first one saves.
    await fieldsForm(second).getByLabel(/^Order( \*)?$/).fill('B-typed-1042');
    await fieldsForm(second).getByLabel(/^Amount \(minor units\)( \*)?$/).fill('1234');

    await fieldsForm(first).getByLabel(/^Order( \*)?$/).fill('A-saved-1042');
    await fieldsForm(first).getByRole('button', { name: 'Save' }).click();
    await first.getByRole('heading', { name: 'Fields' }).waitFor();

    // Live: the second tab hears of the new version, and its form is untouched.
    const form = fieldsForm(second);
    await form.getByText(/Someone else saved this case while you were editing \(now version 2\)/).waitFor();
    expect(await form.getByLabel(/^Order( \*)?$/).inputValue()).toBe('B-typed-1042');
    expect(await form.getByLabel(/^Amount \(minor units\)( \*)?$/).inputValue()).toBe('1234');

    // Saving at the version it started from is refused by the server: told so, still nothing lost.
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('alert').getByText('Someone else changed this while you were editing.', { exact: false }).waitFor();
    expect(await form.getByLabel(/^Order( \*)?$/).inputValue()).toBe('B-typed-1042');
    expect(await form.getByLabel(/^Amount \(minor units\)( \*)?$/).inputValue()).toBe('1234');
    const current = await t.app.inject({ url: `/api/v1/cases/${caseId}`, headers: bearer(t.users.operator) });
    expect(current.json().fields.order_id).toBe('A-saved-1042');

    // Knowingly saving over it applies exactly what was typed.
    await form.getByRole('button', { name: 'Save over their change' }).click();
    await second.getByRole('heading', { name: 'Fields' }).waitFor();
    const after = await t.app.inject({ url: `/api/v1/cases/${caseId}`, headers: bearer(t.users.operator) });
    expect([after.json().version, after.json().fields.order_id, after.json().fields.amount_minor]).toEqual([3, 'B-typed-1042', 1234]);
    // And the first tab, left open, shows the second tab's values without a reload.
    await first.locator('dl.fields').getByText('B-typed-1042').waitFor();
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
