import { timingSafeEqual } from 'node:crypto';
import { LatchError, type ErrorCode } from '@latch/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuthorizationResponseError, randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import { personFromClaims } from '../../auth/oidc/map-claims.js';
import { CALLBACK_PATH } from '../../auth/oidc/oidc-env.js';
import { signInWithSso, type SsoOutcome } from '../../auth/oidc/sign-in-with-sso.js';
import { beginFlow, FLOW_TTL_MS, takeFlow, type SsoFlow } from '../../auth/oidc/sso-flows.js';
import type { SsoRuntime } from '../../auth/oidc/sso-runtime.js';
import { createSession } from '../../auth/sessions.js';
import type { LatchContext } from '../../context.js';
import { FloodGuard } from '../../intake/email/flood-guard.js';
import { loggableError } from '../../loggable-error.js';
import { SESSION_COOKIE } from '../authenticate.js';
import { toErrorResponse } from '../error-map.js';
import { errors } from '../schemas.js';

/** The browser's half of a sign-in under way (its hash is the flow's row). */
export const FLOW_COOKIE = 'latch_sso';
const FLOW_COOKIE_PATH = '/api/v1/auth/sso';
/** Sign-ins one client address may start per hour (each writes a row until it is used or expires). */
const STARTS_PER_HOUR = 120;

/** Only paths on this site are followed after sign-in: never `//elsewhere` or `/\elsewhere`. */
export function safeReturnTo(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\\\s]*$/.test(next) && next.length <= 2000 ? next : '/';
}

/** A refusal: the login page says it as a sentence (from the code), never the provider's own words. */
class SsoRefused extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
  }
}

/**
 * Single sign-on with OpenID Connect (authorization code + PKCE, state and nonce). `GET
 * /api/v1/auth/sso` tells the login page whether to offer it; `…/start` sends the browser to the
 * provider; `…/callback` checks the answer, signs the person in and starts a normal session (the
 * cookie and CSRF scheme of POST /auth/login). Both are browser navigations: every refusal is a
 * redirect to /login?sso_error=<code>.
 */
export const ssoRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const starts = new FloodGuard(STARTS_PER_HOUR);

  app.get(
    '/api/v1/auth/sso',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Whether single sign-on is offered, and with which provider name (for the login page)',
        response: {
          200: {
            type: 'object',
            required: ['enabled', 'passwordLogin'],
            properties: {
              enabled: { type: 'boolean' },
              providerName: { type: 'string' },
              startUrl: { type: 'string', description: 'Where the browser goes to sign in; add ?next=<path> to land there' },
              passwordLogin: { type: 'boolean', description: 'False when accounts linked to the provider cannot log in with a password' },
            },
          },
        },
      },
    },
    async () => {
      const sso = ctx.sso;
      if (!sso) return { enabled: false, passwordLogin: true };
      return { enabled: true, providerName: sso.settings.providerName, startUrl: `${FLOW_COOKIE_PATH}/start`, passwordLogin: sso.settings.passwordLogin };
    },
  );

  app.get<{ Querystring: { next?: string } }>(
    '/api/v1/auth/sso/start',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Starts a single sign-on: redirects to the provider (or to /login?sso_error=<code>)',
        querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 2000 } } },
        response: { 302: { type: 'null' }, ...errors(400) },
      },
    },
    async (request, reply) => {
      try {
        const sso = runtime(ctx);
        if (starts.over(request.ip)) throw new SsoRefused('RATE_LIMITED');
        const flow: SsoFlow = { state: randomState(), nonce: randomNonce(), codeVerifier: randomPKCECodeVerifier(), returnTo: safeReturnTo(request.query.next) };
        const target = await fromProvider(() => sso.authorizationUrl(flow), request);
        const secret = await beginFlow(ctx.database, flow);
        void reply.setCookie(FLOW_COOKIE, secret, { path: FLOW_COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: ctx.config.cookieSecure, maxAge: FLOW_TTL_MS / 1000 });
        return reply.redirect(target.href, 302);
      } catch (error) {
        return refuse(request, reply, error);
      }
    },
  );

  app.get(
    CALLBACK_PATH,
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: "The provider's answer: signs in and redirects to the console, or to /login?sso_error=<code>",
        response: { 302: { type: 'null' } },
      },
    },
    async (request, reply) => {
      try {
        const sso = runtime(ctx);
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        const params = new URLSearchParams(query);
        const secret = request.cookies[FLOW_COOKIE];
        void reply.clearCookie(FLOW_COOKIE, { path: FLOW_COOKIE_PATH });
        const flow = secret ? await takeFlow(ctx.database, secret) : undefined;
        // The answer must belong to a sign-in this browser started, and carry its state unchanged.
        if (!flow || !sameText(params.get('state') ?? '', flow.state)) throw new SsoRefused('SSO_STATE_INVALID');
        const providerError = params.get('error');
        if (providerError !== null) throw new SsoRefused(providerError === 'access_denied' ? 'SSO_ACCESS_DENIED' : 'SSO_PROVIDER_ERROR');
        const claims = await fromProvider(() => sso.claims(query, flow), request);
        const person = personFromClaims(sso.settings, claims);
        const outcome: SsoOutcome & { session?: Awaited<ReturnType<typeof createSession>> } = await ctx.database.write(async (tx) => {
          const result = await signInWithSso(tx, ctx, sso.settings, person);
          return 'user' in result ? { ...result, session: await createSession(tx, result.user.id, ctx.config.sessionTtlHours) } : result;
        });
        if ('refused' in outcome) throw new SsoRefused(outcome.refused);
        void reply.setCookie(SESSION_COOKIE, outcome.session!.secret, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: ctx.config.cookieSecure,
          expires: outcome.session!.expiresAt,
        });
        request.log.info({ userId: outcome.user.id }, 'sso sign-in');
        return reply.redirect(flow.returnTo, 302);
      } catch (error) {
        return refuse(request, reply, error);
      }
    },
  );
};

function runtime(ctx: LatchContext): SsoRuntime {
  if (!ctx.sso) throw new SsoRefused('SSO_NOT_CONFIGURED');
  return ctx.sso;
}

/** The provider unreachable or answering wrongly (a bad ID token included) is one refusal; what went wrong goes to the log, no secret with it. */
async function fromProvider<T>(call: () => Promise<T>, request: FastifyRequest): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof LatchError) throw error;
    const code = error instanceof AuthorizationResponseError && error.error === 'access_denied' ? 'SSO_ACCESS_DENIED' : 'SSO_PROVIDER_ERROR';
    request.log.warn({ error: { class: (error as Error)?.name, code: (error as { code?: unknown })?.code } }, 'sso provider exchange failed');
    throw new SsoRefused(code);
  }
}

function refuse(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  // An outage keeps its own code (DATABASE_UNAVAILABLE, SHUTTING_DOWN); anything unexpected is INTERNAL, logged as such.
  const code: ErrorCode = error instanceof SsoRefused ? error.code : toErrorResponse(error).body.error.code;
  if (!(error instanceof SsoRefused) && toErrorResponse(error).status === 500) request.log.error({ error: loggableError(error) }, 'sso request failed');
  else request.log.info({ ssoError: code }, 'sso refused');
  return reply.redirect(`/login?sso_error=${code}`, 302);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
