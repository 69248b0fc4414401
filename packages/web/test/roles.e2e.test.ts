import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, TEST_CONFIG_DIR } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

const SHOTS = process.env.LATCH_SCREENSHOTS;

/** The role picker on Admin → Users offers the roles roles.yaml defines, not a list built into the console. */
describe('roles from roles.yaml in the console', () => {
  let c: ConsoleUnderTest;
  let configDir: string;
  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'latch-roles-e2e-'));
    cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
    const roles = readFileSync(join(configDir, 'roles.yaml'), 'utf8');
    writeFileSync(
      join(configDir, 'roles.yaml'),
      `${roles.trimEnd()}\n  vendor_approver:\n    description: Approves vendor bank-detail changes\n    permissions: [case:read, case:comment, case_type:read, user:read, action:decide]\n`,
    );
    c = await startConsole({ LATCH_CONFIG_DIR: configDir });
    // An account that still holds a role roles.yaml no longer defines (as after removing it from the file).
    await c.t.ctx.database.db.execute(sql`update users set roles = array['operator', 'compliance_officer'] where email = 'outsider@test.example'`);
  });
  afterAll(async () => {
    await c?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    const phone = viewport.width < 500;
    it(`an admin gives a new user a custom role and is told about a role that grants nothing (${phone ? 'phone' : 'desktop'})`, async () => {
      const { t } = c;
      const { page, problems } = await c.context({ viewport, isMobile: phone });
      await logIn(page, t.users.admin);
      await page.goto('/admin');
      await page.getByRole('heading', { name: 'Users' }).waitFor();

      const warning = page.getByRole('status').filter({ hasText: 'Roles need attention' });
      await warning.waitFor();
      expect(await warning.textContent()).toContain("1 active user(s) hold role 'compliance_officer'");

      const form = page.getByRole('form', { name: 'New user' });
      const vendor = form.getByRole('checkbox', { name: /vendor approver/ });
      await vendor.waitFor();
      expect(await form.getByText('Approves vendor bank-detail changes').isVisible()).toBe(true);
      expect(await form.getByText('role set version 1').isVisible()).toBe(true);

      const email = `vendor-${viewport.width}@test.example`;
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Name', { exact: true }).fill('Vendor Approver');
      await form.getByRole('checkbox', { name: /^operator/ }).uncheck();
      await vendor.check();
      if (SHOTS) await page.screenshot({ path: join(SHOTS, `admin-roles-${phone ? 'phone' : 'desktop'}.png`), fullPage: phone });
      await form.getByRole('button', { name: 'Create user' }).click();
      await page.getByRole('status').getByText(`Created ${email}.`).waitFor();
      const users = (await t.app.inject({ url: '/api/v1/users', headers: bearer(t.users.admin) })).json().items as { email: string; roles: string[] }[];
      expect(users.find((u) => u.email === email)?.roles).toEqual(['vendor_approver']);

      // The account with the undefined role: listed as such in its editor, so it can be taken away.
      await page.getByRole('button', { name: 'Manage outsider' }).click();
      const editor = page.getByRole('region', { name: 'Manage outsider@test.example' });
      const gone = editor.getByRole('checkbox', { name: /compliance officer/ });
      expect(await gone.isChecked()).toBe(true);
      expect(await editor.getByText('No longer defined in roles.yaml: grants nothing').isVisible()).toBe(true);
      expect(problems).toEqual([]);
    }, E2E_TIMEOUT_MS);
  }
});
