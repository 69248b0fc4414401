import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../server/src/auth/users.js';
import { bearer, PASSWORD, sessionFor, type TestUser } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/** Proposing a vendor bank change shows who could approve it and why the others can't. */
describe('who can approve, in the proposal form', () => {
  let c: ConsoleUnderTest;
  const people: Record<string, TestUser> = {};
  beforeAll(async () => {
    c = await startConsole();
    const system = { type: 'system', id: 'test' } as const;
    for (const [name, roles] of [
      ['Olivia', ['operator']],
      ['Sam', ['operator', 'refund_approver']],
      ['Ana', ['refund_approver']],
      ['Rita', ['refund_approver']],
    ] as const) {
      const email = `${name.toLowerCase()}@sod.example`;
      const user = await c.t.ctx.database.write((tx) => createUser(tx, { email, name, password: PASSWORD, roles: [...roles], teams: ['finance'] }, system));
      people[name] = { id: user.id, email, token: '' };
    }
  });
  afterAll(() => c?.close());

  it('lists each finance reviewer with the rules they would fail', async () => {
    const { t } = c;
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: bearer(t.users.admin),
      payload: { type: 'vendor_bank_change', title: 'Vendor V-7 sends new bank details', fields: { vendor_id: 'V-7' }, assigneeId: people.Ana!.id },
    });
    const caseId = opened.json().id as string;
    // Sam types the new IBAN on the case.
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: await sessionFor(t.app, people.Sam!), payload: { version: 1, fields: { new_iban: 'DE89370400440532013000' } } });
    expect(edited.statusCode).toBe(200);

    for (const [label, viewport] of [
      ['sod-approvers', { width: 1280, height: 800 }],
      ['sod-approvers-phone', { width: 390, height: 844 }],
    ] as const) {
      const { page, problems } = await c.context({ viewport, isMobile: viewport.width < 500 });
      await logIn(page, people.Olivia!);
      await page.goto(`/cases/${caseId}`);
      const form = page.getByRole('form', { name: 'Propose an action' });
      await form.getByLabel('Method').selectOption('PUT');
      await form.getByLabel('ERP path').fill('/vendors/V-7/bank-account');
      await form.getByLabel('Request body (JSON)').fill('{"iban": "DE89370400440532013000"}');
      const who = form.getByRole('region', { name: /Who can approve/ });
      await who.getByText('they edited new_iban').waitFor();
      await expect.poll(async () => (await who.getByRole('listitem').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim())).toEqual([
        '✕ Ana can’t: they are assigned the case',
        '✓ Rita can approve',
        '✕ Sam can’t: they edited new_iban',
      ]);
      await form.getByText('not anyone who edited new_iban').waitFor();
      if (process.env.LATCH_SCREENSHOTS) await form.screenshot({ path: `${process.env.LATCH_SCREENSHOTS}/${label}.png` });
      expect(problems).toEqual([]);
    }
  }, E2E_TIMEOUT_MS);
});
