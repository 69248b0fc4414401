import type { Permission } from '@latch/core';
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateSession } from '../../auth/sessions.js';
import { authenticateToken } from '../../auth/tokens.js';
import { loadVisibleCase } from '../../cases/case-access.js';
import type { LatchContext } from '../../context.js';
import { SYSTEM_STREAM } from '../../db/event-store.js';
import { streamHeads } from '../../db/schema.js';
import { ALL_STREAMS, CaseNotifier } from '../../live/case-notifier.js';
import { notificationStream } from '../../notifications/record-notifications.js';
import { EventStream } from '../../live/event-stream.js';
import { ResumedHints } from '../../live/resumed-hints.js';
import { principalOf } from '../authenticate.js';
import { errors, idParams } from '../schemas.js';

const sse = (description: string) => ({ 200: { description, type: 'string' } });

/**
 * Server-sent events that say "something changed, refetch": hints only, so a stream carries
 * nothing its reader could not read through the ordinary API. Access is checked again before each
 * hint and at each heartbeat (live/event-stream.ts): a logout, a revoked token or a reassignment
 * ends the stream.
 */
export const liveRoutes =
  (ctx: LatchContext): FastifyPluginAsync =>
  async (app) => {
    const notifier = new CaseNotifier(ctx.database);
    // An open stream is an active connection: the server would wait on it for ever when closing.
    const open = new Set<EventStream>();
    app.addHook('preClose', async () => {
      for (const stream of [...open]) stream.end();
    });
    app.addHook('onClose', () => notifier.close());

    const start = (request: FastifyRequest, reply: FastifyReply, stream: EventStream) => {
      open.add(stream);
      stream.onEnd(() => open.delete(stream));
      request.raw.on('close', () => stream.end());
      // The connection closes with the stream: a stream ended at shutdown would otherwise leave a
      // keep-alive connection that the server waits on until its idle timeout (72 s).
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no')
        .header('connection', 'close')
        .send(stream.body);
    };

    app.get<{ Params: { id: string } }>(
      '/api/v1/cases/:id/live',
      {
        config: { permission: 'case:read' },
        schema: {
          tags: ['cases'],
          summary: 'Live hints (text/event-stream): {seq, kind} each time the case’s timeline grows; refetch on each',
          params: idParams,
          response: { ...sse('text/event-stream of `data: {"seq":n,"kind":"…"}` messages, `id:` = seq'), ...errors(401, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        await loadVisibleCase(ctx.database.db, id, ctx.teams.visibilityOf(principalOf(request)));
        const stream = new EventStream(accessCheck(ctx, request, 'case:read', id));
        // A reconnecting EventSource sends the last seq it was told: if the case moved on, say so once.
        const header = Number(request.headers['last-event-id']);
        const lastSeen = Number.isSafeInteger(header) ? header : undefined;
        const hints = new ResumedHints((hint, seq) => stream.send(hint, seq), lastSeen);
        stream.onEnd(await subscribed(stream, notifier.subscribe(id, principalOf(request).userId, (hint) => hints.hint(hint))));
        if (lastSeen === undefined) hints.caughtUp(undefined);
        else {
          const [head] = await ctx.database.db.select({ seq: streamHeads.seq }).from(streamHeads).where(eq(streamHeads.stream, id));
          hints.caughtUp(head?.seq);
        }
        return start(request, reply, stream);
      },
    );

    app.get(
      '/api/v1/live',
      {
        config: { permission: 'action:decide' },
        schema: {
          tags: ['approvals'],
          summary: 'Live hints (text/event-stream) for the approvals inbox: {kind: "approvals"} when an action on a case you can see moves',
          response: { ...sse('text/event-stream of `data: {"kind":"approvals"}` messages'), ...errors(401, 403, 429) },
        },
      },
      async (request, reply) => {
        const access = accessCheck(ctx, request, 'action:decide');
        const stream = new EventStream(access);
        const unsubscribe = await subscribed(
          stream,
          notifier.subscribe(ALL_STREAMS, principalOf(request).userId, (hint, from) => {
            if (hint.kind === 'resync') return stream.send({ kind: 'approvals' });
            if (!from || from === SYSTEM_STREAM || !/^(action|approval)\./.test(hint.kind)) return;
            stream.send({ kind: 'approvals' }, undefined, accessCheck(ctx, request, 'action:decide', from));
          }),
        );
        stream.onEnd(unsubscribe);
        return start(request, reply, stream);
      },
    );

    app.get(
      '/api/v1/notifications/live',
      {
        config: { permission: 'case:read' },
        schema: {
          tags: ['notifications'],
          summary: 'Live hints (text/event-stream) for the notification badge: {kind: "notifications"} when your unread count may have changed',
          response: { ...sse('text/event-stream of `data: {"kind":"notifications"}` messages'), ...errors(401, 403, 429) },
        },
      },
      async (request, reply) => {
        const userId = principalOf(request).userId;
        const stream = new EventStream(accessCheck(ctx, request, 'case:read'));
        // Only this user's own stream: written by notifications/record-notifications.ts at commit.
        stream.onEnd(await subscribed(stream, notifier.subscribe(notificationStream(userId), userId, () => stream.send({ kind: 'notifications' }))));
        return start(request, reply, stream);
      },
    );
  };

/** The subscription, or the refusal (RATE_LIMITED) with the unsent stream ended. */
async function subscribed(stream: EventStream, subscription: Promise<() => void>): Promise<() => void> {
  try {
    return await subscription;
  } catch (error) {
    stream.end();
    throw error;
  }
}

/** Whether the credential that opened the stream still works, holds `permission` and (given a case) sees it. */
function accessCheck(ctx: LatchContext, request: FastifyRequest, permission: Permission, caseId?: string): () => Promise<boolean> {
  const session = request.authMethod === 'session' ? request.sessionSecret : undefined;
  const bearer = request.authMethod === 'token' ? request.headers.authorization?.split(' ', 2)[1]?.trim() : undefined;
  return async () => {
    try {
      const principal = session
        ? await authenticateSession(ctx.database.db, session, ctx.roles)
        : bearer
          ? await authenticateToken(ctx.database.db, bearer, ctx.roles)
          : undefined;
      if (!principal || !principal.permissions.has(permission)) return false;
      if (caseId) await loadVisibleCase(ctx.database.db, caseId, ctx.teams.visibilityOf(principal));
      return true;
    } catch {
      return false;
    }
  };
}
