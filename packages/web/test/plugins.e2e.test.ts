import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CONFIG_DIR, startTestLatch, type TestLatch } from '../../server/test/harness.js';
import { CHROMIUM, E2E_TIMEOUT_MS, logIn } from './browser.js';

const ECHO_DIR = fileURLToPath(new URL('../../../plugins/echo', import.meta.url));
const SECRET = 'echo-console-secret-5b1e';
const GREETING = 'echo-console-greeting-9c2d';

/** The plugins screen against a Latch running the echo plugin: its manifest and health, and never a configured value. */
describe('the plugins screen', () => {
  let t: TestLatch;
  let browser: Browser;
  let base: string;
  let configDir: string;
  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'latch-console-plugins-'));
    cpSync(TEST_CONFIG_DIR, configDir, { recursive: true });
    writeFileSync(join(configDir, 'plugins.yaml'), `plugins:\n  echo:\n    path: ${ECHO_DIR}\n    config: { greeting: "${GREETING}" }\n    secrets: { token: { env: LATCH_TEST_CONSOLE_ECHO_TOKEN } }\n`);
    process.env.LATCH_TEST_CONSOLE_ECHO_TOKEN = SECRET;
    t = await startTestLatch('pglite', { LATCH_CONFIG_DIR: configDir });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('shows each plugin with its version, state and actions, secret names only', async () => {
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    await logIn(page, t.users.admin);
    await page.goto('/admin/plugins');
    const card = page.locator('article.plugin-card[data-state="ready"]');
    await card.waitFor();
    const text = (await card.textContent())!;
    expect(text).toContain('echo@0.1.0');
    expect(text).toContain('ready');
    expect(text).toContain('Echo (echo), Do nothing (noop)');
    expect(text).toContain('greeting (optional), token (secret)');
    const html = await page.content();
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain(GREETING);
    await context.close();
  }, E2E_TIMEOUT_MS);
});
