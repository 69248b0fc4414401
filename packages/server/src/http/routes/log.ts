import { formatTlogProof, LatchError } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { buildCaseBundle, recordExport } from '../../audit/export-case.js';
import { loadVisibleCase } from '../../cases/case-access.js';
import type { LatchContext } from '../../context.js';
import { SYSTEM_STREAM } from '../../db/event-store.js';
import { events } from '../../db/schema.js';
import { checkpointOfSize, consistencyProof, inclusionProofs, latestCheckpoint, positionsOf, type StoredCheckpoint } from '../../log/log-store.js';
import { trustFileText } from '../../log/trust.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, uuid } from '../schemas.js';

const size = { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } as const;
const base64Hashes = { type: 'array', items: { type: 'string' } } as const;

function sendNote(reply: FastifyReply, note: string) {
  return reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(note);
}

/**
 * The global log: signed checkpoints (C2SP tlog-checkpoint), inclusion and consistency proofs,
 * the trust file, and case exports (evidence bundles).
 */
export const logRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const db = ctx.database.db;
  const signing = () => {
    if (!ctx.log.keys) throw new LatchError('LOG_NOT_SIGNING', 'The log has no signing key configured, so there are no checkpoints');
  };

  app.get(
    '/api/v1/log/checkpoint',
    {
      config: { permission: 'case:read' },
      schema: { tags: ['log'], summary: 'The newest signed checkpoint (C2SP tlog-checkpoint in a signed note), as text', response: errors(401, 403, 404, 503) },
    },
    async (_request, reply) => {
      signing();
      const checkpoint = await latestCheckpoint(db);
      if (!checkpoint) throw new LatchError('NOT_FOUND', 'The log has no checkpoint yet');
      return sendNote(reply, checkpoint.note);
    },
  );

  app.get<{ Params: { size: string } }>(
    '/api/v1/log/checkpoints/:size',
    {
      config: { permission: 'case:read' },
      schema: { tags: ['log'], summary: 'The checkpoint signed at a given tree size, as text', params: { type: 'object', required: ['size'], properties: { size } }, response: errors(400, 401, 403, 404) },
    },
    async (request, reply) => {
      const checkpoint = await checkpointOfSize(db, Number(request.params.size));
      if (!checkpoint) throw new LatchError('NOT_FOUND', `No checkpoint was signed at size ${request.params.size}`);
      return sendNote(reply, checkpoint.note);
    },
  );

  app.get(
    '/api/v1/log/trust',
    {
      config: { permission: 'audit:verify' },
      schema: { tags: ['log'], summary: "The log's verifier keys with their validity windows: an auditor's trust file", response: errors(401, 403) },
    },
    async (_request, reply) => sendNote(reply, await trustFileText(db, ctx.log.keys?.keys.map((k) => k.verifierKey) ?? [])),
  );

  app.get<{ Querystring: { event: string; size?: string; format?: 'json' | 'tlog-proof' } }>(
    '/api/v1/log/proofs/inclusion',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['log'],
        summary: "An event's inclusion proof: against the newest checkpoint, or the one of ?size=",
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['event'],
          properties: { event: uuid, size, format: { type: 'string', enum: ['json', 'tlog-proof'] } },
        },
        response: {
          200: {
            type: 'object',
            properties: { event: uuid, index: { type: 'integer' }, treeSize: { type: 'integer' }, proof: base64Hashes, checkpoint: { type: 'string' } },
          },
          ...errors(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      signing();
      const principal = principalOf(request);
      const [event] = await db.select({ id: events.id, stream: events.stream }).from(events).where(eq(events.id, request.query.event));
      if (!event) throw new LatchError('NOT_FOUND', 'Event not found');
      // The proof reveals nothing of the event, but whether it exists: the same rule as reading it.
      if (event.stream === SYSTEM_STREAM) {
        if (!principal.permissions.has('audit:verify')) throw new LatchError('NOT_FOUND', 'Event not found');
      } else {
        await loadVisibleCase(db, event.stream, ctx.teams.visibilityOf(principal));
      }
      const position = (await positionsOf(db, [event.id])).get(event.id);
      if (position === undefined) throw new LatchError('NOT_IN_LOG_YET', 'The event is not integrated into the log yet; try again in a moment');
      const checkpoint: StoredCheckpoint | undefined = request.query.size ? await checkpointOfSize(db, Number(request.query.size)) : await latestCheckpoint(db);
      if (!checkpoint) throw new LatchError('NOT_FOUND', 'No such checkpoint');
      if (checkpoint.size <= position) throw new LatchError('NOT_IN_LOG_YET', `The event is at index ${position}, after the checkpoint of size ${checkpoint.size}`);
      const [proof] = await inclusionProofs(db, [position], checkpoint.size);
      if (request.query.format === 'tlog-proof') return sendNote(reply, formatTlogProof({ index: position, proof: proof!, checkpoint: checkpoint.note }));
      return { event: event.id, index: position, treeSize: checkpoint.size, proof: proof!.map((h) => h.toString('base64')), checkpoint: checkpoint.note };
    },
  );

  app.get<{ Querystring: { from: string; to: string } }>(
    '/api/v1/log/proofs/consistency',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['log'],
        summary: 'A consistency proof between two signed checkpoints (from < to)',
        querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: size, to: size } },
        response: { 200: { type: 'object', properties: { from: { type: 'integer' }, to: { type: 'integer' }, proof: base64Hashes } }, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const from = Number(request.query.from);
      const to = Number(request.query.to);
      if (from > to) throw new LatchError('VALIDATION_FAILED', 'from must not be larger than to');
      if (!(await checkpointOfSize(db, to))) throw new LatchError('NOT_FOUND', `No checkpoint was signed at size ${to}`);
      return { from, to, proof: (await consistencyProof(db, from, to)).map((h) => h.toString('base64')) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/cases/:id/exports',
    {
      config: { permission: 'case:export' },
      schema: {
        tags: ['log'],
        summary: 'Export a case: records case.exported (carrying the case head) and answers where to download the evidence bundle',
        params: idParams,
        response: {
          201: {
            type: 'object',
            properties: {
              caseId: uuid,
              eventId: uuid,
              seq: { type: 'integer' },
              head: { type: 'object', properties: { seq: { type: 'integer' }, hash: { type: ['string', 'null'] } } },
              bundle: { type: 'string' },
            },
          },
          ...errors(401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return runCommand(ctx, request, reply, async (tx) => {
        const recorded = await recordExport(tx, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id);
        return { status: 201, body: { ...recorded, bundle: `/api/v1/cases/${recorded.caseId}/exports/${recorded.eventId}/bundle.zip` } };
      });
    },
  );

  app.get<{ Params: { id: string; eventId: string }; Querystring: { since?: string } }>(
    '/api/v1/cases/:id/exports/:eventId/bundle.zip',
    {
      config: { permission: 'case:export' },
      schema: {
        tags: ['log'],
        summary: 'Download the evidence bundle of an export (zip); ?since=<tree size>[,<size>…] adds consistency proofs from checkpoints the auditor holds',
        params: { type: 'object', required: ['id', 'eventId'], properties: { id: uuid, eventId: uuid } },
        querystring: { type: 'object', additionalProperties: false, properties: { since: { type: 'string', pattern: '^[1-9][0-9]{0,14}(,[1-9][0-9]{0,14}){0,9}$' } } },
        response: errors(400, 401, 403, 404, 503),
      },
    },
    async (request, reply) => {
      const since = request.query.since?.split(',').map(Number) ?? [];
      const zip = await buildCaseBundle(ctx, ctx.teams.visibilityOf(principalOf(request)), request.params.id, request.params.eventId, { since });
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="case-${request.params.id}.zip"`)
        .header('cache-control', 'no-store')
        .send(zip);
    },
  );
};
