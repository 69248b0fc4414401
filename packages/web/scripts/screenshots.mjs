// Screenshots of the console's main pages on the demo data, for docs/screenshots/ and the README.
// Run after `npm run build`: `npm run screenshots -w packages/web`. Uses Debian's Chromium.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { generateSignerKey } from '@latch/core';
import { readConfig } from '../../server/dist/config.js';
import { DEMO_USERS, seedDemo } from '../../server/dist/demo/seed.js';
import { buildApp } from '../../server/dist/http/app.js';
import { openLatch } from '../../server/dist/runtime.js';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here('../../../docs/screenshots/');
await mkdir(out, { recursive: true });

const config = readConfig({ LATCH_CONFIG_DIR: here('../../../config'), LATCH_LOG_KEY: generateSignerKey('latch.screenshots/log') });
const latch = await openLatch(config, { inMemory: true, migrate: true, log: () => undefined });
await seedDemo(latch.ctx);
const app = await buildApp(latch.ctx);
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true });

const login = async (page, who) => {
  const user = DEMO_USERS.find((u) => u.email.startsWith(who));
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('link', { name: 'Queue' }).waitFor();
};

try {
  const desktop = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const page = await desktop.newPage();
  await page.goto(`${base}/login`);
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await page.screenshot({ path: `${out}login.png` });

  await login(page, 'olivia');
  await page.getByRole('link', { name: /order #1101/ }).waitFor();
  await page.screenshot({ path: `${out}queue.png` });

  await page.getByRole('link', { name: /order #1101/ }).click();
  await page.getByRole('heading', { name: 'Timeline' , exact: false }).waitFor();
  await page.locator('.action-card').first().waitFor();
  await page.screenshot({ path: `${out}case.png`, fullPage: true });

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const reviewer = await phone.newPage();
  await login(reviewer, 'rita');
  await reviewer.getByRole('link', { name: /Approvals/ }).click();
  await reviewer.locator('.inbox-item').first().waitFor();
  await reviewer.screenshot({ path: `${out}inbox-phone.png`, fullPage: true });
  console.log(`wrote login, queue, case and inbox-phone screenshots to ${out}`);
} finally {
  await browser.close();
  await app.close();
  await latch.close();
}
