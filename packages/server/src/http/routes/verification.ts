import { LatchError, parseTrustFile } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { verifyLog } from '../../audit/verify-log.js';
import { verifyStore } from '../../audit/verify-store.js';
import { loadVisibleCase } from '../../cases/case-access.js';
import type { LatchContext } from '../../context.js';
import { streamHeads } from '../../db/schema.js';
import { trustFileText } from '../../log/trust.js';
import { principalOf } from '../authenticate.js';
import { errors, idParams } from '../schemas.js';

const problems = { type: 'array', items: { type: 'string' } } as const;

/**
 * Verification on demand, for the console's proof panel and auditor page: one case's hash chain
 * (`latch verify --case`), and the whole Merkle log against the trust file this server serves at
 * GET /api/v1/log/trust (`latch verify --all`'s log check). Both only read.
 */
export const verificationRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  const db = ctx.database.db;

  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/verification',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['log'],
        summary: "Recomputes the case's hash chain from the stored bytes: {ok, events, head (the recorded head hash), problems}",
        params: idParams,
        response: {
          200: { type: 'object', properties: { ok: { type: 'boolean' }, events: { type: 'integer' }, head: { type: ['string', 'null'] }, problems } },
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => {
      const found = await loadVisibleCase(db, request.params.id, ctx.teams.visibilityOf(principalOf(request)));
      const report = await verifyStore(db, [found.id]);
      const at = report.broken[0]?.firstBreak;
      const [head] = await db.select({ hash: streamHeads.hash }).from(streamHeads).where(eq(streamHeads.stream, found.id));
      return {
        ok: report.ok,
        events: report.events,
        head: head?.hash ?? null,
        problems: at ? [`event ${at.seq}${at.eventId ? ` (${at.eventId})` : ''}: ${at.problem}`] : [],
      };
    },
  );

  // The whole tree is recomputed from every event: one run at a time per process, the rest are told to wait.
  let running = false;
  app.post(
    '/api/v1/log/verifications',
    {
      config: { permission: 'audit:verify' },
      schema: {
        tags: ['log'],
        summary: 'Verifies the whole log now: every leaf, stored node and checkpoint against the trust file; one run at a time (409 while one runs)',
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              leaves: { type: 'integer' },
              checkpoints: { type: 'integer' },
              pending: { type: 'integer' },
              problems,
              notices: problems,
              trust: { type: 'string' },
            },
          },
          ...errors(401, 403, 409),
        },
      },
    },
    async () => {
      if (running) throw new LatchError('VERIFICATION_RUNNING', 'A verification of the log is already running');
      running = true;
      try {
        const trust = await trustFileText(db, ctx.log.keys?.keys.map((k) => k.verifierKey) ?? []);
        const report = await verifyLog(db, { trusted: parseTrustFile(trust) });
        return { ...report, trust };
      } finally {
        running = false;
      }
    },
  );
};
