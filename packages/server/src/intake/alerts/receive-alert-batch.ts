import { sealEvents, sha256Hex, uuidv7, type EventDraft, type LatchError, type StreamHead } from '@latch/core';
import { sql, type SQLWrapper } from 'drizzle-orm';
import { subjectOf } from '../../cases/create-case.js';
import { resultRows, type Tx } from '../../db/database.js';
import { blobs, idempotencyKeys, intakeMessages } from '../../db/schema.js';
import { writeSealed, type SealedAppend } from '../../db/event-store.js';
import { recordIntake } from '../../metrics/metrics.js';
import { threadKeyHash, type IntakeOutcome } from '../receive-intake.js';
import type { Alert } from './alertmanager.js';
import type { AlertCase } from './receive-alerts.js';

/** One delivery as receiveAlerts read it, waiting in a group commit batch. */
export interface AlertDelivery {
  readonly source: string;
  readonly webhookId: string;
  readonly raw: Buffer;
  /** Fresh, signed and Alertmanager's format: the only deliveries received here; the rest run `alone`. */
  readonly receivable: boolean;
  readonly groups: ReadonlyMap<string, readonly Alert[]>;
  /** The delivery received on its own, in the caller's transaction (receiveAlerts' own path). */
  readonly alone: (tx: Tx) => Promise<AlertCase[] | LatchError>;
  /** One fingerprint's alerts on their own path (receiveIntakeIn), its key's lock held: opening a case, or anything unusual. */
  readonly receiveGroup: (tx: Tx, fingerprint: string, alerts: readonly Alert[]) => Promise<{ caseId: string; outcome: IntakeOutcome }>;
  /** Whether the fingerprint's latest case is followed (it is open, or the alerts only resolve). */
  readonly follows: (latest: LockedCase, alerts: readonly Alert[]) => boolean;
  /** What a follow-up records: `intake.received` (the raw source by hash) and an event per alert. */
  readonly drafts: (fingerprint: string, alerts: readonly Alert[], rawSha256: string) => EventDraft[];
  /** The thread key of a fingerprint of this source (hashed as stored: threadKeyHash). */
  readonly key: (fingerprint: string) => string;
}

/** A followed case's row as the batch needs it, and its stream head, locked (FOR UPDATE) in this transaction. */
export interface LockedCase {
  readonly id: string;
  readonly typeKey: string;
  readonly typeVersion: number;
  readonly status: string;
  readonly requesterEmail: string | null;
  head: StreamHead;
}

/**
 * A batch of alert deliveries received together, in the group commit's transaction, with what each
 * would have had alone: the same events, raw sources, message rows, outcomes and refusals. The
 * common case (a fingerprint firing again into its open case) costs a share of four statements
 * instead of four each: all webhook-ids recorded and all fingerprints' locks taken in one, their
 * latest cases and earlier deliveries looked up in one, those cases and their heads locked in one
 * (ascending id), and every follow-up's events, raw sources and message rows written in one.
 * Anything else (a delivery held or refused, a fingerprint opening a case) runs on its own path in
 * its place in the batch, after what came before it is written.
 */
export async function receiveAlertBatch(tx: Tx, deliveries: readonly AlertDelivery[]): Promise<(AlertCase[] | LatchError)[]> {
  const receivable = deliveries.filter((d) => d.receivable);
  // 1. Every webhook-id recorded (a replay, even within the batch, is refused on its own path) and every key locked, in sorted order.
  const keys = [...new Set(receivable.flatMap((d) => [...d.groups.keys()].map((fp) => threadKeyHash(d.key(fp)))))].sort();
  const recorded = new Set<AlertDelivery>();
  if (receivable.length > 0) {
    // Rows as one JSON parameter (json_to_recordset), as db/event-store.ts stores events: cheap to build.
    const ids = JSON.stringify(receivable.map((d) => ({ principal: `alert:${d.source}`, key: d.webhookId, path: `/api/v1/intake/alerts/${d.source}`, hash: rawHash(d) })));
    const insert = sql`insert into ${idempotencyKeys} ("principal", "key", "method", "path", "request_hash", "status_code", "body") select principal, key, 'POST', path, hash, 200, '{}'::jsonb from json_to_recordset(${ids}::json) as r(principal text, key text, path text, hash text) on conflict do nothing returning "principal", "key"`;
    const locks = sql`(select count(*) from (select h, pg_advisory_xact_lock(hashtextextended(h, 0)) from (select unnest(${sql.param(keys)}::text[]) as h order by 1) as sorted) as taken)`;
    const [row] = resultRows<{ recorded: [string, string][] | string | null }>(
      await tx.execute(sql`with recorded as (${insert}) select (select json_agg(json_build_array(principal, key)) from recorded) as recorded, ${locks} as locked`),
    );
    const fresh = new Set((parseJson(row?.recorded) ?? []).map(([principal, key]) => `${principal}\n${key}`));
    // The first delivery of an id in the batch recorded it; a later one is a replay.
    for (const d of receivable) {
      const id = `alert:${d.source}\n${d.webhookId}`;
      if (fresh.delete(id)) recorded.add(d);
    }
  }

  // 2. Each key's latest case, and which (key, raw source) pairs were received before (duplicates), in one query, by index (migration 0014).
  const latestOf = new Map<string, string>();
  const received = new Map<string, string>();
  if (recorded.size > 0) {
    const shas = [...new Set([...recorded].map(rawHash))];
    const [row] = resultRows<{ latest: [string, string][] | string | null; seen: [string, string, string][] | string | null }>(
      await tx.execute(sql`select
        (select json_agg(json_build_array(k, c)) from (select k, (select ${intakeMessages.caseId} from ${intakeMessages} where ${intakeMessages.messageKey} = k order by ${intakeMessages.id} desc limit 1) as c from unnest(${sql.param(keys)}::text[]) as k) as l where c is not null) as latest,
        (select json_agg(json_build_array(${intakeMessages.messageKey}, ${intakeMessages.rawSha256}, ${intakeMessages.caseId})) from ${intakeMessages} where ${intakeMessages.rawSha256} = any(${sql.param(shas)}::text[]) and ${intakeMessages.messageKey} = any(${sql.param(keys)}::text[]) and ${intakeMessages.direction} = 'in') as seen`),
    );
    for (const [key, caseId] of parseJson(row?.latest) ?? []) latestOf.set(key, caseId);
    for (const [key, sha, caseId] of parseJson(row?.seen) ?? []) if (!received.has(`${key}\n${sha}`)) received.set(`${key}\n${sha}`, caseId);
  }

  // 3. The cases they follow and their heads, locked together, in ascending id (the lock order).
  const locked = new Map<string, LockedCase>();
  const lock = async (ids: readonly string[]) => {
    const wanted = [...new Set(ids)].filter((id) => !locked.has(id)).sort();
    if (wanted.length === 0) return;
    const rows = resultRows<{ id: string; type_key: string; type_version: number; status: string; requester_email: string | null; seq: number; hash: string | null }>(
      await tx.execute(
        sql`select c.id, c.type_key, c.type_version, c.status, c.requester_email, h.seq, h.hash from cases c join stream_heads h on h.stream = c.id where c.id = any(${sql.param(wanted)}::uuid[]) order by c.id for update`,
      ),
    );
    for (const r of rows) {
      locked.set(r.id, { id: r.id, typeKey: r.type_key, typeVersion: r.type_version, status: r.status, requesterEmail: r.requester_email, head: { stream: r.id, seq: r.seq, hash: r.hash } });
    }
  };
  await lock([...latestOf.values()]);

  // 4. In order: follow-ups sealed onto the heads held here and written together; anything else on its own path, once what came before it is written.
  let appends: SealedAppend[] = [];
  let rows: { sha: string; raw: Buffer; message: MessageRow }[] = [];
  const write = async () => {
    if (appends.length === 0) return;
    const raws = JSON.stringify([...new Map(rows.map((r) => [r.sha, r.raw]))].map(([sha256, data]) => ({ sha256, size: data.length, data: data.toString('hex') })));
    const messages = JSON.stringify(rows.map((r) => r.message));
    // Bytes an erasure removed (isErasedBlob) are put back when the same content is received again, as putBlob does.
    const alongside: SQLWrapper[] = [
      sql`insert into ${blobs} ("sha256", "size", "data") select sha256, size, decode(data, 'hex') from json_to_recordset(${raws}::json) as r(sha256 text, size integer, data text)
        on conflict ("sha256") do update set "data" = excluded.data where octet_length(${blobs.data}) <> ${blobs.size}`,
      sql`insert into ${intakeMessages} ("id", "case_id", "direction", "channel", "message_key", "raw_sha256", "event_id") select id, case_id, 'in', 'alert', message_key, raw_sha256, event_id
        from json_to_recordset(${messages}::json) as r(id uuid, case_id uuid, message_key text, raw_sha256 text, event_id uuid)`,
    ];
    await writeSealed(tx, appends, alongside);
    appends = [];
    rows = [];
  };
  const answers: (AlertCase[] | LatchError)[] = [];
  for (const delivery of deliveries) {
    if (!recorded.has(delivery)) {
      await write();
      answers.push(await delivery.alone(tx));
      // Its own path may have written to a case held here (not a receivable delivery's, but to be sure): read heads again.
      locked.clear();
      continue;
    }
    const rawSha256 = rawHash(delivery);
    const cases: AlertCase[] = [];
    for (const [fingerprint, alerts] of delivery.groups) {
      const key = threadKeyHash(delivery.key(fingerprint));
      const duplicateOf = received.get(`${key}\n${rawSha256}`);
      if (duplicateOf) {
        recordIntake('alert', 'duplicate');
        cases.push({ fingerprint, caseId: duplicateOf, outcome: 'duplicate', alerts: alerts.length });
        continue;
      }
      const latestId = latestOf.get(key);
      if (latestId && !locked.has(latestId)) await lock([latestId]);
      const latest = latestId ? locked.get(latestId) : undefined;
      // An alert carries no requester: it follows a case only while that case has none either (receiveIntakeIn's rule).
      if (latest && latest.requesterEmail === null && delivery.follows(latest, alerts)) {
        const sealed = sealEvents(delivery.drafts(fingerprint, alerts, rawSha256), latest.head);
        const last = sealed[sealed.length - 1]!;
        latest.head = { stream: latest.id, seq: last.seq, hash: last.hash };
        appends.push({ stream: latest.id, sealed, subject: subjectOf(latest) });
        rows.push({ sha: rawSha256, raw: delivery.raw, message: { id: uuidv7(), case_id: latest.id, message_key: key, raw_sha256: rawSha256, event_id: sealed[0]!.id } });
        received.set(`${key}\n${rawSha256}`, latest.id);
        recordIntake('alert', 'threaded');
        cases.push({ fingerprint, caseId: latest.id, outcome: 'threaded', alerts: alerts.length });
        continue;
      }
      await write();
      const result = await delivery.receiveGroup(tx, fingerprint, alerts);
      latestOf.set(key, result.caseId);
      received.set(`${key}\n${rawSha256}`, result.caseId);
      locked.clear();
      cases.push({ fingerprint, ...result, alerts: alerts.length });
    }
    answers.push(cases);
  }
  await write();
  return answers;
}

/** An alert's `intake_messages` row as written by a batch (direction `in`, channel `alert`). */
interface MessageRow {
  readonly id: string;
  readonly case_id: string;
  readonly message_key: string;
  readonly raw_sha256: string;
  readonly event_id: string;
}

const rawHashes = new WeakMap<AlertDelivery, string>();
/** The SHA-256 of a delivery's raw bytes, computed once. */
function rawHash(delivery: AlertDelivery): string {
  let hash = rawHashes.get(delivery);
  if (hash === undefined) rawHashes.set(delivery, (hash = sha256Hex(delivery.raw)));
  return hash;
}

/** node-postgres parses json columns; PGlite may hand back text. */
function parseJson<T>(value: T | string | null | undefined): T | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
