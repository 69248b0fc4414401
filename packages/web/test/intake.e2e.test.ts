import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../server/test/harness.js';
import { intakeConfigDir } from '../../server/test/intake-support.js';
import { startMailRelay, type MailRelay } from '../../server/test/notifications-relay.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe violations, as in a11y.e2e.test.ts. */
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
const HOSTILE = 'My kettle 4410 leaks.\n<script>window.__xss=1;alert(1)</script>\n<img src=x onerror="window.__xss=2;alert(2)">\nThanks, Jane';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** A case opened by mail shows its message as inert text, an operator replies from it, and an admin releases a held item. */
describe('intake in the console', () => {
  let c: ConsoleUnderTest;
  let relay: MailRelay;
  let dir: string;
  let smtp: ReturnType<typeof nodemailer.createTransport>;
  beforeAll(async () => {
    relay = await startMailRelay();
    dir = intakeConfigDir();
    c = await startConsole({ LATCH_CONFIG_DIR: dir, LATCH_SMTP_PORT: '0', LATCH_NOTIFY_SMTP_URL: relay.url });
    smtp = nodemailer.createTransport({ host: '127.0.0.1', port: c.t.ctx.intake.smtpPort!, secure: false, ignoreTLS: true, pool: false });
  });
  afterAll(async () => {
    smtp?.close();
    await c?.close();
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const caseByText = async (q: string) => {
    const found = (await c.t.app.inject({ url: `/api/v1/cases?q=${encodeURIComponent(q)}`, headers: bearer(c.t.users.admin) })).json().items as { id: string }[];
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };

  it(
    'shows a mail-opened case’s message inert with its attachment, and the reply box sends to the requester',
    async () => {
      await smtp.sendMail({
        to: 'refunds@latch.test',
        from: 'Jane Doe <jane@customer.example>',
        subject: 'Refund for kettle 4410 <b>now</b>',
        text: HOSTILE,
        messageId: '<kettle-4410@customer.example>',
        attachments: [{ filename: 'photo.txt', content: 'a photo of the leak' }],
      });
      const caseId = await caseByText('kettle 4410');
      await smtp.sendMail({ to: 'refunds@latch.test', from: 'mallory@evil.example', subject: 'Re: Refund for kettle 4410', text: 'Pay the refund to my new account 9988.', inReplyTo: '<kettle-4410@customer.example>' });
      const forgedId = await caseByText('9988');

      for (const [name, viewport] of [
        ['intake-case', DESKTOP],
        ['intake-case-phone', PHONE],
      ] as const) {
        const { page, problems } = await c.context({ viewport, isMobile: viewport.width < 500 });
        await logIn(page, c.t.users.operator);
        await page.goto(`/cases/${caseId}`);
        const panel = page.getByRole('region', { name: 'Original message' });
        await panel.waitFor();
        const body = panel.locator('pre.mail-body');
        await expect.poll(() => body.textContent()).toBe(HOSTILE);
        expect(await panel.locator('script, img').count()).toBe(0);
        expect(await page.evaluate('window.__xss')).toBeUndefined();
        expect(await panel.locator('dl.mail-headers').textContent()).toContain('Refund for kettle 4410 <b>now</b>');
        const download = panel.getByRole('link', { name: 'photo.txt' });
        expect(await download.getAttribute('href')).toMatch(new RegExp(`^/api/v1/cases/${caseId}/attachments/`));
        await page.getByLabel(/^Reply to the requester/).waitFor();
        if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
        await page.context().close();
      }

      const { page, problems } = await c.context({ viewport: DESKTOP });
      await logIn(page, c.t.users.operator);
      await page.goto(`/cases/${caseId}`);
      await page.getByLabel(/^Reply to the requester/).fill('We are sorry. A replacement kettle is on its way.');
      await page.getByRole('button', { name: 'Send reply' }).click();
      await page.getByRole('status').filter({ hasText: 'Reply queued' }).waitFor();
      await page.getByRole('article', { name: 'Reply sent' }).waitFor();
      await page.getByText('operator replied to the requester by email').first().waitFor();
      await expect.poll(() => relay.received.filter((m) => m.to.includes('jane@customer.example')).length, { timeout: 30_000 }).toBe(1);
      expect(relay.received[0]!.raw).toContain('A replacement kettle is on its way.');

      await page.goto(`/cases/${forgedId}`);
      const flag = page.getByRole('note').filter({ hasText: 'Possible forgery.' });
      await flag.waitFor();
      expect(await flag.getByRole('link', { name: 'another case' }).getAttribute('href')).toBe(`/cases/${caseId}`);
      if (shots) await page.screenshot({ path: `${shots}/intake-forgery.png`, fullPage: true });
      expect(problems).toEqual([]);
      await page.context().close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'lists quarantined mail with a readable reason, and releasing an item (after a confirmation) opens its case',
    async () => {
      await smtp.sendMail({ to: 'refunds@latch.test', from: 'bob@customer.example', subject: 'Out of office', text: 'Away until Monday, back for order 6120.', headers: { 'Auto-Submitted': 'auto-replied' } });
      for (const [name, viewport] of [
        ['intake-quarantine', DESKTOP],
        ['intake-quarantine-phone', PHONE],
      ] as const) {
        const { page, problems } = await c.context({ viewport, isMobile: viewport.width < 500 });
        await logIn(page, c.t.users.admin);
        await page.goto('/admin');
        await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Quarantine' }).click();
        await page.getByRole('heading', { name: 'Quarantine' }).waitFor();
        const item = page.locator('.quarantine-item').filter({ hasText: 'An automatic reply, such as an out-of-office message.' });
        await item.waitFor();
        expect(await item.textContent()).toContain('from bob@customer.example to refunds@latch.test');
        await item.getByRole('button', { name: 'Release' }).click();
        await item.getByRole('group', { name: 'Confirm release' }).waitFor();
        if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
        expect(await seriousViolations(page)).toEqual([]);
        if (viewport === PHONE) {
          await item.getByRole('button', { name: 'Yes, release' }).click();
          await item.waitFor({ state: 'detached' });
          await page.getByRole('combobox', { name: 'Show' }).selectOption('released');
          await page.getByRole('link', { name: 'Open its case' }).click();
          await page.getByRole('region', { name: 'Original message' }).getByText('Away until Monday, back for order 6120.').waitFor();
        } else {
          await item.getByRole('button', { name: 'Cancel' }).click();
          await item.getByRole('button', { name: 'Release' }).waitFor();
        }
        expect(problems).toEqual([]);
        await page.context().close();
      }
      await caseByText('6120');
    },
    E2E_TIMEOUT_MS,
  );
});
