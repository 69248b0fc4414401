import { createHash } from 'node:crypto';
import { LatchError } from '@latch/core';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { LatchContext } from '../../context.js';
import { FloodGuard } from '../../intake/email/flood-guard.js';
import { formFields } from '../../intake/forms/form-fields.js';
import { FORM_DEFAULTS, readForms, type FormSettings } from '../../intake/forms/form-settings.js';
import { receiveForm } from '../../intake/forms/receive-form.js';
import { renderForm, renderRefusal, renderThanks, STYLE } from '../../intake/forms/render-form.js';
import { toErrorResponse } from '../error-map.js';

const slugParams = { type: 'object', required: ['slug'], properties: { slug: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } } } as const;
/** The page loads nothing, runs nothing, and posts only to Latch: its one inline style allowed by hash. */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; base-uri 'none'`;

/**
 * `GET /forms/{slug}` serves a case type's public form as plain HTML; `POST /forms/{slug}` takes it
 * form-encoded. Public: a requester has no account. Safe from cross-site request forgery because it
 * reads no cookie and no other ambient credential: a post from another site can do only what anyone
 * can do by posting here directly. Each client address has a budget per hour (counted before the
 * body is read; the address comes from X-Forwarded-For only through LATCH_TRUSTED_PROXIES).
 */
export const intakeFormRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const forms = readForms(ctx.intake.config, ctx.caseTypes);
  const guards = new Map<string, FloodGuard>([...forms.values()].map((f) => [f.slug, new FloodGuard(f.perClientPerHour)]));
  const bodyLimit = Math.max(FORM_DEFAULTS.maxBytes, ...[...forms.values()].map((f) => f.maxBytes));
  const formOf = (slug: string): FormSettings => {
    const form = forms.get(slug);
    if (!form) throw new LatchError('NOT_FOUND', 'There is no form at this address');
    return form;
  };
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-store').send(body);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error, request, reply) => {
    const { status, body, headers } = toErrorResponse(error);
    if (status >= 500) request.log.error({ code: body.error.code }, 'form request failed');
    return html(reply.headers(headers ?? {}), status, renderRefusal(status, body.error.code, status >= 500 ? 'Something went wrong on our side; please try again shortly.' : body.error.message));
  });

  app.get<{ Params: { slug: string } }>('/forms/:slug', { config: { public: true }, schema: { hide: true, params: slugParams } }, async (request, reply) => {
    const form = formOf(request.params.slug);
    return html(reply, 200, renderForm(form, formFields(ctx.caseTypes.latest(form.target.type))));
  });

  app.post<{ Params: { slug: string }; Body: Buffer }>(
    '/forms/:slug',
    {
      config: { public: true },
      bodyLimit,
      schema: { hide: true, params: slugParams },
      onRequest: async (request, reply) => {
        const slug = (request.params as { slug?: string }).slug ?? '';
        const guard = guards.get(slug);
        if (guard?.over(request.ip)) {
          void reply.header('retry-after', '3600');
          throw new LatchError('RATE_LIMITED', `Too many posts from your address; the limit is ${forms.get(slug)!.perClientPerHour} an hour`);
        }
      },
    },
    async (request, reply) => {
      const form = formOf(request.params.slug);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (raw.length > form.maxBytes) throw new LatchError('PAYLOAD_TOO_LARGE', `The form is larger than ${form.maxBytes} bytes`);
      const result = await receiveForm(ctx, form, raw);
      const type = ctx.caseTypes.latest(form.target.type);
      if (result.outcome === 'invalid') return html(reply, 400, renderForm(form, formFields(type), result.reading.values, result.reading.errors));
      return html(reply, 201, renderThanks(form, result.reference));
    },
  );
};
