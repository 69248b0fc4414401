// Screenshots of the reference workflows in the console (README "Vendor bank-detail change" and
// "Temporary access grant"): the checklist before and after the call-back, and an access grant that
// revokes by itself. Run after `npm run build`: `node packages/web/scripts/workflow-screenshots.mjs`.
// The HTTP plugin (a real child process) calls a local stand-in for the ERP and the access system.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { generateSignerKey } from '@latch/core';
import { createUser } from '../../server/dist/auth/users.js';
import { readConfig } from '../../server/dist/config.js';
import { buildApp } from '../../server/dist/http/app.js';
import { openLatch } from '../../server/dist/runtime.js';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here('../../../docs/screenshots/');
const api = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')));
await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
const configDir = mkdtempSync(join(tmpdir(), 'latch-workflow-shots-'));
cpSync(here('../../../config/case-types'), join(configDir, 'case-types'), { recursive: true });
for (const file of ['roles.yaml', 'teams.yaml']) cpSync(here(`../../../config/${file}`), join(configDir, file));
for (const file of readdirSync(join(configDir, 'case-types')).filter((f) => f.startsWith('refund.'))) rmSync(join(configDir, 'case-types', file));
writeFileSync(join(configDir, 'plugins.yaml'), `plugins:\n  http:\n    path: ${here('../../../plugins/http')}\n    config: { baseUrl: "http://127.0.0.1:${api.address().port}", allowPrivateNetworks: true }\n`);

const config = readConfig({ LATCH_CONFIG_DIR: configDir, LATCH_LOG_KEY: generateSignerKey('latch.screenshots/log') });
const latch = await openLatch(config, { inMemory: true, migrate: true, log: () => undefined });
const password = 'screenshot password';
const system = { type: 'system', id: 'screenshots' };
const people = {};
for (const [name, roles, teams] of [
  ['Olivia Operator', ['operator'], ['finance', 'it_access']],
  ['Sam Editor', ['operator', 'refund_approver'], ['finance']],
  ['Rita Reviewer', ['refund_approver'], ['finance']],
  ['Owen Owner', ['resource_owner'], ['it_access']],
]) {
  const email = `${name.split(' ')[0].toLowerCase()}@latch.example`;
  people[name.split(' ')[0]] = { email, ...(await latch.ctx.database.write((tx) => createUser(tx, { email, name, password, roles, teams }, system, undefined, latch.ctx.roles))) };
}
const app = await buildApp(latch.ctx);
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const session = async (who) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: people[who].email, password } });
  return { cookie: `latch_session=${res.cookies.find((c) => c.name === 'latch_session').value}`, 'x-csrf-token': res.json().csrfToken };
};
const inject = async (who, method, url, payload) => {
  const res = await app.inject({ method, url, headers: await session(who), payload });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
};
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true });
try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(people.Olivia.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('link', { name: 'Queue' }).waitFor();

  // Vendor bank-detail change: Sam typed the IBAN; the call-back is not ticked, so the ERP action waits for it.
  const vendor = await inject('Olivia', 'POST', '/api/v1/cases', { type: 'vendor_bank_change', title: 'Vendor V-7 (Acme Metals) sends new bank details', fields: { vendor_id: 'V-7' } });
  await inject('Sam', 'PATCH', `/api/v1/cases/${vendor.id}`, { version: 1, fields: { new_iban: 'DE89370400440532013000' } });
  await page.goto(`${base}/cases/${vendor.id}`);
  const checklist = page.getByRole('region', { name: 'Checklist' });
  await checklist.getByRole('button', { name: 'Tick…' }).waitFor();
  await page.getByText('Can’t be proposed yet').waitFor();
  await page.screenshot({ path: `${out}checklist-untick.png`, fullPage: true });
  await checklist.getByRole('button', { name: 'Tick…' }).click();
  await checklist.getByLabel('What did you check?').fill('Called +49 30 555 0100 from the vendor master data; their CFO confirmed the IBAN ending 3000.');
  await checklist.getByRole('button', { name: /^Tick “/ }).click();
  await checklist.getByText('Ticked by Olivia Operator').waitFor();
  await page.getByText('Can’t be proposed yet').waitFor({ state: 'detached' });
  await page.screenshot({ path: `${out}checklist-ticked.png`, fullPage: true });

  // Temporary access grant: approved by the resource owner, granted, revokes by itself at expiry.
  const grantCase = await inject('Olivia', 'POST', '/api/v1/cases', { type: 'access_grant', title: 'j.doe needs read on prod-db for incident 4711', fields: { user: 'j.doe', resource: 'prod-db', role: 'read', justification: 'Incident 4711: reading the orders table' } });
  const grant = await inject('Olivia', 'POST', `/api/v1/cases/${grantCase.id}/actions`, { plugin: 'http', action: 'request', input: { method: 'POST', path: '/grants', body: { user: 'j.doe', resource: 'prod-db', role: 'read', duration: 'PT2H' } } });
  await inject('Owen', 'POST', `/api/v1/actions/${grant.id}/decisions`, { decision: 'approve', payloadHash: grant.payloadHash });
  await page.goto(`${base}/cases/${grantCase.id}`);
  await page.getByRole('region', { name: 'Temporary access' }).getByText('Revokes at').waitFor({ timeout: 30_000 });
  await page.screenshot({ path: `${out}access-grant.png`, fullPage: true });
  console.log('wrote checklist-untick.png, checklist-ticked.png, access-grant.png');
} finally {
  await browser.close();
  await app.close();
  await latch.close();
  api.close();
  rmSync(configDir, { recursive: true, force: true });
}
