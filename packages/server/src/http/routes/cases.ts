import { LatchError, type EventBody, type Principal, type Priority } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { loadVisibleCase } from '../../cases/case-access.js';
import { createCase, type NewCase } from '../../cases/create-case.js';
import { presentEvents } from '../../cases/name-actors.js';
import type { CaseTypeRegistry } from '../../case-types/registry.js';
import { countCases, finalStatusesOf, listCases, type CaseFilters, type CaseSort, type SlaState } from '../../cases/list-cases.js';
import { presentCase, presentCaseDetail } from '../../cases/present-case.js';
import { updateCase, type CaseChanges } from '../../cases/update-case.js';
import type { LatchContext } from '../../context.js';
import { readStream } from '../../db/event-store.js';
import { scheduleEscalations } from '../../sla/schedule-escalations.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, priority, ref, uuid, versionNumber } from '../schemas.js';

const title = { type: 'string', minLength: 1, maxLength: 300 } as const;
const description = { type: 'string', maxLength: 20_000 } as const;
const queue = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' } as const;
const list = (item: string) => ({ type: 'string', maxLength: 1000, pattern: `^${item}(,${item})*$` });
const key = '[a-z][a-z0-9_-]{0,62}';

/** The queue's filters and order as query parameters: shared by the list, its count and saved views (routes/views.ts). */
export const caseFilterProperties = {
  status: list(key),
  type: list(key),
  queue: list(key),
  priority: list('(urgent|high|normal|low)'),
  assignee: { type: 'string', description: 'a user id, "me" or "none"', pattern: '^(me|none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$' },
  q: { type: 'string', minLength: 1, maxLength: 200, description: 'full-text search in title and description' },
  sort: { type: 'string', enum: ['-created', 'created', 'priority'] },
  sla: { type: 'string', enum: ['overdue', 'at_risk'], description: 'open cases past their due time, or with less than a fifth of their time left' },
  awaiting: { type: 'string', enum: ['approval', 'triage'], description: 'cases with an action awaiting approval, or cases no person has triaged yet' },
} as const;

interface FilterQuery {
  status?: string;
  type?: string;
  queue?: string;
  priority?: string;
  assignee?: string;
  q?: string;
  sort?: CaseSort;
  sla?: SlaState;
  awaiting?: 'approval' | 'triage';
}

interface ListQuery extends FilterQuery {
  limit?: string;
  cursor?: string;
}

const split = (value?: string) => (value === undefined ? undefined : value.split(','));

/** The query parameters as the filters list-cases.ts understands ("me" is the caller). */
function filtersOf(query: FilterQuery, principal: Principal, caseTypes: CaseTypeRegistry): CaseFilters {
  return {
    ...(query.sla ? { sla: query.sla, finalStatuses: finalStatusesOf(caseTypes) } : {}),
    status: split(query.status),
    type: split(query.type),
    queue: split(query.queue),
    priority: split(query.priority) as Priority[] | undefined,
    assigneeId: query.assignee === 'me' ? principal.userId : query.assignee === 'none' ? null : query.assignee,
    text: query.q,
    awaiting: query.awaiting,
  };
}

export const caseRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.post<{ Body: NewCase }>(
    '/api/v1/cases',
    {
      config: { permission: 'case:create' },
      schema: {
        tags: ['cases'],
        summary: 'Open a case under the newest version of its type',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'title'],
          properties: {
            type: { type: 'string', maxLength: 63 },
            title,
            description,
            priority,
            queue,
            assigneeId: { anyOf: [uuid, { type: 'null' }] },
            requester: {
              type: 'object',
              additionalProperties: false,
              properties: { email: { type: 'string', format: 'email', maxLength: 320 }, name: { type: 'string', minLength: 1, maxLength: 200 } },
            },
            fields: { type: 'object' },
          },
        },
        response: { 201: ref('Case'), ...errors(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => {
        const row = await createCase(tx, ctx.caseTypes, principal, actorOf(principal), request.body, ctx.teams.visibilityOf(principal), ctx);
        await scheduleEscalations(tx, ctx.scheduler, ctx.caseTypes.get(row.typeKey, row.typeVersion).definition, row);
        void reply.header('etag', `"${row.version}"`).header('location', `/api/v1/cases/${row.id}`);
        return { status: 201, body: presentCaseDetail(row, ctx.caseTypes) };
      });
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/cases',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['cases'],
        summary: 'List the cases you may see, filtered, newest first (or by priority), with cursor pagination',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...caseFilterProperties,
            limit: { type: 'string', pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' },
            cursor: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: ref('Case') }, nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }] } } },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const query = request.query;
      const page = await listCases(ctx.database.db, ctx.teams.visibilityOf(principal), {
        ...filtersOf(query, principal, ctx.caseTypes),
        sort: query.sort ?? '-created',
        limit: Number(query.limit ?? 50),
        cursor: query.cursor,
      });
      return { items: page.items.map((row) => ({ ...presentCase(row), awaitingApproval: row.awaitingApproval })), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Querystring: FilterQuery }>(
    '/api/v1/cases/count',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['cases'],
        summary: 'How many cases you may see match the filters: exact up to 10,000, then {count: 10000, more: true}',
        // `sort` is accepted (and ignored) so the queue can send its whole query unchanged.
        querystring: { type: 'object', additionalProperties: false, properties: caseFilterProperties },
        response: {
          200: { type: 'object', required: ['count', 'more'], properties: { count: { type: 'integer' }, more: { type: 'boolean' } } },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return countCases(ctx.database.db, ctx.teams.visibilityOf(principal), filtersOf(request.query, principal, ctx.caseTypes));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id',
    { config: { permission: 'case:read' }, schema: { tags: ['cases'], params: idParams, response: { 200: ref('Case'), ...errors(401, 403, 404) } } },
    async (request, reply) => {
      const row = await loadVisibleCase(ctx.database.db, request.params.id, ctx.teams.visibilityOf(principalOf(request)));
      void reply.header('etag', `"${row.version}"`);
      return presentCaseDetail(row, ctx.caseTypes);
    },
  );

  app.patch<{ Params: { id: string }; Body: CaseChanges & { version?: number } }>(
    '/api/v1/cases/:id',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['cases'],
        summary: 'Change a case at the version you saw (If-Match: "<version>" or body.version); a stale version is 409 VERSION_CONFLICT',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            version: versionNumber,
            title,
            description,
            priority,
            queue,
            assigneeId: { anyOf: [uuid, { type: 'null' }] },
            status: { type: 'string', maxLength: 63 },
            fields: { type: 'object' },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
        response: { 200: ref('Case'), ...errors(400, 401, 403, 404, 409, 422, 428) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { version: bodyVersion, ...changes } = request.body;
      const version = expectedVersion(request.headers['if-match'], bodyVersion);
      const row = await ctx.database.write((tx) =>
        updateCase(tx, ctx.caseTypes, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id, version, changes),
      );
      void reply.header('etag', `"${row.version}"`);
      return presentCaseDetail(row, ctx.caseTypes);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string; bytes?: 'true' | 'false' } }>(
    '/api/v1/cases/:id/timeline',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['cases'],
        summary: 'The case’s hash-chained events in order, each with its presentation (a one-line summary, the actor’s name, amounts, tone); ?bytes=true adds the exact hashed bytes',
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            // Sequence numbers are PostgreSQL integers: nine digits stay below their maximum.
            after: { type: 'string', pattern: '^(0|[1-9][0-9]{0,8})$' },
            limit: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$' },
            bytes: { type: 'string', enum: ['true', 'false'] },
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: ref('TimelineEvent') } } }, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await loadVisibleCase(ctx.database.db, request.params.id, ctx.teams.visibilityOf(principal));
      const read = await readStream(ctx.database.db, request.params.id, {
        afterSeq: Number(request.query.after ?? 0),
        limit: Number(request.query.limit ?? 1000),
        includeBytes: true,
      });
      // Presented from the hashed bytes, as a bundle's story is, so the two lines always agree.
      const bodies = read.map((item) => JSON.parse(item.bytes!) as EventBody);
      const presentations = await presentEvents(ctx.database.db, bodies, principal.permissions.has('user:read'));
      const withBytes = request.query.bytes === 'true';
      const items = read.map(({ bytes, ...item }, i) => ({ ...item, ...(withBytes ? { bytes } : {}), presentation: presentations[i] }));
      return { items };
    },
  );
};

/** The version a write is based on: If-Match ("3", W/"3" or 3) or body.version; one is required. */
function expectedVersion(ifMatch: string | undefined, bodyVersion: number | undefined): number {
  if (ifMatch !== undefined) {
    const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(ifMatch.trim());
    if (!match) throw new LatchError('VALIDATION_FAILED', 'If-Match must be the case version, e.g. "3"');
    const version = Number(match[1]);
    if (bodyVersion !== undefined && bodyVersion !== version) throw new LatchError('VALIDATION_FAILED', 'If-Match and body.version disagree');
    return version;
  }
  if (bodyVersion === undefined) {
    throw new LatchError('VERSION_REQUIRED', 'Send the version you are changing: If-Match: "<version>" or body.version');
  }
  return bodyVersion;
}
