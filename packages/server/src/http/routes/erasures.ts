import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import { loggableError } from '../../loggable-error.js';
import { eraseSubject, previewErasure } from '../../privacy/erase-subject.js';
import { reclaimErasedSpace } from '../../privacy/reclaim-space.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, uuid } from '../schemas.js';

interface ErasureBody {
  subject: string;
  reason?: string;
}

const count = { type: 'integer' } as const;

const report = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    erasureId: { anyOf: [uuid, { type: 'null' }] },
    values: count,
    cases: { type: 'array', items: uuid },
    blobs: { type: 'object', properties: { erased: count, kept: count } },
    userId: { anyOf: [uuid, { type: 'null' }] },
    storedResponses: count,
    quarantined: { ...count, description: 'Quarantined intakes the subject sent: sender forgotten, raw bytes emptied, held ones discarded' },
    blockedBy: { type: 'array', items: { type: 'object', properties: { actionId: uuid, caseId: uuid, status: { type: 'string' } } } },
  },
} as const;

/** Erasure of a subject's personal data (DESIGN.md §3): admins only; the hashed events stay verifiable. */
export const erasureRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.post<{ Body: ErasureBody; Querystring: { dryRun?: 'true' | 'false' } }>(
    '/api/v1/erasures',
    {
      config: { permission: 'privacy:erase' },
      schema: {
        tags: ['privacy'],
        summary: 'Erase a subject’s personal data (?dryRun=true: only say what would be erased)',
        querystring: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'string', enum: ['true', 'false'] } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['subject'],
          properties: {
            subject: { type: 'string', minLength: 1, maxLength: 320, description: 'An email, or case:<id> for a case with no requester email' },
            reason: { type: 'string', minLength: 1, maxLength: 500, description: 'A ticket reference; recorded in the clear, so never the subject' },
          },
        },
        response: { 200: report, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(principalOf(request));
      if (request.query.dryRun === 'true') return previewErasure(ctx.database.db, request.body, actor);
      const sent = await runCommand(ctx, request, reply, async (tx) => ({ status: 200, body: await eraseSubject(tx, ctx.caseTypes, request.body, actor) }));
      // After the commit (and the answer): the vacuum that removes the old row versions from the files.
      if (reply.statusCode === 200) {
        reclaimErasedSpace(ctx.database).catch((error: unknown) => request.log.error({ error: loggableError(error) }, 'erasure: reclaiming disk space failed'));
      }
      return sent;
    },
  );
};
