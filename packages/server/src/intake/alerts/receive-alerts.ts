import { LatchError, type EventDraft, type Json } from '@latch/core';
import { sql } from 'drizzle-orm';
import type { LatchContext } from '../../context.js';
import { resultRows, type Tx } from '../../db/database.js';
import { idempotencyKeys } from '../../db/schema.js';
import { sha256Hex } from '@latch/core';
import { intakeCommits } from '../group-commit.js';
import type { IntakeConfig } from '../intake-config.js';
import { quarantineIntake, registerReleaser } from '../quarantine.js';
import { INTAKE_ACTOR, intakeKeyLock, receiveIntakeIn, threadedReceived, type IntakeInput, type IntakeOutcome } from '../receive-intake.js';
import { receiveAlertBatch, type AlertDelivery } from './receive-alert-batch.js';
import { fingerprintOf, parseAlertmanager, type Alert } from './alertmanager.js';
import type { AlertSource } from './alert-sources.js';
import { verifyDelivery, type DeliveryHeaders } from './verify-delivery.js';

export const ALERT_CHANNEL = 'alert';
const JSON_TYPE = 'application/json';

type Ctx = Pick<LatchContext, 'database' | 'caseTypes' | 'intake'>;

/** What became of each alert group (by fingerprint) of a delivery. */
export interface AlertCase {
  readonly fingerprint: string;
  readonly caseId: string;
  readonly outcome: IntakeOutcome;
  readonly alerts: number;
}

/**
 * Receives one signed delivery from an alert source, durably, in one transaction. A delivery not
 * signed with the source's secret is refused and nothing is kept. A correctly signed one that is
 * stale (timestamp over five minutes away), a replay (a `webhook-id` seen before) or not
 * Alertmanager's format is held in quarantine with that reason and refused. Otherwise each
 * fingerprint opens a case, or follows its open case, with `alert.fired` / `alert.resolved` per alert.
 */
export async function receiveAlerts(ctx: Ctx, source: AlertSource, headers: Partial<DeliveryHeaders>, raw: Buffer): Promise<AlertCase[]> {
  const freshness = verifyDelivery(source.webhook, headers, raw);
  const payload = parseAlertmanager(raw);
  const groups = new Map<string, Alert[]>();
  if (!('problem' in payload)) for (const alert of payload.alerts) groups.set(fingerprintOf(alert), [...(groups.get(fingerprintOf(alert)) ?? []), alert]);
  const firstKey = groups.size > 0 ? alertKey(source.name, groups.keys().next().value!) : undefined;
  const hold = (tx: Tx, reason: string, detail: string) => quarantineIntake(tx, { channel: ALERT_CHANNEL, source: source.name, reason, detail, raw, rawType: JSON_TYPE, subject: undefined });
  // Committed with the deliveries that arrived meanwhile (group commit); answered once that commit is durable.
  const work = async (tx: Tx): Promise<AlertCase[] | LatchError> => {
    if (freshness === 'stale') {
      await hold(tx, 'stale', `Signed at ${new Date(Number(headers.timestamp) * 1000).toISOString()}, more than five minutes from the time received`);
      return new LatchError('WEBHOOK_TIMESTAMP_STALE', 'The delivery’s webhook-timestamp is more than five minutes from now; it was held, not received');
    }
    // The webhook-id recorded (a replay finds it), and the first fingerprint's lock taken, in one round trip.
    const record = tx
      .insert(idempotencyKeys)
      .values({ principal: `alert:${source.name}`, key: headers.id!, method: 'POST', path: `/api/v1/intake/alerts/${source.name}`, requestHash: sha256Hex(raw), statusCode: 200, body: {} })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    const lock = firstKey ? sql`, ${intakeKeyLock(firstKey)} as locked` : sql``;
    const [recorded] = resultRows<{ recorded: number }>(await tx.execute(sql`with recorded as (${record.getSQL()}) select (select count(*) from recorded)::int as recorded${lock}`));
    if (!recorded?.recorded) {
      await hold(tx, 'replayed', `webhook-id ${headers.id!.slice(0, 100)} was received before`);
      return new LatchError('WEBHOOK_REPLAYED', `Delivery ${headers.id!.slice(0, 100)} was already received; a replay changes nothing`, { webhookId: headers.id });
    }
    if ('problem' in payload) {
      await hold(tx, 'malformed', payload.problem);
      return new LatchError('VALIDATION_FAILED', `${payload.problem}; the delivery was held, not received`);
    }
    return receiveGroups(tx, ctx, source.name, source.target, raw, groups);
  };
  // Next to other deliveries in its batch, received with them (receiveAlertBatch: the same record, fewer statements).
  const delivery: AlertDelivery = {
    source: source.name,
    webhookId: headers.id!,
    raw,
    receivable: freshness === 'fresh' && !('problem' in payload),
    groups,
    alone: work,
    receiveGroup: (tx, fingerprint, alerts) => receiveGroup(tx, ctx, source.name, source.target, raw, fingerprint, alerts, true),
    follows: (latest, alerts) => followsCase(ctx, latest, alerts),
    drafts: (fingerprint, alerts, rawSha256) => [
      threadedReceived(intakeOf(source.name, source.target, raw, alertKey(source.name, fingerprint), fingerprint, alerts, true), rawSha256),
      ...alertEvents(source.name, fingerprint, alerts),
    ],
    key: (fingerprint) => alertKey(source.name, fingerprint),
  };
  const outcome = await intakeCommits(ctx.database).run(firstKey ?? `alert:${source.name}`, work, { run: receiveAlertBatch, item: delivery });
  if (outcome instanceof LatchError) throw outcome;
  return outcome;
}

const alertKey = (source: string, fingerprint: string) => `alert:${source}:${fingerprint}`;

/**
 * Each fingerprint's alerts, in the order they came, into the case that fingerprint has open (or a
 * new one), with `alert.fired` / `alert.resolved` per alert in the same append as `intake.received`.
 * The fingerprint's lock is held before its latest case is looked up, so two deliveries of a new
 * fingerprint open one case, not two.
 */
async function receiveGroups(tx: Tx, ctx: Ctx, source: string, target: AlertSource['target'], raw: Buffer, groups: ReadonlyMap<string, readonly Alert[]>): Promise<AlertCase[]> {
  const results: AlertCase[] = [];
  let first = true;
  for (const [fingerprint, alerts] of groups) {
    const result = await receiveGroup(tx, ctx, source, target, raw, fingerprint, alerts, first);
    first = false;
    results.push({ fingerprint, caseId: result.caseId, outcome: result.outcome, alerts: alerts.length });
  }
  return results;
}

/** One fingerprint's alerts into its open case or a new one (`keyLocked`: the fingerprint's lock is already held). */
async function receiveGroup(tx: Tx, ctx: Ctx, source: string, target: AlertSource['target'], raw: Buffer, fingerprint: string, alerts: readonly Alert[], keyLocked: boolean) {
  return receiveIntakeIn(tx, ctx, intakeOf(source, target, raw, alertKey(source, fingerprint), fingerprint, alerts, true), {
    follow: (latest) => followsCase(ctx, latest, alerts),
    keyLocked,
    events: alertEvents(source, fingerprint, alerts),
  });
}

/**
 * A firing alert follows only an open case (a closed one stays closed: the alert opens a new case);
 * a resolution alone follows the latest case whatever its status, so it never opens a case of its own.
 */
function followsCase(ctx: Ctx, latest: { typeKey: string; typeVersion: number; status: string }, alerts: readonly Alert[]): boolean {
  return alerts.every((a) => a.status === 'resolved') || !isFinal(ctx, latest);
}

function alertEvents(source: string, fingerprint: string, alerts: readonly Alert[]): EventDraft[] {
  return alerts.map((alert) => ({ kind: alert.status === 'firing' ? 'alert.fired' : 'alert.resolved', actor: INTAKE_ACTOR, data: alertFacts(source, fingerprint, alert) }));
}

function isFinal(ctx: Ctx, row: { typeKey: string; typeVersion: number; status: string }): boolean {
  return ctx.caseTypes.get(row.typeKey, row.typeVersion).definition.statuses.find((s) => s.key === row.status)?.final === true;
}

function intakeOf(source: string, target: AlertSource['target'], raw: Buffer, key: string, fingerprint: string, alerts: readonly Alert[], follow: boolean): IntakeInput {
  const first = alerts[0]!;
  const name = first.labels.alertname ?? 'Alert';
  const summary = first.annotations.summary;
  const labels = Object.entries(first.labels).map(([k, v]) => `${k}=${v}`).join('\n');
  return {
    channel: ALERT_CHANNEL,
    source,
    raw,
    rawType: JSON_TYPE,
    target,
    parsed: {
      title: summary ? `${name}: ${summary}` : name,
      body: [first.annotations.description, labels, first.generatorURL].filter((part) => part).join('\n\n'),
      threadKeys: follow ? [key] : [],
      ownKey: key,
    },
    details: { fingerprint, alerts: alerts.length },
  };
}

/** What the timeline keeps of an alert: its identity and times, never its free text. */
function alertFacts(source: string, fingerprint: string, alert: Alert): Record<string, Json> {
  return {
    source,
    fingerprint,
    alertname: alert.labels.alertname ?? null,
    severity: alert.labels.severity ?? null,
    startsAt: alert.startsAt,
    ...(alert.status === 'resolved' && alert.endsAt ? { endsAt: alert.endsAt } : {}),
  };
}

/** A released delivery (held as stale, replayed or malformed) is read again and received as if it had passed. */
registerReleaser(ALERT_CHANNEL, async (config: IntakeConfig, item, raw): Promise<IntakeInput> => {
  const entry = config.alerts[item.source] as AlertSource['target'] | undefined;
  if (!entry) throw new LatchError('VALIDATION_FAILED', `The alert source '${item.source}' is no longer in intake.yaml, so its deliveries cannot be released`);
  const target = { type: entry.type, ...(entry.queue ? { queue: entry.queue } : {}), ...(entry.priority ? { priority: entry.priority } : {}) };
  const payload = parseAlertmanager(raw);
  const alerts = 'problem' in payload ? [] : payload.alerts;
  if (alerts.length === 0) return { channel: ALERT_CHANNEL, source: item.source, raw, rawType: JSON_TYPE, target, parsed: { title: '(unreadable alert delivery)', body: '' } };
  // Released as one intake for its first fingerprint, opening a case (never following one: a person decided).
  const fingerprint = fingerprintOf(alerts[0]!);
  return intakeOf(item.source, target, raw, alertKey(item.source, fingerprint), fingerprint, alerts.filter((a) => fingerprintOf(a) === fingerprint), false);
});
