import { PassThrough } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { authenticateSession } from '../../auth/sessions.js';
import { authenticateToken } from '../../auth/tokens.js';
import { loadVisibleCase } from '../../cases/case-access.js';
import type { LatchContext } from '../../context.js';
import { streamHeads } from '../../db/schema.js';
import { CaseNotifier, type LiveHint } from '../../live/case-notifier.js';
import { principalOf } from '../authenticate.js';
import { errors, idParams } from '../schemas.js';

/** A comment line keeps proxies from closing an idle stream, and is when access is checked again. */
const HEARTBEAT_MS = 15_000;

/**
 * GET /api/v1/cases/{id}/live: server-sent events saying "the case's timeline grew to seq N
 * (kind K)". Hints only: the console refetches through the ordinary API, so the stream carries
 * nothing its reader could not read anyway. Access (the session or token, and the case's
 * visibility) is checked again before each hint and at each heartbeat: a logout, a revoked
 * token or a reassignment ends the stream.
 */
export const liveRoutes =
  (ctx: LatchContext): FastifyPluginAsync =>
  async (app) => {
    const notifier = new CaseNotifier(ctx.database);
    // An open stream is an active connection: the server would wait on it for ever when closing.
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const end of [...open]) end();
    });
    app.addHook('onClose', () => notifier.close());

    app.get<{ Params: { id: string } }>(
      '/api/v1/cases/:id/live',
      {
        config: { permission: 'case:read' },
        schema: {
          tags: ['cases'],
          summary: 'Live hints (text/event-stream): {seq, kind} each time the case’s timeline grows; refetch on each',
          params: idParams,
          response: { 200: { description: 'text/event-stream of `data: {"seq":n,"kind":"…"}` lines, `id:` = seq', type: 'string' }, ...errors(401, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        const principal = principalOf(request);
        await loadVisibleCase(ctx.database.db, id, ctx.teams.visibilityOf(principal));
        const stillAllowed = accessCheck(ctx, request, id);

        const out = new PassThrough();
        let ended = false;
        let unsubscribe = () => undefined as void;
        const timers: { heartbeat?: NodeJS.Timeout } = {};
        const end = () => {
          if (ended) return;
          ended = true;
          open.delete(end);
          clearInterval(timers.heartbeat);
          unsubscribe();
          out.end();
        };
        // Each hint is checked before it is sent, in order: a slow check never reorders hints.
        let checked = Promise.resolve();
        const send = (hint: LiveHint) => {
          checked = checked.then(async () => {
            if (ended) return;
            if (!(await stillAllowed())) return end();
            out.write('seq' in hint ? `id: ${hint.seq}\ndata: ${JSON.stringify(hint)}\n\n` : `data: ${JSON.stringify(hint)}\n\n`);
          });
        };
        unsubscribe = await notifier.subscribe(id, principal.userId, send);
        request.raw.on('close', end);
        open.add(end);
        timers.heartbeat = setInterval(() => {
          checked = checked.then(async () => {
            if (ended) return;
            if (!(await stillAllowed())) return end();
            out.write(': heartbeat\n\n');
          });
        }, HEARTBEAT_MS);
        timers.heartbeat.unref();

        out.write('retry: 3000\n\n');
        // A reconnecting EventSource sends the last seq it was told: if the case moved on, say so once.
        const lastSeen = Number(request.headers['last-event-id']);
        if (Number.isSafeInteger(lastSeen)) {
          const [head] = await ctx.database.db.select({ seq: streamHeads.seq }).from(streamHeads).where(eq(streamHeads.stream, id));
          if (head && head.seq > lastSeen) send({ seq: head.seq, kind: 'resync' });
        }
        return reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('x-accel-buffering', 'no')
          .send(out);
      },
    );
  };

/** Whether the credential that opened the stream still works and still sees the case. */
function accessCheck(ctx: LatchContext, request: FastifyRequest, caseId: string): () => Promise<boolean> {
  const session = request.authMethod === 'session' ? request.sessionSecret : undefined;
  const bearer = request.authMethod === 'token' ? request.headers.authorization?.split(' ', 2)[1]?.trim() : undefined;
  return async () => {
    try {
      const principal = session
        ? await authenticateSession(ctx.database.db, session)
        : bearer
          ? await authenticateToken(ctx.database.db, bearer)
          : undefined;
      if (!principal || !principal.permissions.has('case:read')) return false;
      await loadVisibleCase(ctx.database.db, caseId, ctx.teams.visibilityOf(principal));
      return true;
    } catch {
      return false;
    }
  };
}
