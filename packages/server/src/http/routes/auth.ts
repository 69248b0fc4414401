import { LatchError } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import { beginLoginAttempt, loginSucceeded } from '../../auth/login-throttle.js';
import { PASSWORD_LENGTH, verifyPassword } from '../../auth/passwords.js';
import { csrfTokenFor } from '../../auth/secrets.js';
import { createSession, endSession } from '../../auth/sessions.js';
import { findUser, findUserByEmail, presentUser } from '../../auth/users.js';
import { hasSsoIdentity } from '../../auth/oidc/sign-in-with-sso.js';
import type { LatchContext } from '../../context.js';
import { principalOf, SESSION_COOKIE } from '../authenticate.js';
import { errors, ref } from '../schemas.js';

export const authRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const limits = {
    perAccount: ctx.config.loginMaxFailuresPerAccount,
    perAddress: ctx.config.loginMaxFailuresPerAddress,
    windowMs: ctx.config.loginFailureWindowMinutes * 60_000,
  };

  app.post<{ Body: { email: string; password: string } }>(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with email and password; sets an HttpOnly session cookie and returns the CSRF token for writes',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: { email: { type: 'string', minLength: 3, maxLength: 320 }, password: { type: 'string', minLength: 1, maxLength: PASSWORD_LENGTH.max } },
        },
        response: {
          200: { type: 'object', properties: { user: ref('User'), csrfToken: { type: 'string' }, expiresAt: { type: 'string' } } },
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      // request.ip is the socket's address, or X-Forwarded-For's through a trusted proxy (app.ts).
      const attempt = await beginLoginAttempt(ctx.database.db, request.body.email, request.ip, limits);
      if ('retryAfterSeconds' in attempt) {
        void reply.header('retry-after', String(attempt.retryAfterSeconds));
        const whose = attempt.limited === 'account' ? 'this account' : 'your address';
        throw new LatchError('RATE_LIMITED', `Too many failed logins for ${whose}; try again in ${attempt.retryAfterSeconds} s`, attempt);
      }
      const user = await findUserByEmail(ctx.database.db, request.body.email);
      const ok = await verifyPassword(user?.passwordHash, request.body.password);
      if (!user || !ok || user.disabledAt) {
        request.log.info({ email: request.body.email.toLowerCase() }, 'login refused');
        throw new LatchError('INVALID_CREDENTIALS', 'Email or password is wrong, or the account is disabled');
      }
      // Accounts the provider signs in may be kept off passwords (sso.yaml passwordLogin: false); said only to whoever knew the password.
      if (ctx.sso && !ctx.sso.settings.passwordLogin && (await hasSsoIdentity(ctx.database.db, user.id))) {
        throw new LatchError('PASSWORD_LOGIN_DISABLED', `This account signs in with ${ctx.sso.settings.providerName}`);
      }
      await loginSucceeded(ctx.database.db, attempt, limits);
      const session = await createSession(ctx.database.db, user.id, ctx.config.sessionTtlHours);
      void reply.setCookie(SESSION_COOKIE, session.secret, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.config.cookieSecure,
        expires: session.expiresAt,
      });
      return { user: presentUser(user), csrfToken: csrfTokenFor(session.secret), expiresAt: session.expiresAt.toISOString() };
    },
  );

  app.post('/api/v1/auth/logout', { schema: { tags: ['auth'], response: { 204: { type: 'null' }, ...errors(401, 403) } } }, async (request, reply) => {
    if (request.sessionSecret) await endSession(ctx.database.db, request.sessionSecret);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The authenticated user, with the permissions this session or token carries',
        response: {
          200: {
            type: 'object',
            properties: {
              user: ref('User'),
              permissions: { type: 'array', items: { type: 'string' } },
              tokenId: { type: 'string' },
              // A reloaded console page has its cookie but not the CSRF token login returned: it asks here.
              csrfToken: { type: 'string', description: 'For session logins: the X-CSRF-Token writes need' },
            },
          },
          ...errors(401),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const user = await findUser(ctx.database.db, principal.userId);
      return {
        user: presentUser(user!),
        permissions: [...principal.permissions].sort(),
        ...(principal.tokenId ? { tokenId: principal.tokenId } : {}),
        ...(request.sessionSecret ? { csrfToken: csrfTokenFor(request.sessionSecret) } : {}),
      };
    },
  );
};
