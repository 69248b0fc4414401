import { canonicalJson, LatchError, sha256Hex } from '@latch/core';
import { and, eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LatchContext } from '../context.js';
import { sqlState, type Tx } from '../db/database.js';
import { idempotencyKeys } from '../db/schema.js';
import { principalOf } from './authenticate.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

export interface CommandResult {
  readonly status: number;
  readonly body: unknown;
  /** What is stored for replay, when it must differ from the body (a secret shown once). */
  readonly replayBody?: unknown;
}

class KeyTaken extends Error {}

/**
 * Runs a write command in one durable transaction. With an `Idempotency-Key` header, the response
 * is stored in the same transaction, so a retried request replays it instead of acting twice; the
 * same key with a different request is refused.
 */
export async function runCommand(
  ctx: LatchContext,
  request: FastifyRequest,
  reply: FastifyReply,
  command: (tx: Tx) => Promise<CommandResult>,
  requestFingerprint?: string,
): Promise<unknown> {
  const key = request.headers['idempotency-key'];
  if (key === undefined) {
    const result = await ctx.database.write(command);
    return reply.code(result.status).send(result.body);
  }
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new LatchError('VALIDATION_FAILED', 'Idempotency-Key must be 1–255 visible ASCII characters');
  }
  const principal = `user:${principalOf(request).userId}`;
  const fingerprint = sha256Hex(`${request.method} ${request.url}\n${requestFingerprint ?? canonicalJson(request.body ?? null)}`);
  const stored = await storedResponse(ctx, principal, key, fingerprint);
  if (stored) return replay(reply, stored);
  try {
    const result = await ctx.database.write(async (tx) => {
      const outcome = await command(tx);
      const inserted = await tx
        .insert(idempotencyKeys)
        .values({
          principal,
          key,
          method: request.method,
          path: request.url,
          requestHash: fingerprint,
          statusCode: outcome.status,
          body: outcome.replayBody ?? outcome.body ?? null,
        })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (inserted.length === 0) throw new KeyTaken();
      return outcome;
    });
    return reply.code(result.status).send(result.body);
  } catch (error) {
    // A concurrent request with the same key committed first: ours rolled back; answer with theirs.
    if (error instanceof KeyTaken || sqlState(error) === '23505') {
      const again = await storedResponse(ctx, principal, key, fingerprint);
      if (again) return replay(reply, again);
      throw new LatchError('IDEMPOTENCY_KEY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
    }
    throw error;
  }
}

type StoredResponse = typeof idempotencyKeys.$inferSelect;

/**
 * The response stored under this key, if any. Returns the row, never a sent reply: a Fastify reply
 * is a thenable that resolves to nothing, so awaiting one would read as "nothing stored" and run
 * the command a second time after answering.
 */
async function storedResponse(ctx: LatchContext, principal: string, key: string, fingerprint: string): Promise<StoredResponse | undefined> {
  const [stored] = await ctx.database.db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
  if (!stored) return undefined;
  if (stored.requestHash !== fingerprint) {
    throw new LatchError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request');
  }
  return stored;
}

function replay(reply: FastifyReply, stored: StoredResponse): FastifyReply {
  return reply.code(stored.statusCode).header('idempotent-replayed', 'true').send(stored.body);
}
