import { ForbiddenError, LatchError } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { loggableError } from '../../loggable-error.js';
import { resourceTypes, schemas, serviceProviderConfig } from '../../scim/scim-discovery.js';
import { ScimError, scimNotFound, toScimError } from '../../scim/scim-error.js';
import { listResponse } from '../../scim/scim-resources.js';
import { MAX_JSON_DEPTH, nestedDeeperThan, unstorableTextAt } from '../json-body.js';
import { scimBase, scimResourceRoutes } from './scim-resources.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/**
 * SCIM 2.0 (RFC 7643/7644) under /scim/v2, for an identity provider (Okta, Entra ID) holding an API
 * token with the scim:provision scope; sessions are refused. Answers and errors are SCIM's
 * (application/scim+json, the Error schema with Latch's stable code in an extension), never a stack.
 * Hidden from the OpenAPI document: SCIM describes itself (ServiceProviderConfig, ResourceTypes, Schemas).
 */
export const scimRoutes =
  (ctx: LatchContext): FastifyPluginAsync =>
  async (app) => {
    app.setErrorHandler((error, request, reply) => {
      const { status, body, headers } = toScimError(error);
      // Never `err: error`: a failed query's message and stack quote its parameters (see loggable-error.ts).
      if (status >= 500) request.log.error({ error: loggableError(error) }, 'request failed');
      void reply.code(status).headers(headers ?? {}).type(SCIM_CONTENT_TYPE).send(body);
    });
    app.setNotFoundHandler((request, reply) => {
      const { status, body } = toScimError(new ScimError(404, 'NOT_FOUND', `No SCIM endpoint ${request.method} ${request.url.split('?')[0]}`));
      void reply.code(status).type(SCIM_CONTENT_TYPE).send(body);
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.header('content-type', SCIM_CONTENT_TYPE);
      return payload;
    });
    // After authentication and the route's permission (the app's onRequest hook, which runs first).
    app.addHook('onRequest', async (request) => {
      if (request.authMethod !== 'token') throw new ForbiddenError('SCIM takes an API token with the scim:provision scope (Authorization: Bearer …), not a session');
    });

    // SCIM clients send application/scim+json: read like application/json (depth limit, then text PostgreSQL can hold).
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (request, body, done) => {
      const refuse = (path: string, message: string) =>
        new LatchError('VALIDATION_FAILED', `The request body is invalid: body${path === '/' ? '' : path} ${message}`, { context: 'body', errors: [{ path, message }] });
      if (nestedDeeperThan(body as string, MAX_JSON_DEPTH)) return done(refuse('/', `must not nest arrays and objects more than ${MAX_JSON_DEPTH} deep`), undefined);
      parseJson(request, body as string, (error, value) => {
        if (error) return done(error, undefined);
        const path = unstorableTextAt(value);
        if (path !== undefined) return done(refuse(path, 'must not contain NUL characters (U+0000) or unpaired UTF-16 surrogates'), undefined);
        done(null, value);
      });
    });

    const route = { config: { permission: 'scim:provision' as const }, schema: { hide: true } };
    app.get('/ServiceProviderConfig', route, async (request) => serviceProviderConfig(scimBase(request)));
    app.get('/ResourceTypes', route, async (request) => {
      const all = resourceTypes(scimBase(request));
      return listResponse(all, all.length, 1);
    });
    app.get<{ Params: { id: string } }>('/ResourceTypes/:id', route, async (request) => {
      const found = resourceTypes(scimBase(request)).find((r) => r.id === request.params.id);
      if (!found) throw scimNotFound('ResourceType', request.params.id);
      return found;
    });
    app.get('/Schemas', route, async (request) => {
      const all = schemas(scimBase(request));
      return listResponse(all, all.length, 1);
    });
    app.get<{ Params: { id: string } }>('/Schemas/:id', route, async (request) => {
      const found = schemas(scimBase(request)).find((s) => s.id === request.params.id);
      if (!found) throw scimNotFound('Schema', request.params.id);
      return found;
    });
    await app.register(scimResourceRoutes(ctx));
    // The console answers every other GET with its page (console.ts): not under /scim/v2.
    app.get('/*', route, async (request) => {
      throw new ScimError(404, 'NOT_FOUND', `No SCIM endpoint GET ${request.url.split('?')[0]}`);
    });
  };
