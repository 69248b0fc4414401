import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/**
 * axe-core on each main page. The page's CSP (no inline script) stays on: axe's source is run
 * through the DevTools protocol (page.evaluate), which CSP does not govern, never as a script tag.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** The serious and critical violations on the page as it is now, each as "rule: help (where)". */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))',
  )) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
}

describe('accessibility of the main pages (axe-core)', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(() => c?.close());

  it('login, queue, case, inbox, audit, admin users and case types have no serious or critical violations', async () => {
    const { t } = c;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund for order 3003' }) });
    expect(created.statusCode).toBe(201);
    const caseId: string = created.json().id;
    const proposed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/actions`,
      headers: bearer(t.users.operator),
      payload: { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_3003', amount_minor: 75_000, currency: 'usd', reason: 'duplicate' } },
    });
    expect(proposed.statusCode).toBe(201);

    const found: Record<string, string[]> = {};
    const { page, problems } = await c.context();
    await page.goto('/login');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    found.login = await seriousViolations(page);

    await logIn(page, t.users.admin);
    await page.locator('table.cases tbody tr').first().waitFor();
    found.queue = await seriousViolations(page);

    await page.goto(`/cases/${caseId}`);
    await page.locator('article.action-card').waitFor();
    await page.locator('.proof .chain').waitFor();
    found.case = await seriousViolations(page);

    // The inbox of a reviewer, on a phone: the action waits for their role.
    const reviewer = await c.context({ viewport: { width: 390, height: 844 }, isMobile: true });
    await logIn(reviewer.page, t.users.approver);
    await reviewer.page.goto('/approvals');
    await reviewer.page.locator('article.inbox-item').waitFor();
    found.inbox = await seriousViolations(reviewer.page);

    await page.goto('/audit');
    await page.locator('pre.trust-file').waitFor();
    await page.getByRole('button', { name: 'Verify now' }).click();
    await page.getByText('The log verifies').waitFor();
    found.audit = await seriousViolations(page);

    await page.goto('/admin/users');
    await page.getByRole('button', { name: 'Manage operator' }).click();
    await page.getByRole('heading', { name: 'Manage operator@test.example' }).waitFor();
    found.adminUsers = await seriousViolations(page);

    await page.goto('/admin/case-types');
    await page.getByRole('heading', { name: /^[a-z_]+\.v\d+$/ }).waitFor();
    found.adminCaseTypes = await seriousViolations(page);

    expect(found).toEqual({ login: [], queue: [], case: [], inbox: [], audit: [], adminUsers: [], adminCaseTypes: [] });
    expect([...problems, ...reviewer.problems]).toEqual([]);
  }, E2E_TIMEOUT_MS);

  it('the check finds a violation when there is one', async () => {
    const { page } = await c.context();
    await page.goto('/login');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    // An unlabelled input is a critical violation (label): the check must be able to fail.
    await page.evaluate("document.querySelector('main, body').append(Object.assign(document.createElement('input'), { type: 'text' }))");
    expect((await seriousViolations(page)).some((v) => v.startsWith('label:'))).toBe(true);
  }, E2E_TIMEOUT_MS);
});
