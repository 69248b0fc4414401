import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { TEST_CONFIG_DIR } from './harness.js';

/** A person the test identity provider knows; tests change their groups or password between sign-ins. */
export interface ProviderAccount {
  password: string;
  email?: string;
  emailVerified: boolean;
  name: string;
  groups: string[];
}

export interface TestProvider {
  /** The issuer (http://localhost:<port>: another site than Latch's 127.0.0.1, as a real provider is). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accounts: Map<string, ProviderAccount>;
  close(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A real OpenID Connect provider (`oidc-provider`) on a free port, with a minimal login prompt of
 * its own (username and password, or Cancel, which answers access_denied) and consent given for
 * its one client. Claims: email, email_verified, name, groups.
 */
export async function startTestProvider(redirectUri: string): Promise<TestProvider> {
  const accounts = new Map<string, ProviderAccount>();
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  const clientId = 'latch';
  const clientSecret = 'a-client-secret-for-tests-only-0123456789';
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, ...(account.email ? { email: account.email } : {}), email_verified: account.emailVerified, name: account.name, groups: account.groups }),
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party client: consent is given, never asked.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const existing = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
    cookies: { keys: ['test-provider-cookie-key-0123456789'] },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  const callback = provider.callback();

  const page = (res: ServerResponse, uid: string, error?: string) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Cancel</button></form></body></html>`);
  };

  handle = (req, res) => {
    const match = /^\/interaction\/([^/?]+)(?:\/(login|abort))?/.exec(req.url ?? '');
    if (!match) return void callback(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (!match[2]) return page(res, details.uid);
        const body = new URLSearchParams(await new Promise<string>((resolve) => {
          let text = '';
          req.on('data', (chunk: Buffer) => (text += chunk.toString()));
          req.on('end', () => resolve(text));
        }));
        if (match[2] === 'abort') {
          return await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person cancelled' }, { mergeWithLastSubmission: false });
        }
        const username = body.get('username') ?? '';
        if (accounts.get(username)?.password !== body.get('password')) return page(res, details.uid, 'Wrong username or password');
        await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${(error as Error).message}`);
      }
    })();
  };

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A free TCP port on the loopback (for a Latch whose public URL must be known before it listens). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * A browser's walk through the provider without a browser: follows redirects with a cookie jar,
 * signs in on the login prompt (or cancels), and returns the URL the provider sends back to Latch.
 */
export async function walkProvider(authorizationUrl: string, action: { username: string; password: string } | 'cancel'): Promise<URL> {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return response;
  };
  let url = authorizationUrl;
  let init: RequestInit = {};
  for (let hops = 0; hops < 10; hops++) {
    const response = await send(url, init);
    init = {};
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (!next.href.startsWith(new URL(authorizationUrl).origin)) return next;
      url = next.href;
      continue;
    }
    const html = await response.text();
    const form = action === 'cancel' ? /action="([^"]*\/abort)"/.exec(html) : /action="([^"]*\/login)"/.exec(html);
    if (!form) throw new Error(`The provider answered ${response.status} without a form: ${html.slice(0, 300)}`);
    url = new URL(form[1]!, url).href;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: action === 'cancel' ? '' : new URLSearchParams({ username: action.username, password: action.password }).toString(),
    };
  }
  throw new Error('The provider never sent the browser back');
}

/** sso.yaml of the SSO tests: users created at first sign-in, a verified email links, passwords off for linked accounts. */
export const SSO_YAML = `enabled: true
providerName: Test IdP
scopes: [openid, email, profile, groups]
createUsers: true
linkVerifiedEmail: true
passwordLogin: false
groups:
  latch-admins: {roles: [admin]}
  refund-ops: {roles: [operator], teams: [refunds]}
  refund-approvers: {roles: [refund_approver], teams: [refunds]}
`;

/** A configuration directory: the tests' own plus sso.yaml (the caller removes it). */
export function ssoConfigDir(yaml = SSO_YAML): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-sso-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'sso.yaml'), yaml);
  return dir;
}
