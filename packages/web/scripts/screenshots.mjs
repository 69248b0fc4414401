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

  // The admin's view: the proof panel of a case, the auditor's page after a verification, and the admin screens.
  const adminContext = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const admin = await adminContext.newPage();
  await login(admin, 'admin');
  await admin.getByRole('link', { name: /order #1101/ }).click();
  await admin.locator('.proof .chain').waitFor();
  await admin.locator('.proof').screenshot({ path: `${out}proof-panel.png` });
  await admin.getByRole('link', { name: 'Audit' }).click();
  await admin.getByRole('button', { name: 'Verify now' }).click();
  await admin.getByText('The log verifies').waitFor();
  await admin.screenshot({ path: `${out}audit.png`, fullPage: true });
  await admin.getByRole('link', { name: 'Admin' }).click();
  await admin.getByRole('button', { name: /^Manage Olivia/ }).click();
  await admin.screenshot({ path: `${out}admin-users.png`, fullPage: true });
  await admin.getByRole('link', { name: 'Case types' }).click();
  await admin.getByRole('heading', { name: /^refund\.v\d+$/ }).waitFor();
  await admin.screenshot({ path: `${out}admin-case-types.png` });
  await admin.getByRole('link', { name: 'API tokens' }).click();
  await admin.getByLabel('Token name').fill('reporting');
  await admin.getByRole('checkbox', { name: 'case:read', exact: true }).check();
  await admin.getByRole('button', { name: 'Create token' }).click();
  await admin.getByText('Copy this token now').waitFor();
  await admin.screenshot({ path: `${out}admin-tokens.png`, fullPage: true });
  console.log(`wrote login, queue, case, inbox-phone, proof-panel, audit and admin screenshots to ${out}`);
} finally {
  await browser.close();
  await app.close();
  await latch.close();
}
