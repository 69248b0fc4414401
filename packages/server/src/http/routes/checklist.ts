import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { loadVisibleCase } from '../../cases/case-access.js';
import { presentChecklist, readChecklist } from '../../checklist/read-checklist.js';
import { tickChecklistItem } from '../../checklist/tick-checklist-item.js';
import type { LatchContext } from '../../context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, isoDate, uuid } from '../schemas.js';

const tick = {
  type: 'object',
  additionalProperties: false,
  required: ['by', 'at', 'eventId', 'note'],
  properties: { by: { type: ['string', 'null'] }, at: isoDate, eventId: uuid, note: { type: ['string', 'null'] } },
} as const;
const checklist = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'label', 'requiredBefore', 'resetWhenChanged', 'ticked', 'voided'],
        properties: {
          key: { type: 'string' },
          label: { type: 'string' },
          requiredBefore: { type: 'array', items: { type: 'string' } },
          resetWhenChanged: { type: 'array', items: { type: 'string' } },
          ticked: { anyOf: [tick, { type: 'null' }] },
          voided: {
            type: 'array',
            items: { type: 'object', additionalProperties: false, required: [...tick.required, 'voidedBy'], properties: { ...tick.properties, voidedBy: { type: 'object', additionalProperties: false, required: ['eventId', 'field'], properties: { eventId: uuid, field: { type: 'string' } } } } },
          },
        },
      },
    },
  },
} as const;
const itemParams = { type: 'object', required: ['id', 'key'], properties: { id: uuid, key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' } } } as const;

/** A case's checklist (declared by its case type) and ticking an item. */
export const checklistRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/checklist',
    {
      config: { permission: 'case:read' },
      schema: { tags: ['cases'], summary: 'The case type’s checklist for this case: each item, who ticked it, when and why', params: idParams, response: { 200: checklist, ...errors(401, 403, 404) } },
    },
    async (request) => {
      const target = await loadVisibleCase(ctx.database.db, request.params.id, ctx.teams.visibilityOf(principalOf(request)));
      const definition = ctx.caseTypes.get(target.typeKey, target.typeVersion).definition;
      return presentChecklist(definition, await readChecklist(ctx.database.db, target.id, definition));
    },
  );

  app.post<{ Params: { id: string; key: string }; Body: { note: string } }>(
    '/api/v1/cases/:id/checklist/:key',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['cases'],
        summary: 'Tick a checklist item, with a note saying what was checked (recorded as case.checklist_ticked)',
        params: itemParams,
        body: { type: 'object', additionalProperties: false, required: ['note'], properties: { note: { type: 'string', minLength: 1, maxLength: 2000 } } },
        response: { 201: checklist, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => ({
        status: 201,
        body: await tickChecklistItem(tx, ctx.caseTypes, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id, request.params.key, request.body.note),
      }));
    },
  );
};
