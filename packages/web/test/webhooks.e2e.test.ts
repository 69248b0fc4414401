import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody } from '../../server/test/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../server/test/fakes/webhook-receiver.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

const SCREENSHOT = process.env.LATCH_SCREENSHOT_DIR;

describe('Admin → Webhooks in the console', () => {
  let c: ConsoleUnderTest;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    c = await startConsole({ LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', LATCH_WEBHOOK_INTERVAL_MS: '100', LATCH_WEBHOOK_RETRY_DELAY_SECONDS: '1', LATCH_WEBHOOK_MAX_ATTEMPTS: '2' });
  });
  afterAll(async () => {
    await c?.close();
    await receiver?.close();
  });

  it('an admin adds an endpoint, copies its secret once, reads its deliveries and replays one; an operator has no such page', async () => {
    const { t } = c;
    const { page, problems } = await c.context();
    await logIn(page, t.users.admin);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByLabel('URL').fill(`${receiver.url}/console`);
    await page.getByLabel(/Event kinds/).fill('case.created');
    await page.getByLabel(/Description/).fill('Ticketing <b>bridge</b>');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.getByLabel('New signing secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('cell', { name: /Ticketing <b>bridge<\/b>/ }).waitFor();

    receiver.on('/console', (n, _req, res) => res.writeHead(n === 1 ? 204 : 202).end());
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).statusCode).toBe(201);
    await page.getByRole('button', { name: `Deliveries to ${receiver.url}/console` }).click();
    const row = page.locator('section[aria-labelledby="delivery-log-title"] tbody tr').first();
    await row.getByText('HTTP 204').waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('delivered');
    // What arrived verifies with the secret the page showed once.
    expect(() => new Webhook(secret).verify(receiver.at('/console')[0]!.body, receiver.at('/console')[0]!.headers)).not.toThrow();

    await row.getByRole('button', { name: /Replay case.created/ }).click();
    await row.getByText('HTTP 202').waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('1 replayed');
    expect(receiver.at('/console')).toHaveLength(2);
    if (SCREENSHOT) await page.screenshot({ path: `${SCREENSHOT}/admin-webhooks.png`, fullPage: true });
    if (SCREENSHOT) {
      // The delivery log as a phone shows it.
      const desktop = page.viewportSize();
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: `${SCREENSHOT}/admin-webhooks-phone.png`, fullPage: true });
      if (desktop) await page.setViewportSize(desktop);
    }
    // Reloaded, the secret is gone for good.
    await page.reload();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    expect(await page.content()).not.toContain(secret.slice(6));
    expect(problems).toEqual([]);

    const operator = await c.context();
    await logIn(operator.page, t.users.operator);
    await operator.page.goto('/admin/webhooks');
    expect(await operator.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
  }, E2E_TIMEOUT_MS);
});
