import { LatchError, type Json } from '@latch/core';
import { desc, eq } from 'drizzle-orm';
import { subjectOf } from '../../cases/create-case.js';
import type { LatchContext } from '../../context.js';
import type { Tx } from '../../db/database.js';
import { appendEvents } from '../../db/event-store.js';
import { cases, idempotencyKeys, intakeMessages } from '../../db/schema.js';
import { sha256Hex } from '@latch/core';
import type { IntakeConfig } from '../intake-config.js';
import { quarantineIntake, registerReleaser } from '../quarantine.js';
import { INTAKE_ACTOR, receiveIntakeIn, threadKeyHash, type IntakeInput, type IntakeOutcome } from '../receive-intake.js';
import { fingerprintOf, parseAlertmanager, type Alert, type AlertmanagerPayload } from './alertmanager.js';
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
  const hold = (tx: Tx, reason: string, detail: string) => quarantineIntake(tx, { channel: ALERT_CHANNEL, source: source.name, reason, detail, raw, rawType: JSON_TYPE, subject: undefined });
  const outcome = await ctx.database.write(async (tx): Promise<AlertCase[] | LatchError> => {
    if (freshness === 'stale') {
      await hold(tx, 'stale', `Signed at ${new Date(Number(headers.timestamp) * 1000).toISOString()}, more than five minutes from the time received`);
      return new LatchError('WEBHOOK_TIMESTAMP_STALE', 'The delivery’s webhook-timestamp is more than five minutes from now; it was held, not received');
    }
    const recorded = await tx
      .insert(idempotencyKeys)
      .values({ principal: `alert:${source.name}`, key: headers.id!, method: 'POST', path: `/api/v1/intake/alerts/${source.name}`, requestHash: sha256Hex(raw), statusCode: 200, body: {} })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (recorded.length === 0) {
      await hold(tx, 'replayed', `webhook-id ${headers.id!.slice(0, 100)} was received before`);
      return new LatchError('WEBHOOK_REPLAYED', `Delivery ${headers.id!.slice(0, 100)} was already received; a replay changes nothing`, { webhookId: headers.id });
    }
    const payload = parseAlertmanager(raw);
    if ('problem' in payload) {
      await hold(tx, 'malformed', payload.problem);
      return new LatchError('VALIDATION_FAILED', `${payload.problem}; the delivery was held, not received`);
    }
    return receivePayload(tx, ctx, source.name, source.target, raw, payload);
  });
  if (outcome instanceof LatchError) throw outcome;
  return outcome;
}

/** Each fingerprint's alerts, in the order they came, into the case that fingerprint has open (or a new one). */
async function receivePayload(tx: Tx, ctx: Ctx, source: string, target: AlertSource['target'], raw: Buffer, payload: AlertmanagerPayload): Promise<AlertCase[]> {
  const groups = new Map<string, Alert[]>();
  for (const alert of payload.alerts) groups.set(fingerprintOf(alert), [...(groups.get(fingerprintOf(alert)) ?? []), alert]);
  const results: AlertCase[] = [];
  for (const [fingerprint, alerts] of groups) {
    const key = `alert:${source}:${fingerprint}`;
    // A firing alert follows only an open case (a closed one stays closed: the alert opens a new case);
    // a resolution alone follows the latest case whatever its status, so it never opens a case of its own.
    const latest = await latestCase(tx, ctx, key);
    const follow = latest !== undefined && (latest.open || alerts.every((a) => a.status === 'resolved'));
    const result = await receiveIntakeIn(tx, ctx, intakeOf(source, target, raw, key, fingerprint, alerts, follow));
    if (result.outcome !== 'duplicate') {
      await appendEvents(
        tx,
        result.caseId,
        alerts.map((alert) => ({ kind: alert.status === 'firing' ? 'alert.fired' : 'alert.resolved', actor: INTAKE_ACTOR, data: alertFacts(source, fingerprint, alert) })),
        { subject: subjectOf({ id: result.caseId, requesterEmail: null }) },
      );
    }
    results.push({ fingerprint, caseId: result.caseId, outcome: result.outcome, alerts: alerts.length });
  }
  return results;
}

async function latestCase(tx: Tx, ctx: Ctx, key: string): Promise<{ id: string; open: boolean } | undefined> {
  const [row] = await tx
    .select({ id: cases.id, typeKey: cases.typeKey, typeVersion: cases.typeVersion, status: cases.status })
    .from(intakeMessages)
    .innerJoin(cases, eq(cases.id, intakeMessages.caseId))
    .where(eq(intakeMessages.messageKey, threadKeyHash(key)))
    .orderBy(desc(intakeMessages.id))
    .limit(1);
  if (!row) return undefined;
  const final = ctx.caseTypes.get(row.typeKey, row.typeVersion).definition.statuses.find((s) => s.key === row.status)?.final === true;
  return { id: row.id, open: !final };
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
  return intakeOf(item.source, target, raw, `alert:${item.source}:${fingerprint}`, fingerprint, alerts.filter((a) => fingerprintOf(a) === fingerprint), false);
});
