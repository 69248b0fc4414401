import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import { listCaseIntake } from '../../intake/case-intake.js';
// Registers how quarantined mail is released.
import '../../intake/email/receive-email.js';
import { discardQuarantined, listQuarantine, presentQuarantined, releaseQuarantined } from '../../intake/quarantine.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, isoDate, uuid } from '../schemas.js';

const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const quarantined = {
  type: 'object',
  required: ['id', 'channel', 'source', 'reason', 'reasonText', 'detail', 'rawSha256', 'rawType', 'status', 'caseId', 'createdAt'],
  properties: {
    id: uuid,
    channel: { type: 'string' },
    source: { type: 'string' },
    reason: { type: 'string', description: 'A stable code: bounce, auto_reply, bulk, loop, flood, too_many_attachments, attachment_too_large, malformed, …' },
    reasonText: { type: 'string' },
    detail: { type: 'string' },
    sender: { ...nullable({ type: 'string' }), description: 'The sender (email), when known; shown to admins to judge the item' },
    rawSha256: { type: 'string' },
    rawType: { type: 'string' },
    status: { type: 'string', enum: ['held', 'released', 'discarded'] },
    caseId: nullable(uuid),
    decidedBy: nullable(uuid),
    decidedAt: nullable(isoDate),
    createdAt: isoDate,
  },
} as const;

const header = { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, value: { type: 'string' } } } as const;
const intakeMessage = {
  type: 'object',
  required: ['id', 'direction', 'channel', 'eventId', 'createdAt', 'rawSha256', 'erased', 'headers', 'text', 'attachments'],
  properties: {
    id: uuid,
    direction: { type: 'string', enum: ['in', 'out'] },
    channel: { type: 'string' },
    eventId: uuid,
    createdAt: isoDate,
    rawSha256: nullable({ type: 'string' }),
    erased: { type: 'boolean', description: 'The raw source was erased at its subject’s request' },
    headers: { type: 'array', items: header, description: 'Selected headers, as text' },
    text: { type: 'string', description: 'The text body (HTML mail: its text, never its markup); render as text' },
    htmlOnly: { type: 'boolean' },
    possibleForgery: { ...uuid, description: "A reply from someone other than this case's requester claimed to follow that case: this case was opened instead, linked to it" },
    attachments: {
      type: 'array',
      items: { type: 'object', required: ['filename', 'contentType', 'size'], properties: { filename: { type: 'string' }, contentType: { type: 'string' }, size: { type: 'integer' } } },
    },
  },
} as const;

/** The quarantine (admins) and what intake brought to a case. */
export const intakeRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Querystring: { status?: string; before?: string; cursor?: string; limit?: string } }>(
    '/api/v1/intake/quarantine',
    {
      config: { permission: 'intake:manage' },
      schema: {
        tags: ['intake'],
        summary: 'Intakes held back (bounces, auto-replies, loops, floods, hostile input), newest first, with the reason for each, a page at a time',
        description: '`limit` items per page; `nextCursor` (null on the last page) asks for the next as `cursor`. A cursor not from this listing is 400 INVALID_CURSOR.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['held', 'released', 'discarded'] },
            cursor: { type: 'string', maxLength: 200 },
            before: { ...uuid, description: 'Items older than this one (cursor says the same, opaquely)' },
            // A query string is text: 1–200 as digits (as the case list takes it).
            limit: { type: 'string', pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: 'Items per page, 1–200 (default 50)' },
          },
        },
        response: {
          200: { type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: quarantined }, nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }] } } },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { status, before, cursor, limit } = request.query;
      const page = await listQuarantine(ctx.database.db, { status, before, cursor, limit: Number(limit ?? 50) });
      return { items: page.items.map(presentQuarantined), nextCursor: page.nextCursor };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/intake/quarantine/:id/release',
    {
      config: { permission: 'intake:manage' },
      schema: {
        tags: ['intake'],
        summary: 'Release a held item: it is received as if it had passed (a case is opened or followed), with you named on intake.received',
        params: idParams,
        response: { 200: { type: 'object', required: ['item', 'caseId', 'outcome'], properties: { item: quarantined, caseId: uuid, outcome: { type: 'string' } } }, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => {
        const { item, result } = await releaseQuarantined(tx, ctx, actorOf(principal), principal.userId, request.params.id);
        return { status: 200, body: { item: presentQuarantined(item), caseId: result.caseId, outcome: result.outcome } };
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/intake/quarantine/:id/discard',
    {
      config: { permission: 'intake:manage' },
      schema: {
        tags: ['intake'],
        summary: 'Discard a held item: recorded as intake.discarded on the system stream; its raw bytes are emptied unless a case uses them',
        params: idParams,
        response: { 200: quarantined, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => ({ status: 200, body: presentQuarantined(await discardQuarantined(tx, actorOf(principal), principal.userId, request.params.id)) }));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/intake',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['intake'],
        summary: 'The messages intake brought to this case and the replies sent from it, oldest first: selected headers and the text body, to be shown as inert text',
        params: idParams,
        response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: intakeMessage } } }, ...errors(401, 403, 404) },
      },
    },
    async (request) => ({ items: await listCaseIntake(ctx.database.db, ctx.teams.visibilityOf(principalOf(request)), request.params.id) }),
  );
};
