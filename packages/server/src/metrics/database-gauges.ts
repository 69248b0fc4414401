import { sql } from 'drizzle-orm';
import { Gauge, Registry } from 'prom-client';
import { resultRows, type Database } from '../db/database.js';
import { providerAccuracy, type ProviderAccuracy } from '../intelligence/accuracy.js';

/** How long one reading of the database facts serves scrapes (several scrapers, one query). */
const CACHE_MS = 5_000;
/** Triage accuracy reads every decided suggestion: read at most once a minute. */
const ACCURACY_CACHE_MS = 60_000;

interface Facts {
  readonly approvalsWaiting: number;
  readonly logSize: number;
  readonly logPending: number;
  readonly checkpointSize: number;
  /** Seconds since the newest signed checkpoint; undefined before the first. */
  readonly checkpointAgeSeconds: number | undefined;
}

/** The database gauges of one Latch: `latch_database_up` always, the facts only when the database answered. */
export interface DatabaseGauges {
  /** Registries to expose for this scrape (the facts' registry is left out when they could not be read). */
  registries(): Promise<Registry[]>;
}

/**
 * Gauges that are facts of the database, read at scrape time by one cheap statement (index and
 * primary-key look-ups, the pending queue's count) and kept for a few seconds. A database that
 * does not answer leaves them out (never a 0 that looks like a fact) and sets latch_database_up
 * to 0: the scrape itself still succeeds.
 */
export function databaseGauges(database: Database): DatabaseGauges {
  const up = new Registry();
  const facts = new Registry();
  let cached: { at: number; facts: Promise<Facts | undefined> } | undefined;
  const read = (): Promise<Facts | undefined> => {
    const now = Date.now();
    if (!cached || now - cached.at > CACHE_MS) cached = { at: now, facts: readFacts(database).catch(() => undefined) };
    return cached.facts;
  };
  const gauge = (name: string, help: string, pick: (facts: Facts) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [facts],
      async collect() {
        const got = await read();
        // NaN (unknown) in the rare scrape whose cached reading expired between the two reads.
        this.set((got ? pick(got) : undefined) ?? Number.NaN);
      },
    });
  new Gauge({
    name: 'latch_database_up',
    help: 'Whether the database answered the last reading of the database gauges (1) or not (0)',
    registers: [up],
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  gauge('latch_approvals_waiting', 'Actions awaiting approval', (f) => f.approvalsWaiting);
  gauge('latch_log_size', 'Events integrated into the global log (its leaves)', (f) => f.logSize);
  gauge('latch_log_pending_events', 'Committed events not yet integrated into the log', (f) => f.logPending);
  gauge('latch_log_checkpoint_size', 'The size of the newest signed checkpoint (0 before the first)', (f) => f.checkpointSize);
  gauge('latch_log_checkpoint_age_seconds', 'Seconds since the newest signed checkpoint (NaN before the first)', (f) => f.checkpointAgeSeconds);

  // Each triage provider's running accuracy against operators' decisions (labels: the provider's
  // name in intelligence.yaml and the part suggested; both come from configuration, never a case).
  let accuracyCache: { at: number; rows: Promise<ProviderAccuracy[] | undefined> } | undefined;
  const readAccuracy = (): Promise<ProviderAccuracy[] | undefined> => {
    const now = Date.now();
    if (!accuracyCache || now - accuracyCache.at > ACCURACY_CACHE_MS) accuracyCache = { at: now, rows: providerAccuracy(database.db).catch(() => undefined) };
    return accuracyCache.rows;
  };
  new Gauge({
    name: 'latch_intelligence_decisions',
    help: "Operators' decisions on a provider's triage suggestions, by provider and outcome",
    labelNames: ['provider', 'outcome'],
    registers: [facts],
    async collect() {
      this.reset();
      for (const p of (await readAccuracy()) ?? []) {
        this.set({ provider: p.provider, outcome: 'accepted' }, p.accepted);
        this.set({ provider: p.provider, outcome: 'overridden' }, p.overridden);
      }
    },
  });
  new Gauge({
    name: 'latch_intelligence_accuracy',
    help: "Share of a provider's suggestions that operators kept, by provider and part (case_type, queue, priority)",
    labelNames: ['provider', 'target'],
    registers: [facts],
    async collect() {
      this.reset();
      for (const p of (await readAccuracy()) ?? []) {
        for (const [target, part] of [['case_type', p.caseType], ['queue', p.queue], ['priority', p.priority]] as const) {
          if (part.accuracy !== null) this.set({ provider: p.provider, target }, part.accuracy);
        }
      }
    },
  });
  return { registries: async () => ((await read()) ? [up, facts] : [up]) };
}

async function readFacts(database: Database): Promise<Facts> {
  const [row] = resultRows<{ waiting: number | string; leaves: number | string | null; pending: number | string; size: number | string | null; age: number | string | null }>(
    await database.db.execute(sql`
      select
        (select count(*) from action_requests where status = 'awaiting_approval') as waiting,
        (select max(position) + 1 from log_leaves) as leaves,
        (select count(*) from log_pending) as pending,
        c.size as size,
        extract(epoch from (now() - c.created_at)) as age
      from (select 1) as one
      left join lateral (select size, created_at from log_checkpoints order by size desc limit 1) as c on true`),
  );
  if (!row) throw new Error('no row');
  return {
    approvalsWaiting: Number(row.waiting),
    logSize: row.leaves === null ? 0 : Number(row.leaves),
    logPending: Number(row.pending),
    checkpointSize: row.size === null ? 0 : Number(row.size),
    checkpointAgeSeconds: row.age === null ? undefined : Math.max(0, Number(row.age)),
  };
}
