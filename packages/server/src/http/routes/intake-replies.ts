import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import { queueReply } from '../../intake/replies/queue-reply.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, isoDate, uuid } from '../schemas.js';

const queuedReply = {
  type: 'object',
  required: ['id', 'caseId', 'eventId', 'status', 'createdAt'],
  properties: {
    id: uuid,
    caseId: uuid,
    eventId: { ...uuid, description: 'The case.reply_sent event' },
    status: { type: 'string', enum: ['queued'], description: 'Sending runs from the job queue, with retries' },
    createdAt: isoDate,
  },
} as const;

/** Replies from a case to its requester, by email. */
export const intakeReplyRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.post<{ Params: { id: string }; Body: { body: string } }>(
    '/api/v1/cases/:id/replies',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['intake'],
        summary: "Reply to the case's requester by email: recorded as case.reply_sent and sent from the job queue (threaded to their last message, the case token in the subject)",
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['body'], properties: { body: { type: 'string', minLength: 1, maxLength: 20_000, pattern: '\\S' } } },
        response: { 202: queuedReply, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => ({
        status: 202,
        body: await queueReply(tx, ctx, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id, request.body.body),
      }));
    },
  );
};
