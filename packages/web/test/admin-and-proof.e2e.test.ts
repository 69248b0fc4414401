import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

/** The proof panel, the auditor's page and the admin screens, driven as a person would, checked against the API. */
describe('proof and admin in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(() => c?.close());

  it('an admin sees the chain verify, downloads the evidence bundle (recorded) and verifies the whole log', async () => {
    const { t } = c;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund for order 4004' }) });
    const caseId: string = created.json().id;
    const { page, problems } = await c.context();
    await logIn(page, t.users.admin);
    await page.goto(`/cases/${caseId}`);
    const chain = page.locator('.proof .chain');
    await chain.waitFor();
    expect(await chain.getAttribute('data-ok')).toBe('true');
    expect(await chain.textContent()).toContain('Chain verifies: 1 event recomputed from the stored bytes.');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download evidence bundle' }).click()]);
    expect(download.suggestedFilename()).toBe(`case-${caseId}.zip`);
    // A real evidence bundle: a zip holding the case's events.
    const zip = readFileSync(await download.path());
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const timeline = await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.admin) });
    expect(timeline.json().items.map((e: { kind: string }) => e.kind)).toContain('case.exported');
    await page.locator('li.event[data-kind="case.exported"]').waitFor();

    await page.getByRole('link', { name: 'Audit' }).click();
    const checkpoint = page.locator('pre.checkpoint');
    await checkpoint.waitFor();
    expect(await checkpoint.textContent()).toMatch(/^latch\.test\/log\n\d+\n/);
    expect(await page.locator('pre.trust-file').textContent()).toContain('latch.test/log+');
    await page.getByRole('button', { name: 'Verify now' }).click();
    const report = page.getByRole('status').filter({ hasText: 'The log verifies' });
    await report.waitFor();
    expect(await report.getAttribute('data-ok')).toBe('true');
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);

  it('an admin creates, changes, disables and resets a user; a token is shown once and revoked', async () => {
    const { t } = c;
    const { page, problems } = await c.context();
    await logIn(page, t.users.admin);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    await page.getByLabel('Email').fill('nina@test.example');
    await page.getByLabel('Name', { exact: true }).fill('Nina');
    await page.getByLabel('Initial password').fill('a long enough password');
    await page.getByLabel('Teams (comma-separated)').fill('refunds');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').getByText('Created nina@test.example.').waitFor();
    const nina = async () => (await t.app.inject({ url: '/api/v1/users', headers: bearer(t.users.admin) })).json().items.find((u: { email: string }) => u.email === 'nina@test.example');
    expect(await nina()).toMatchObject({ name: 'Nina', roles: ['operator'], teams: ['refunds'], disabled: false });

    await page.getByRole('button', { name: 'Manage Nina' }).click();
    const editor = page.getByRole('region', { name: 'Manage nina@test.example' });
    await editor.getByRole('checkbox', { name: 'refund approver' }).check();
    await editor.getByRole('button', { name: 'Save changes' }).click();
    await editor.getByRole('status').getByText('Saved.').waitFor();
    expect((await nina()).roles).toEqual(['operator', 'refund_approver']);
    await editor.getByRole('button', { name: 'Disable account' }).click();
    await editor.getByRole('button', { name: 'Enable account' }).waitFor();
    expect((await nina()).disabled).toBe(true);
    await editor.getByLabel('New password').fill('another long password');
    await editor.getByRole('button', { name: 'Reset password' }).click();
    await editor.getByText('Password reset; their sessions and tokens have ended.').waitFor();

    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Token name').fill('reporting');
    await page.getByRole('checkbox', { name: 'case:read', exact: true }).check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByLabel('New token secret').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    const withToken = () => t.app.inject({ url: '/api/v1/cases', headers: { authorization: `Bearer ${secret}` } });
    expect((await withToken()).statusCode).toBe(200);
    await page.getByRole('button', { name: 'Revoke reporting' }).click();
    await page.getByRole('row', { name: /reporting/ }).getByText('revoked').waitFor();
    expect((await withToken()).statusCode).toBe(401);
    // Shown once: after a reload the secret is nowhere on the page.
    await page.reload();
    await page.getByRole('row', { name: /reporting/ }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);

  it('case types are shown with their versions and the policy simulator answers; an operator gets Settings, not Admin or Audit', async () => {
    const { t } = c;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'Refund for order 5005' }) });
    const caseId: string = created.json().id;
    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Settings' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'Settings' }).click();
    const sections = page.getByRole('navigation', { name: 'Admin' });
    expect(await sections.getByRole('link', { name: 'Users' }).count()).toBe(0);

    await sections.getByRole('link', { name: 'Case types' }).click();
    await page.getByLabel('Case type').selectOption('refund');
    await page.getByRole('heading', { name: /^refund\.v\d+$/ }).waitFor();
    const versions = await page.getByLabel('Version').locator('option').allTextContents();
    expect(versions).toEqual(expect.arrayContaining(['v1', 'v2']));
    await page.getByLabel('Case id').fill(caseId.toUpperCase());
    await page.getByLabel('Input (JSON)').fill(JSON.stringify({ payment_intent: 'pi_5005', amount_minor: 75_000, currency: 'usd', reason: 'duplicate' }));
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.getByRole('status').getByText('Needs: 1 approval by role refund_approver').waitFor();
    await page.getByLabel('Input (JSON)').fill('[1]');
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.getByRole('alert').getByText('The input must be a JSON object').waitFor();

    await sections.getByRole('link', { name: 'Delegations' }).click();
    await page.getByLabel('To').selectOption({ label: 'approver (approver@test.example)' });
    // Ten days from now, as a datetime-local input takes it (the browser's local time; a delegation lasts at most 90 days).
    const until = new Date(Date.now() + 10 * 86_400_000);
    const local = new Date(until.getTime() - until.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByLabel('Until (at most 90 days)').fill(local);
    await page.getByLabel('Reason').fill('Holiday');
    await page.getByRole('button', { name: 'Delegate' }).click();
    await page.getByRole('row', { name: /Holiday/ }).waitFor();
    const delegations = (await t.app.inject({ url: '/api/v1/delegations', headers: bearer(t.users.operator) })).json().items;
    expect(delegations).toMatchObject([{ fromUserId: t.users.operator.id, toUserId: t.users.approver.id, reason: 'Holiday', revoked: false }]);
    await page.getByRole('row', { name: /Holiday/ }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('row', { name: /Holiday/ }).getByText('revoked').waitFor();

    await sections.getByRole('link', { name: 'Plugins' }).click();
    await page.getByText('No plugins are configured.').waitFor();
    // Nothing was proposed: the simulator writes nothing.
    const actions = await t.app.inject({ url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator) });
    expect(actions.json().items).toEqual([]);
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
