import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEscalation } from '../../server/src/sla/run-escalation.js';
import { bearer } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

const shots = process.env.LATCH_SCREENSHOTS;

/** An escalation rule that names the assignee shows in their list with a readable line, a link to the case, and its own preference. */
describe('escalation notifications in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole({ LATCH_NOTIFY_INTERVAL_MS: '100' });
  });
  afterAll(() => c?.close());

  it(
    'lists an escalation to me, leads to the case, and offers its preference, at desktop and phone sizes',
    async () => {
      const { t } = c;
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/cases',
        headers: bearer(t.users.admin),
        payload: { type: 'vendor_bank_change', title: 'Vendor 88 changes bank details', fields: { vendor_id: 'V-88' }, assigneeId: t.users.operator.id },
      });
      expect(created.statusCode, created.body).toBe(201);
      const { id, dueAt } = created.json() as { id: string; dueAt: string };
      // vendor_bank_change v2's rule 1 (at risk: notify the assignee), run as its timer would with under a fifth of the time left.
      const atRisk = new Date(new Date(dueAt).getTime() - 3_600_000);
      expect(await t.ctx.database.write((tx) => runEscalation(tx, t.ctx.caseTypes, t.ctx.scheduler, { caseId: id, rule: 1, dueAt }, atRisk))).toBe(true);

      for (const [name, viewport] of [
        ['notifications-escalated', { width: 1280, height: 800 }],
        ['notifications-escalated-phone', { width: 390, height: 844 }],
      ] as const) {
        const { page, problems } = await c.context({ viewport, isMobile: viewport.width < 500 });
        await logIn(page, t.users.operator);
        await page.goto('/notifications');
        const item = page.getByRole('link', { name: 'A case was escalated to you: Vendor 88 changes bank details' });
        await item.waitFor({ timeout: 30_000 });
        expect(await item.getAttribute('href')).toBe(`/cases/${id}`);
        const email = page.getByRole('checkbox', { name: 'An escalation rule names me or my queue: email' });
        await email.waitFor();
        if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
        expect(problems).toEqual([]);
        await page.context().close();
      }
    },
    E2E_TIMEOUT_MS,
  );
});
