import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_DIR } from '../../server/src/http/console.js';
import { PASSWORD, startTestLatch, type TestLatch, type TestUser } from '../../server/test/harness.js';

/** A story takes 10–25 s alone; the whole suite shares two cores, so it is given room (never a speed check). */
export const E2E_TIMEOUT_MS = 150_000;

/** Debian's Chromium (`.ci/run` installs it); playwright-core drives it, nothing is downloaded. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export interface ConsoleUnderTest {
  readonly t: TestLatch;
  /** Where the real server listens, e.g. http://127.0.0.1:41234. */
  readonly base: string;
  readonly browser: Browser;
  /** A fresh browser context (its own cookies: one person), with page errors and dialogs collected. */
  context(options?: { viewport?: { width: number; height: number }; isMobile?: boolean }): Promise<{ context: BrowserContext; page: Page; problems: string[] }>;
  close(): Promise<void>;
}

/**
 * A real Latch (buildApp + listen on port 0, PGlite, the harness's users) serving the built console,
 * and a headless Chromium. A page error, a dialog or a CSP violation is collected as a problem.
 */
export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleUnderTest> {
  if (!existsSync(`${CONSOLE_DIR}index.html`)) throw new Error(`The console is not built in ${CONSOLE_DIR}: run \`npm run build\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)`);
  const t = await startTestLatch('pglite', env);
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  return {
    t,
    base,
    browser,
    async context(options = {}) {
      const context = await browser.newContext({ baseURL: base, viewport: options.viewport ?? { width: 1280, height: 900 }, isMobile: options.isMobile ?? false });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('dialog', (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) problems.push(`csp: ${message.text()}`);
      });
      return { context, page, problems };
    },
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** Logs in through the login page, as a person would, and waits for the queue. */
export async function logIn(page: Page, user: TestUser): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Cases' }).waitFor();
}
