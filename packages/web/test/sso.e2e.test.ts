import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../server/src/http/console.js';
import { bearer, startTestLatch, type TestLatch } from '../../server/test/harness.js';
import { freePort, ssoConfigDir, startTestProvider, type TestProvider } from '../../server/test/oidc-support.js';
import { CHROMIUM, E2E_TIMEOUT_MS } from './browser.js';

const SHOTS = process.env.LATCH_SCREENSHOTS;

/**
 * Single sign-on in a real browser: Latch on 127.0.0.1 and a real OpenID Connect provider
 * (oidc-provider) on localhost, another site, so the flow crosses sites as it does in production.
 */
describe('single sign-on in the console', () => {
  let t: TestLatch;
  let idp: TestProvider;
  let browser: Browser;
  let base: string;
  let configDir: string;
  beforeAll(async () => {
    if (!existsSync(`${CONSOLE_DIR}index.html`)) throw new Error(`The console is not built in ${CONSOLE_DIR}: run \`npm run build\` first`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startTestProvider(`${base}/api/v1/auth/sso/callback`);
    configDir = ssoConfigDir();
    t = await startTestLatch('pglite', {
      LATCH_CONFIG_DIR: configDir,
      LATCH_PUBLIC_URL: base,
      LATCH_COOKIE_SECURE: 'false',
      LATCH_OIDC_ISSUER: idp.issuer,
      LATCH_OIDC_CLIENT_ID: idp.clientId,
      LATCH_OIDC_CLIENT_SECRET: idp.clientSecret,
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    idp.accounts.set('dana', { password: 'idp-password', email: 'dana@sso.test', emailVerified: true, name: 'Dana Sso', groups: ['refund-ops'] });
  }, E2E_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const freshPage = async () => {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return { context, page, problems };
  };
  /** From Latch's login page to the provider's prompt, and through it. */
  const signInAtProvider = async (page: Page, username: string, shot?: string) => {
    await page.goto('/login');
    const button = page.getByRole('link', { name: 'Sign in with Test IdP' });
    await button.waitFor();
    if (shot && SHOTS) await page.screenshot({ path: join(SHOTS, `${shot}-login.png`) });
    await button.click();
    await page.getByRole('heading', { name: 'Test identity provider' }).waitFor();
    expect(new URL(page.url()).origin).toBe(idp.issuer);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill('idp-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back at Latch (the callback redirects to the console, or to the login page with a refusal).
    await page.waitForURL((url) => url.origin === base && !url.pathname.startsWith('/api/'));
    if (process.env.LATCH_SSO_DEBUG) console.log('landed', page.url(), (await page.locator('body').innerText()).slice(0, 300));
  };
  const meIn = (page: Page) => page.evaluate(async () => (await fetch('/api/v1/me')).json() as Promise<{ user: { email: string; roles: string[]; teams: string[] } }>);

  it('signs in at the provider and lands in the console with the roles its groups give; a second sign-in with other groups changes them', async () => {
    const first = await freshPage();
    await signInAtProvider(first.page, 'dana', 'sso');
    await first.page.getByRole('heading', { name: 'Cases' }).waitFor();
    expect((await meIn(first.page)).user).toMatchObject({ email: 'dana@sso.test', roles: ['operator'], teams: ['refunds'] });
    expect(await first.page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    // A write works with the session SSO gave (cookie + CSRF token from /me), as after a password login.
    await first.page.getByRole('link', { name: 'New case' }).waitFor();
    if (SHOTS) await first.page.screenshot({ path: join(SHOTS, 'sso-landed.png') });
    expect(first.problems).toEqual([]);
    await first.context.close();

    idp.accounts.get('dana')!.groups = ['latch-admins'];
    const second = await freshPage();
    await signInAtProvider(second.page, 'dana');
    await second.page.getByRole('heading', { name: 'Cases' }).waitFor();
    expect((await meIn(second.page)).user.roles).toEqual(['admin']);
    await second.page.getByRole('link', { name: 'Admin' }).waitFor();
    expect(second.problems).toEqual([]);
    await second.context.close();
  }, E2E_TIMEOUT_MS);

  it('a disabled user is refused with a sentence on the login page', async () => {
    idp.accounts.set('erin', { password: 'idp-password', email: 'erin@sso.test', emailVerified: true, name: 'Erin Sso', groups: ['refund-ops'] });
    const first = await freshPage();
    await signInAtProvider(first.page, 'erin');
    await first.page.getByRole('heading', { name: 'Cases' }).waitFor();
    const erin = (await t.app.inject({ url: '/api/v1/users', headers: bearer(t.users.admin) })).json().items.find((u: { email: string }) => u.email === 'erin@sso.test');
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${erin.id}`, headers: bearer(t.users.admin), payload: { disabled: true } })).statusCode).toBe(200);
    await first.context.close();

    const again = await freshPage();
    await signInAtProvider(again.page, 'erin');
    const alert = again.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Your Latch account is disabled. Ask an administrator to enable it.');
    expect(new URL(again.page.url()).pathname).toBe('/login');
    if (SHOTS) await again.page.screenshot({ path: join(SHOTS, 'sso-disabled.png') });
    expect((await again.page.evaluate(async () => (await fetch('/api/v1/me')).status))).toBe(401);
    expect(again.problems).toEqual([]);
    await again.context.close();
  }, E2E_TIMEOUT_MS);

  it('a tampered state is refused, and cancelling at the provider reads as a sentence', async () => {
    const tampered = await freshPage();
    // The state is changed on its way to the provider, which echoes it back: the callback's state is not the one Latch keeps.
    await tampered.page.route('**/api/v1/auth/sso/start**', async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = new URL(response.headers().location!);
      location.searchParams.set('state', 'tampered-state');
      await route.fulfill({ response, headers: { ...response.headers(), location: location.href } });
    });
    await signInAtProvider(tampered.page, 'dana');
    const alert = tampered.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('This sign-in could not be confirmed');
    expect((await tampered.page.evaluate(async () => (await fetch('/api/v1/me')).status))).toBe(401);
    await tampered.context.close();

    const cancelled = await freshPage();
    await cancelled.page.goto('/login');
    await cancelled.page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await cancelled.page.getByRole('button', { name: 'Cancel' }).click();
    const said = cancelled.page.getByRole('alert');
    await said.waitFor();
    expect(await said.textContent()).toContain('The sign-in was cancelled or refused at your identity provider.');
    // Whatever the address bar says, only the sentence is shown: an unknown code reads as the generic one.
    await cancelled.page.goto('/login?sso_error=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E');
    await cancelled.page.getByText('The server gave an unexpected answer.').waitFor();
    expect(await cancelled.page.locator('img').count()).toBe(0);
    if (SHOTS) await cancelled.page.screenshot({ path: join(SHOTS, 'sso-cancelled.png') });
    expect(cancelled.problems).toEqual([]);
    await cancelled.context.close();
  }, E2E_TIMEOUT_MS);
});
