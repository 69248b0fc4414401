import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

const IMG = '<img src=x onerror="window.__xss=1;alert(1)">';
const SCRIPT = '<script>window.__xss=2;alert(2)</script>';
const SVG = '<svg onload="window.__xss=3;alert(3)"></svg>';

/** Untrusted text (titles, descriptions, notes, fields, requester names) is shown as text, and nothing in it runs. */
describe('hostile case data in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(() => c?.close());

  it('shows script and event-handler payloads as text on the queue and the case page, and runs none of them', async () => {
    const { t } = c;
    const title = `Refund ${IMG} ${SCRIPT}`;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: bearer(t.users.operator),
      payload: refundBody({
        title,
        description: `${SVG}\n${SCRIPT}`,
        requester: { email: 'mallory@customer.example', name: SCRIPT },
        fields: { order_id: '<img src=x onerror=alert(4)>', amount_minor: 100, currency: 'usd' },
      }),
    });
    expect(created.statusCode).toBe(201);
    const caseId: string = created.json().id;
    const note = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/notes`, headers: bearer(t.users.operator), payload: { body: `${IMG}${SCRIPT}` } });
    expect(note.statusCode).toBe(201);

    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    const link = page.getByRole('link', { name: title });
    await link.waitFor();
    expect(await link.textContent()).toBe(title);

    const response = await page.goto(`/cases/${caseId}`);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await page.getByRole('heading', { name: title }).waitFor();
    expect(await page.locator('h1').textContent()).toBe(title);
    expect(await page.locator('.description').textContent()).toBe(`${SVG}\n${SCRIPT}`);
    expect(await page.locator('.case-header').textContent()).toContain(SCRIPT);
    expect(await page.locator('dl.fields').textContent()).toContain('<img src=x onerror=alert(4)>');
    expect(await page.locator('ul.notes').textContent()).toContain(`${IMG}${SCRIPT}`);
    expect(await page.locator('ol.timeline').textContent()).toContain(title);

    // A note typed in the console after a reload (the CSRF token then comes from GET /me) stays text too.
    await page.reload();
    await page.getByLabel('Add a note').fill(SVG);
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.locator('ul.notes li', { hasText: SVG }).waitFor();
    await page.locator('ol.timeline li[data-kind="note.added"]', { hasText: SVG }).waitFor();

    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('img[src="x"], svg[onload], script:not([src])').count()).toBe(0);
    expect(problems).toEqual([]);

    // And the page's CSP is enforced: an inline script injected by any other route would not run.
    await page.evaluate("const s = document.createElement('script'); s.textContent = 'window.__csp = 1'; document.body.append(s)");
    expect(await page.evaluate('window.__csp')).toBeUndefined();
    expect(problems.some((p) => p.startsWith('csp:'))).toBe(true);
  }, E2E_TIMEOUT_MS);
});
