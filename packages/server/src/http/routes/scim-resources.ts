import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { patchBodyValidation, type ScimPatch, type ScimPatchOperation } from 'scim-patch';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import type { ScimDeps } from '../../scim/group-access.js';
import { MAX_PAGE } from '../../scim/scim-discovery.js';
import { invalidValue } from '../../scim/scim-error.js';
import { groupFilter, userFilter } from '../../scim/scim-filter.js';
import { createScimGroup, deleteScimGroup, getScimGroup, listScimGroups, patchScimGroup, replaceScimGroup } from '../../scim/scim-groups.js';
import { listResponse, project } from '../../scim/scim-resources.js';
import { createScimUser, deleteScimUser, getScimUser, listScimUsers, patchScimUser, replaceScimUser } from '../../scim/scim-users.js';
import { principalOf } from '../authenticate.js';

/** Where this request reached SCIM: absolute URLs for meta.location and $ref. */
export function scimBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/scim/v2`;
}

type Query = Record<string, string | string[] | undefined>;
interface ById {
  Params: { id: string };
  Querystring: Query;
}

/** One value of a query parameter (a repeated one counts once: the first). */
const one = (query: Query, name: string): string | undefined => {
  const value = Object.entries(query).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  return Array.isArray(value) ? value[0] : value;
};
const list = (query: Query, name: string) => one(query, name)?.split(',').map((a) => a.trim()).filter((a) => a !== '');

/** RFC 7644 §3.4.2.4: startIndex from 1 (less is 1), count from 0 (less is 0), at most MAX_PAGE. */
function paging(query: Query): { startIndex: number; count: number } {
  const int = (name: string, fallback: number) => {
    const text = one(query, name);
    if (text === undefined) return fallback;
    if (!/^-?\d{1,9}$/.test(text)) throw invalidValue('VALIDATION_FAILED', `${name} must be an integer`);
    return Number(text);
  };
  return { startIndex: Math.max(1, int('startIndex', 1)), count: Math.min(MAX_PAGE, Math.max(0, int('count', MAX_PAGE))) };
}

/** A PatchOp message (RFC 7644 §3.5.2), checked by scim-patch; at most 1,000 operations. */
function operationsOf(body: unknown): ScimPatchOperation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidValue('VALIDATION_FAILED', 'The PATCH body must be a PatchOp message (schemas, Operations)');
  const message = body as ScimPatch;
  patchBodyValidation(message);
  if (message.Operations.length > 1000) throw invalidValue('VALIDATION_FAILED', 'At most 1000 operations in one PATCH');
  return [...message.Operations];
}

/** Users and Groups: plumbing only; the commands are in scim/. */
export const scimResourceRoutes =
  (ctx: LatchContext): FastifyPluginAsync =>
  async (app) => {
    // scim.yaml as it is in force when the request starts: one request uses one mapping, a reload or not.
    const depsNow = (): ScimDeps => ({ ctx, config: ctx.scim });
    const db = () => ctx.database.db;
    const route = { config: { permission: 'scim:provision' as const }, schema: { hide: true } };
    const shown = <T extends Record<string, unknown>>(resource: T, query: Query) => project(resource, list(query, 'attributes'), list(query, 'excludedAttributes'));

    app.get<{ Querystring: Query }>('/Users', route, async (request) => {
      const { startIndex, count } = paging(request.query);
      const page = await listScimUsers(db(), userFilter(one(request.query, 'filter')), startIndex, count, scimBase(request));
      return listResponse(page.resources.map((r) => shown(r, request.query)), page.total, startIndex);
    });
    app.get<ById>('/Users/:id', route, async (request) => shown(await getScimUser(db(), request.params.id, scimBase(request)), request.query));
    app.post('/Users', route, async (request, reply) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      const { id } = await ctx.database.write((tx) => createScimUser(tx, deps, request.body, actor));
      const user = await getScimUser(db(), id, scimBase(request));
      return reply.code(201).header('location', user.meta.location).send(user);
    });
    app.put<ById>('/Users/:id', route, async (request) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      await ctx.database.write((tx) => replaceScimUser(tx, deps, request.params.id, request.body, actor));
      return getScimUser(db(), request.params.id, scimBase(request));
    });
    app.patch<ById>('/Users/:id', route, async (request) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      const operations = operationsOf(request.body);
      await ctx.database.write((tx) => patchScimUser(tx, deps, request.params.id, operations, actor, scimBase(request)));
      return getScimUser(db(), request.params.id, scimBase(request));
    });
    app.delete<ById>('/Users/:id', route, async (request, reply) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      await ctx.database.write((tx) => deleteScimUser(tx, deps, request.params.id, actor));
      return reply.code(204).send();
    });

    app.get<{ Querystring: Query }>('/Groups', route, async (request) => {
      const { startIndex, count } = paging(request.query);
      const withMembers = !(list(request.query, 'excludedAttributes') ?? []).some((a) => a.toLowerCase() === 'members');
      const page = await listScimGroups(db(), groupFilter(one(request.query, 'filter')), startIndex, count, scimBase(request), withMembers);
      return listResponse(page.resources.map((r) => shown(r, request.query)), page.total, startIndex);
    });
    app.get<ById>('/Groups/:id', route, async (request) => shown(await getScimGroup(db(), request.params.id, scimBase(request)), request.query));
    app.post('/Groups', route, async (request, reply) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      const id = await ctx.database.write((tx) => createScimGroup(tx, deps, request.body, actor));
      const group = await getScimGroup(db(), id, scimBase(request));
      return reply.code(201).header('location', group.meta.location).send(group);
    });
    app.put<ById>('/Groups/:id', route, async (request) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      await ctx.database.write((tx) => replaceScimGroup(tx, deps, request.params.id, request.body, actor));
      return getScimGroup(db(), request.params.id, scimBase(request));
    });
    app.patch<ById>('/Groups/:id', route, async (request) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      const operations = operationsOf(request.body);
      await ctx.database.write((tx) => patchScimGroup(tx, deps, request.params.id, operations, actor));
      return shown(await getScimGroup(db(), request.params.id, scimBase(request)), request.query);
    });
    app.delete<ById>('/Groups/:id', route, async (request, reply) => {
      const actor = actorOf(principalOf(request));
      const deps = depsNow();
      await ctx.database.write((tx) => deleteScimGroup(tx, deps, request.params.id, actor));
      return reply.code(204).send();
    });
  };
