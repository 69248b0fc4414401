import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../server/src/auth/users.js';
import { PASSWORD, sessionFor, type TestUser } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/** The vendor bank change's call-back, ticked in the console: the proposal waits for it, then may go. */
describe('a case type checklist on the case page', () => {
  let c: ConsoleUnderTest;
  const people: Record<string, TestUser> = {};
  beforeAll(async () => {
    c = await startConsole();
    const system = { type: 'system', id: 'test' } as const;
    for (const [name, roles] of [
      ['Olivia', ['operator']],
      ['Sam', ['operator', 'refund_approver']],
    ] as const) {
      const email = `${name.toLowerCase()}@checklist.example`;
      const user = await c.t.ctx.database.write((tx) => createUser(tx, { email, name, password: PASSWORD, roles: [...roles], teams: ['finance'] }, system, undefined, c.t.ctx.roles));
      people[name] = { id: user.id, email, token: '' };
    }
  });
  afterAll(() => c?.close());

  it('ticks the call-back with a note; the proposal is blocked until then, at desktop and phone sizes', async () => {
    const { t } = c;
    for (const [label, viewport] of [
      ['checklist', { width: 1280, height: 800 }],
      ['checklist-phone', { width: 390, height: 844 }],
    ] as const) {
      const opened = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: await sessionFor(t.app, people.Olivia!), payload: { type: 'vendor_bank_change', title: 'Vendor V-9 sends new bank details', fields: { vendor_id: 'V-9' } } });
      const caseId = opened.json().id as string;
      const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: await sessionFor(t.app, people.Sam!), payload: { version: 1, fields: { new_iban: 'DE89370400440532013000' } } });
      expect(edited.statusCode).toBe(200);

      const { page, problems } = await c.context({ viewport, isMobile: viewport.width < 500 });
      await logIn(page, people.Olivia!);
      await page.goto(`/cases/${caseId}`);
      const checklist = page.getByRole('region', { name: 'Checklist' });
      const form = page.getByRole('form', { name: 'Propose an action' });
      await form.getByText('Can’t be proposed yet').waitFor();
      // The item names the action it gates as people know it, not by its plugin key.
      await checklist.getByText("required before Update the vendor's bank account in the ERP").waitFor();
      expect(await form.getByRole('button', { name: 'Propose' }).isDisabled()).toBe(true);
      await checklist.getByRole('button', { name: 'Tick…' }).click();
      await checklist.getByLabel('What did you check?').fill('Called the number on file <b>CFO</b> confirmed');
      await checklist.getByRole('button', { name: /^Tick “/ }).click();
      await checklist.getByText('Ticked by Olivia').waitFor();
      await checklist.getByText('“Called the number on file <b>CFO</b> confirmed”').waitFor();
      expect(await checklist.locator('b').count()).toBe(0);
      await form.getByText('Can’t be proposed yet').waitFor({ state: 'detached' });
      expect(await form.getByRole('button', { name: 'Propose' }).isDisabled()).toBe(false);
      await page.getByText('ticked “Called the vendor back on the number on file and confirmed the new IBAN” on the checklist').waitFor();
      if (process.env.LATCH_SCREENSHOTS) await checklist.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/${label}.png` });
      expect(problems).toEqual([]);
    }
  }, E2E_TIMEOUT_MS);
});
