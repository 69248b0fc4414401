import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe violations, as in a11y.e2e.test.ts (axe run through the DevTools protocol, CSP stays on). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help })))')) as {
    id: string;
    impact: string | null;
    help: string;
  }[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

const shots = process.env.LATCH_SCREENSHOTS;

/** The bell counts what waits for me, live; the list leads to the case; reading clears the count. */
describe('notifications in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole({ LATCH_NOTIFY_INTERVAL_MS: '100' });
  });
  afterAll(() => c?.close());

  const bell = (page: Page) => page.getByRole('link', { name: /^Notifications/ });

  it('counts up when an approval waits and a case is assigned, links to the case, and clears when read', async () => {
    const { t } = c;
    const { page, problems } = await c.context({ viewport: { width: 1280, height: 800 } });
    await logIn(page, t.users.approver);
    await expect.poll(() => bell(page).getAttribute('aria-label')).toBe('Notifications');

    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund for order 3001' }) });
    const caseId = created.json().id as string;
    const input = { payment_intent: 'pi_3001', amount_minor: 90_000, currency: 'usd', reason: 'requested_by_customer' };
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input } });
    expect(proposed.statusCode).toBe(201);
    // No reload: the live stream tells the page.
    await expect.poll(() => bell(page).getAttribute('aria-label'), { timeout: 30_000 }).toBe('Notifications, 1 unread');

    const other = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund for order 3002' }) });
    const assigned = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${other.json().id}`, headers: bearer(t.users.operator), payload: { assigneeId: t.users.approver.id, version: other.json().version } });
    expect(assigned.statusCode).toBe(200);
    await expect.poll(() => bell(page).getAttribute('aria-label'), { timeout: 30_000 }).toBe('Notifications, 2 unread');
    expect(await page.getByTestId('unread-count').textContent()).toBe('2');

    await bell(page).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    const waiting = page.getByRole('link', { name: 'An approval is waiting for you: Refund for order 3001' });
    await waiting.waitFor();
    expect(await waiting.getAttribute('href')).toBe('/approvals');
    await page.getByRole('heading', { name: 'Delivery preferences' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await page.screenshot({ path: `${shots}/notifications.png`, fullPage: true });

    await page.getByRole('link', { name: 'A case was assigned to you: Refund for order 3002' }).click();
    await page.waitForURL(`**/cases/${other.json().id}`);
    await page.getByRole('heading', { name: 'Refund for order 3002' }).waitFor();
    await expect.poll(() => bell(page).getAttribute('aria-label'), { timeout: 30_000 }).toBe('Notifications, 1 unread');

    await bell(page).click();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => bell(page).getAttribute('aria-label'), { timeout: 30_000 }).toBe('Notifications');
    expect(await page.getByTestId('unread-count').count()).toBe(0);
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);

  it('works on a phone, and an admin reads the delivery log', async () => {
    const { page, problems } = await c.context({ viewport: { width: 390, height: 844 }, isMobile: true });
    await logIn(page, c.t.users.approver);
    await page.goto('/notifications');
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.getByRole('link', { name: /Refund for order 3001/ }).waitFor();
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await page.screenshot({ path: `${shots}/notifications-phone.png`, fullPage: true });

    const admin = await c.context({ viewport: { width: 1280, height: 800 } });
    await logIn(admin.page, c.t.users.admin);
    await admin.page.goto('/admin/deliveries');
    await admin.page.getByRole('heading', { name: 'Notification deliveries' }).waitFor();
    await admin.page.getByText('No deliveries.').waitFor();
    expect(await seriousViolations(admin.page)).toEqual([]);
    expect([...problems, ...admin.problems]).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
