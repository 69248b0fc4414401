import { resolve } from 'node:path';

/** The OpenID Connect provider Latch signs people in with (LATCH_OIDC_*); sso.yaml says what they get. */
export interface OidcEnv {
  /** The provider's issuer identifier; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: URL;
  readonly clientId: string;
  /** From LATCH_OIDC_CLIENT_SECRET; without it and without a file, Latch is a public client (PKCE only). */
  readonly clientSecret: string | undefined;
  /** LATCH_OIDC_CLIENT_SECRET_FILE, read when SSO starts. */
  readonly clientSecretFile: string | undefined;
  /** Where the provider sends people back: LATCH_OIDC_REDIRECT_URL, else <LATCH_PUBLIC_URL>/api/v1/auth/sso/callback. */
  readonly redirectUrl: URL | undefined;
}

export const CALLBACK_PATH = '/api/v1/auth/sso/callback';

/** Reads LATCH_OIDC_*; undefined when no issuer is set. Throws on a malformed value, like the rest of readConfig. */
export function readOidcEnv(env: NodeJS.ProcessEnv): OidcEnv | undefined {
  const issuer = env.LATCH_OIDC_ISSUER;
  if (!issuer) return undefined;
  const clientId = env.LATCH_OIDC_CLIENT_ID;
  if (!clientId) throw new Error('LATCH_OIDC_CLIENT_ID must be set with LATCH_OIDC_ISSUER');
  const redirect = env.LATCH_OIDC_REDIRECT_URL || (env.LATCH_PUBLIC_URL ? `${env.LATCH_PUBLIC_URL.replace(/\/+$/, '')}${CALLBACK_PATH}` : undefined);
  return {
    issuer: httpUrl('LATCH_OIDC_ISSUER', issuer),
    clientId,
    clientSecret: env.LATCH_OIDC_CLIENT_SECRET || undefined,
    clientSecretFile: env.LATCH_OIDC_CLIENT_SECRET_FILE ? resolve(env.LATCH_OIDC_CLIENT_SECRET_FILE) : undefined,
    redirectUrl: redirect ? httpUrl('LATCH_OIDC_REDIRECT_URL', redirect) : undefined,
  };
}

/** https, or http to this machine only (a provider on the loopback, as in development and tests). */
function httpUrl(name: string, raw: string): URL {
  if (!URL.canParse(raw)) throw new Error(`${name} must be a URL, got '${raw}'`);
  const url = new URL(raw);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) throw new Error(`${name} must be an https:// URL (http:// only on the loopback), got '${raw}'`);
  return url;
}

export const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
