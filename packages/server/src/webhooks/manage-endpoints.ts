import { randomBytes } from 'node:crypto';
import { LatchError, NotFoundError, uuidv7, ValidationError, type Actor } from '@latch/core';
import { asc, eq } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { webhookEndpoints } from '../db/schema.js';
import { urlProblem } from './target-guard.js';

type EndpointRow = typeof webhookEndpoints.$inferSelect;

export interface EndpointInput {
  readonly url: string;
  readonly description?: string | undefined;
  readonly eventTypes: readonly string[];
  readonly caseTypes?: readonly string[] | undefined;
  readonly queues?: readonly string[] | undefined;
}

export interface EndpointPatch extends Partial<EndpointInput> {
  readonly enabled?: boolean | undefined;
  /** A new secret replaces the old at once; the answer shows it, once. */
  readonly rotateSecret?: boolean | undefined;
}

export interface EndpointRules {
  readonly allowPrivateNetworks: boolean;
  /** Throws UNKNOWN_CASE_TYPE for a case type the deployment does not define. */
  readonly checkCaseType: (key: string) => void;
}

/** An endpoint as the API shows it: never its secret. */
export function presentEndpoint(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    caseTypes: row.caseTypes,
    queues: row.queues,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A signing secret as Standard Webhooks spells it: `whsec_` and 32 random bytes in base64. */
function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function check(input: Partial<EndpointInput>, rules: EndpointRules): void {
  if (input.url !== undefined) {
    const problem = urlProblem(input.url, rules.allowPrivateNetworks);
    if (problem) throw new ValidationError(`url ${problem}`, { field: 'url' });
  }
  for (const key of input.caseTypes ?? []) rules.checkCaseType(key);
}

/**
 * What the audit trail records of an endpoint: its host and filters. Not the full URL (a path or
 * query may carry a token of the receiver's), not the description (free text), never the secret.
 */
function recorded(row: EndpointRow) {
  return { endpointId: row.id, host: new URL(row.url).host, eventTypes: row.eventTypes, caseTypes: row.caseTypes, queues: row.queues, enabled: row.enabled };
}

const record = (tx: Tx, kind: string, actor: Actor, data: Record<string, unknown>) => appendEvents(tx, SYSTEM_STREAM, [{ kind, actor, data }], { subject: 'system' });

/** Creates an endpoint and its secret; the secret is returned here and never again. */
export async function createEndpoint(tx: Tx, input: EndpointInput, actor: Actor, createdBy: string, rules: EndpointRules): Promise<{ endpoint: EndpointRow; secret: string }> {
  check(input, rules);
  const secret = newSigningSecret();
  const [endpoint] = await tx
    .insert(webhookEndpoints)
    .values({
      id: uuidv7(),
      url: input.url,
      description: input.description ?? '',
      secret,
      eventTypes: [...new Set(input.eventTypes)],
      caseTypes: [...new Set(input.caseTypes ?? [])],
      queues: [...new Set(input.queues ?? [])],
      createdBy,
    })
    .returning();
  await record(tx, 'webhook.created', actor, recorded(endpoint!));
  return { endpoint: endpoint!, secret };
}

/** Changes an endpoint; enabling one clears why it was disabled. Returns the new secret when it was rotated. */
export async function updateEndpoint(tx: Tx, id: string, patch: EndpointPatch, actor: Actor, rules: EndpointRules): Promise<{ endpoint: EndpointRow; secret?: string }> {
  check(patch, rules);
  const [current] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
  if (!current) throw new NotFoundError('Webhook endpoint');
  const secret = patch.rotateSecret ? newSigningSecret() : undefined;
  const enabled = patch.enabled ?? current.enabled;
  const [endpoint] = await tx
    .update(webhookEndpoints)
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.eventTypes !== undefined ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
      ...(patch.caseTypes !== undefined ? { caseTypes: [...new Set(patch.caseTypes)] } : {}),
      ...(patch.queues !== undefined ? { queues: [...new Set(patch.queues)] } : {}),
      ...(secret ? { secret } : {}),
      enabled,
      disabledReason: enabled ? null : patch.enabled === false ? 'admin' : current.disabledReason,
      updatedAt: new Date(),
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  await record(tx, 'webhook.updated', actor, { ...recorded(endpoint!), secretRotated: secret !== undefined });
  return secret ? { endpoint: endpoint!, secret } : { endpoint: endpoint! };
}

/** Deletes an endpoint and its delivery log; jobs still queued for it find nothing and end. */
export async function deleteEndpoint(tx: Tx, id: string, actor: Actor): Promise<void> {
  const [gone] = await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning();
  if (!gone) throw new NotFoundError('Webhook endpoint');
  await record(tx, 'webhook.deleted', actor, recorded(gone));
}

export async function listEndpoints(db: Queryable): Promise<EndpointRow[]> {
  return db.select().from(webhookEndpoints).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}

export async function getEndpoint(db: Queryable, id: string): Promise<EndpointRow> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw new NotFoundError('Webhook endpoint');
  return row;
}

/** Refused changes that are not validation: kept here so the route stays plumbing. */
export function endpointDisabled(): LatchError {
  return new LatchError('INVALID_TRANSITION', 'The endpoint is disabled: enable it before replaying its deliveries');
}
