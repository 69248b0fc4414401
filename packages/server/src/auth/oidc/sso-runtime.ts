import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import type { LatchConfig } from '../../config.js';
import { StartupError } from '../../startup-error.js';
import { isLoopback, type OidcEnv } from './oidc-env.js';
import type { SsoFlow } from './sso-flows.js';
import { loadSsoSettings, SSO_FILE, type SsoSettings } from './sso-settings.js';

/**
 * The relying party (openid-client): authorization code with PKCE, state and nonce. The provider's
 * metadata is discovered at the first sign-in, not at start, so a provider that is down delays
 * sign-ins but never Latch's start; a failed discovery is tried again at the next sign-in.
 * `settings` (sso.yaml) change on a configuration reload (`withSettings`); the provider does not.
 */
export class SsoRuntime {
  constructor(
    readonly settings: SsoSettings,
    private readonly provider: ProviderConnection,
  ) {}

  /** The same provider (and its discovered metadata) with other settings: what a reload puts in force. */
  withSettings(settings: SsoSettings): SsoRuntime {
    return new SsoRuntime(settings, this.provider);
  }

  /** Where the browser goes to sign in; the flow's state, nonce and verifier are kept by the caller. */
  async authorizationUrl(flow: SsoFlow): Promise<URL> {
    const config = await this.provider.discover();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.provider.env.redirectUrl.href,
      scope: this.settings.scopes.join(' '),
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Checks the provider's answer (`query`: the callback's query string) against the flow, redeems
   * the code with the PKCE verifier, validates the ID token (signature, issuer, audience, expiry,
   * nonce) and returns its claims, completed by the userinfo endpoint when the provider has one.
   */
  async claims(query: string, flow: SsoFlow): Promise<Record<string, unknown>> {
    const config = await this.provider.discover();
    const current = new URL(this.provider.env.redirectUrl);
    current.search = query;
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims()!;
    const info = config.serverMetadata().userinfo_endpoint ? await client.fetchUserInfo(config, tokens.access_token, idToken.sub) : {};
    // The ID token's issuer and subject are what the account is linked by; userinfo adds the rest.
    return { ...idToken, ...info, iss: idToken.iss, sub: idToken.sub };
  }
}

/** The provider from LATCH_OIDC_* and its metadata, discovered once (again after a failure). */
class ProviderConnection {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    readonly env: OidcEnv & { readonly redirectUrl: URL },
    private readonly clientSecret: string | undefined,
  ) {}

  discover(): Promise<client.Configuration> {
    if (!this.configuration) {
      const auth = this.clientSecret === undefined ? client.None() : client.ClientSecretBasic(this.clientSecret);
      const attempt = client.discovery(this.env.issuer, this.env.clientId, undefined, auth, {
        execute: this.env.issuer.protocol === 'http:' && isLoopback(this.env.issuer) ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
      this.configuration = attempt;
      attempt.catch(() => {
        if (this.configuration === attempt) this.configuration = undefined;
      });
    }
    return this.configuration;
  }
}

/**
 * SSO as configured: sso.yaml's settings (as checked with the rest of the configuration; by default
 * read from the directory) and the provider from LATCH_OIDC_*. Undefined when sso.yaml does not turn
 * it on. Turned on without a provider, a redirect URL or a readable secret file, the start is refused
 * with what to set.
 */
export function openSso(
  config: LatchConfig,
  say: (level: 'info' | 'warn', message: string) => void,
  settings: SsoSettings = loadSsoSettings(config.configDir, { roles: undefined, teams: undefined }),
): SsoRuntime | undefined {
  const oidc = config.oidc;
  if (!settings.enabled) {
    if (oidc) say('warn', `sso: LATCH_OIDC_ISSUER is set but ${SSO_FILE} does not say enabled: true; single sign-on is off`);
    return undefined;
  }
  if (!oidc) throw new StartupError(`${SSO_FILE} turns single sign-on on, but LATCH_OIDC_ISSUER and LATCH_OIDC_CLIENT_ID are not set`, 'SSO_NOT_CONFIGURED');
  if (!oidc.redirectUrl) throw new StartupError('Single sign-on needs LATCH_PUBLIC_URL (or LATCH_OIDC_REDIRECT_URL) to tell the provider where to send people back', 'SSO_NOT_CONFIGURED');
  let secret = oidc.clientSecret;
  if (secret === undefined && oidc.clientSecretFile !== undefined) {
    try {
      secret = readFileSync(oidc.clientSecretFile, 'utf8').trim();
    } catch (error) {
      throw new StartupError(`LATCH_OIDC_CLIENT_SECRET_FILE cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'SSO_NOT_CONFIGURED');
    }
  }
  say('info', `sso: signing in with ${settings.providerName} (${oidc.issuer.href}), redirect ${oidc.redirectUrl.href}`);
  return new SsoRuntime(settings, new ProviderConnection({ ...oidc, redirectUrl: oidc.redirectUrl }, secret));
}
