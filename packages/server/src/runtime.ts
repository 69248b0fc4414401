import { sql } from 'drizzle-orm';
import { join } from 'node:path';
import { loadTeams } from './access/teams.js';
import { expireAction } from './approvals/expire-action.js';
import { APPROVAL_EXPIRY_QUEUE, type ExpiryJob, type Scheduler } from './approvals/scheduler.js';
import { openJobQueue, type JobQueue } from './jobs/job-queue.js';
import { ACTION_EXECUTE_QUEUE, type ExecutionJob } from './execution/plugin-runtime.js';
import { runExecution } from './execution/run-execution.js';
import { loadPluginSettings } from './plugin-host/plugin-config.js';
import { PluginHost } from './plugin-host/plugin-host.js';
import { actionsWaitingForPlugins, describeWaiting } from './plugin-host/waiting-actions.js';
import { createUser, countUsers } from './auth/users.js';
import { syncCaseTypes } from './case-types/registry.js';
import { activate } from './config-reload/active-config.js';
import { checkAndLoadConfig, precheckConfig, withServices } from './config-reload/startup.js';
import { SHIPPED_ROLES } from './roles/role-set.js';
import { roleUsageWarnings } from './roles/sync-roles.js';
import type { LatchConfig } from './config.js';
import type { LatchContext } from './context.js';
import { acquireDataDirLock, type DataDirLock } from './db/data-dir-lock.js';
import { openDatabase, type Database } from './db/database.js';
import { EmbeddedDurability } from './db/embedded-durability.js';
import { unavailableReason } from './db/transient-errors.js';
import { migrate, schemaState, SCHEMA_NEWER_CODE, SchemaMismatchError } from './db/migrations.js';
import { StartupError } from './startup-error.js';
import { openSso } from './auth/oidc/sso-runtime.js';
import { NO_SCIM_CONFIG } from './scim/scim-config.js';
import { describeLog, openLog, type LatchLog } from './log/latch-log.js';
import { startNotifications } from './notifications/start-notifications.js';
import { startWebhooks } from './webhooks/start-webhooks.js';
import { startIntake } from './intake/start-intake.js';
import { startReplySender } from './intake/replies/send-reply.js';
import { parseIntakeConfig } from './intake/intake-config.js';
import { SLA_ESCALATION_QUEUE_OPTIONS, startEscalations } from './sla/escalation-engine.js';
import { SLA_ESCALATION_QUEUE } from './sla/schedule-escalations.js';
import { SCHEDULED_REVOKE_QUEUE } from './scheduled-revoke/schedule-revoke.js';
import { SCHEDULED_REVOKE_QUEUE_OPTIONS, startScheduledRevokes } from './scheduled-revoke/start-scheduled-revokes.js';
import { CASE_CONTEXT_QUEUE, CASE_CONTEXT_QUEUE_OPTIONS, type ContextJob } from './context/request-context.js';
import { fetchCaseContext } from './context/fetch-case-context.js';
import { openIntelligence, startIntelligence } from './intelligence/intelligence-runtime.js';
import { TRIAGE_QUEUE, TRIAGE_QUEUE_OPTIONS } from './intelligence/triage-state.js';

export interface OpenLatchOptions {
  /** Apply pending migrations (always done for the embedded database, which one process owns). */
  readonly migrate?: boolean;
  /** Skip loading case types (for commands that only need the database, like `migrate`). */
  readonly schemaOnly?: boolean;
  /** Open an in-memory embedded database (tests). */
  readonly inMemory?: boolean;
  /** With `inMemory`: start from this copy of a database (PGlite's dumpDataDir) rather than an empty one. */
  readonly inMemoryFrom?: Blob;
  /** Start the job queue, the plugins and the workers. Off for one-shot CLI commands. Default on. */
  readonly jobs?: boolean;
  /** Where plugin supervision messages go (default: stderr). */
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const defaultLog = (level: string, message: string) => console.error(`${new Date().toISOString()} ${level} ${message}`);

export interface OpenLatch {
  readonly ctx: LatchContext;
  close(): Promise<void>;
}

export { StartupError };

/**
 * Opens the database (locking the data directory in embedded mode), checks the schema, loads case
 * types and teams, and creates the bootstrap admin. Everything opened is closed by `close()`.
 */
export async function openLatch(config: LatchConfig, options: OpenLatchOptions = {}): Promise<OpenLatch> {
  const embedded = config.databaseUrl === undefined;
  let lock: DataDirLock | undefined;
  let database: Database | undefined;
  let durability: EmbeddedDurability | undefined;
  let jobs: JobQueue | undefined;
  let plugins: PluginHost | undefined;
  let log: LatchLog | undefined;
  let stopNotifications: (() => Promise<void>) | undefined;
  let stopWebhooks: (() => Promise<void>) | undefined;
  let stopEscalations: (() => Promise<void>) | undefined;
  let stopIntake: (() => Promise<void>) | undefined;
  let stopReplies: (() => Promise<void>) | undefined;
  let stopIntelligence: (() => Promise<void>) | undefined;
  const close = async () => {
    await stopIntake?.().catch(() => undefined);
    await stopReplies?.().catch(() => undefined);
    await stopIntelligence?.().catch(() => undefined);
    await stopNotifications?.().catch(() => undefined);
    await stopWebhooks?.().catch(() => undefined);
    await stopEscalations?.().catch(() => undefined);
    await log?.witnesses?.stop().catch(() => undefined);
    await log?.sequencer.stop().catch(() => undefined);
    await log?.publisher.settled().catch(() => undefined);
    await jobs?.stop().catch(() => undefined);
    await plugins?.stop().catch(() => undefined);
    await database?.close().catch(() => undefined);
    // Closing checkpoints: data files and pg_control change, so sync the whole directory once.
    await durability?.syncAll().catch(() => undefined);
    lock?.release();
  };
  try {
    // A broken configuration file stops the start before the database is opened (or migrated).
    const configFiles = options.schemaOnly ? undefined : await precheckConfig(config.configDir);
    if (embedded && !options.inMemory) {
      lock = acquireDataDirLock(config.dataDir);
      const pgdata = join(config.dataDir, 'pgdata');
      const flusher = new EmbeddedDurability(pgdata);
      durability = flusher;
      database = await openDatabase({ dataDir: pgdata, afterCommit: () => flusher.flush() });
    } else {
      database = await openDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, loadDataDir: options.inMemory ? options.inMemoryFrom : undefined });
    }
    const say = options.log ?? defaultLog;
    await ensureSchema(database, embedded || options.migrate === true, say);
    // The configuration is checked as `latch config check` checks it; any error refuses the start with the same lines.
    const loaded = configFiles ? await checkAndLoadConfig(database, configFiles, say, { warn: options.jobs !== false }) : undefined;
    const caseTypes = loaded?.caseTypes ?? (await syncCaseTypes(database.db, []));
    const roles = loaded?.roles ?? SHIPPED_ROLES;
    const intakeConfig = loaded?.intake ?? parseIntakeConfig({}, undefined, config.configDir);
    if (options.jobs !== false && !options.schemaOnly) {
      const queue = await openJobQueue(database, {
        onError: jobErrorReporter(say),
        queues: {
          [APPROVAL_EXPIRY_QUEUE]: { retryLimit: 5, retryBackoff: true },
          [ACTION_EXECUTE_QUEUE]: { retryLimit: 10, retryBackoff: true, expireInSeconds: 300 },
          [SLA_ESCALATION_QUEUE]: SLA_ESCALATION_QUEUE_OPTIONS,
          [CASE_CONTEXT_QUEUE]: CASE_CONTEXT_QUEUE_OPTIONS,
          [TRIAGE_QUEUE]: TRIAGE_QUEUE_OPTIONS,
          [SCHEDULED_REVOKE_QUEUE]: SCHEDULED_REVOKE_QUEUE_OPTIONS,
        },
      });
      jobs = queue;
      const db = database;
      await queue.work(APPROVAL_EXPIRY_QUEUE, async (job) => {
        await db.write((tx) => expireAction(tx, job.data as ExpiryJob));
      });
      const settings = loadPluginSettings(config.configDir);
      if (settings.length > 0) plugins = await PluginHost.start(settings, options.log ?? defaultLog);
    }
    log = openLog(database, config, { embedded, inMemory: options.inMemory === true }, say);
    if (options.jobs !== false && !options.schemaOnly) {
      say('info', describeLog(log));
      log.sequencer.start();
    }
    const ctx: LatchContext = { database, caseTypes, teams: loaded?.teams ?? loadTeams(config.configDir), roles, config, scheduler: schedulerOn(jobs), plugins, log, intake: { config: intakeConfig, smtpPort: undefined }, intelligence: openIntelligence(config.configDir, database, plugins), sso: loaded ? openSso(config, say, loaded.sso) : undefined, scim: loaded?.scim ?? NO_SCIM_CONFIG };
    if (loaded) activate(ctx, loaded);
    const host = plugins;
    // Without plugins, approved actions wait (their jobs stay queued) until the deployment configures them.
    // Several executions at once (plugin calls wait on the network), well below the pool's 20 connections.
    if (jobs && host) {
      await jobs.work(ACTION_EXECUTE_QUEUE, async (job) => void (await runExecution(ctx.database, host, ctx.scheduler, job.data as ExecutionJob)), {
        batchSize: 8,
        pollingIntervalSeconds: 0.5,
      });
    }
    // Context asks (case.context) go to plugins after the case commits; a few at once, never blocking the case.
    if (jobs && host) {
      await jobs.work(CASE_CONTEXT_QUEUE, async (job) => void (await fetchCaseContext(ctx.database, host, ctx.scheduler, job.data as ContextJob)), { batchSize: 4, pollingIntervalSeconds: 0.5 });
    }
    if (!options.schemaOnly) await bootstrapAdmin(ctx);
    if (jobs) for (const warning of await roleUsageWarnings(roles, database.db)) say('warn', `roles: ${warning}`);
    // Services get ctx as their prototype, not a copy of it, so a configuration reload reaches them too.
    if (jobs) stopNotifications = await startNotifications(withServices(ctx, { jobs, say }));
    // Case events to admins' webhook endpoints, signed, from a cursor of their own.
    if (jobs) stopWebhooks = await startWebhooks(withServices(ctx, { jobs, say }));
    // After the bootstrap admin, so a rule may name them; only where jobs run, so `latch user` can still create a person a rule names.
    if (jobs) stopEscalations = await startEscalations(withServices(ctx, { jobs, say }));
    if (jobs) stopIntake = await startIntake(withServices(ctx, { jobs, say }));
    if (jobs) stopReplies = await startReplySender(withServices(ctx, { jobs, say }));
    if (jobs) stopIntelligence = await startIntelligence(withServices(ctx, { jobs, say }));
    // Time-bounded grants end by themselves: the revoke's timer creates and queues the revoke action.
    if (jobs) await startScheduledRevokes(withServices(ctx, { jobs }));
    if (jobs) {
      // Approved actions no configured plugin can run would otherwise wait in silence.
      const waiting = describeWaiting(await actionsWaitingForPlugins(database.db, plugins));
      if (waiting) say('warn', waiting);
    }
    return { ctx, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Background job errors. The workers poll every interval whatever happens, so a database that went
 * away would be reported at every poll: it is said once a minute instead, with its reason only.
 */
function jobErrorReporter(say: (level: 'info' | 'warn' | 'error', message: string) => void): (error: unknown) => void {
  let quietUntil = 0;
  return (error) => {
    const reason = unavailableReason(error);
    if (reason === undefined) return say('error', `jobs: ${(error as Error)?.message ?? String(error)}`);
    if (Date.now() < quietUntil) return;
    quietUntil = Date.now() + 60_000;
    say('warn', `jobs: database unavailable (${reason}); polling continues`);
  };
}

/** Timers go to the job queue, in the caller's transaction. Without a queue (CLI), scheduling is a bug. */
function schedulerOn(jobs: JobQueue | undefined): Scheduler {
  return {
    schedule: async (tx, queue, data, startAfter, options) => {
      if (!jobs) throw new Error('No job queue in this process: timers cannot be scheduled');
      await jobs.sendInTransaction(tx, queue, data, { startAfter, ...options });
    },
    scheduleMany: async (tx, queue, timers) => {
      if (!jobs) throw new Error('No job queue in this process: timers cannot be scheduled');
      const many = timers.map((t) => ({ data: t.data, options: { startAfter: t.startAfter, ...(t.singletonKey !== undefined ? { singletonKey: t.singletonKey } : {}) } }));
      await jobs.sendManyInTransaction(tx, queue, many);
    },
  };
}

async function ensureSchema(database: Database, applyPending: boolean, say: (level: 'info', message: string) => void): Promise<void> {
  const state = await schemaState(database);
  if (state.state === 'unknown') throw new StartupError(state.detail, SCHEMA_NEWER_CODE);
  if (state.state === 'current') return;
  if (!applyPending) {
    throw new StartupError(
      state.state === 'empty'
        ? 'The database has no Latch schema yet. Run `latch migrate` first.'
        : `The database schema is ${state.pending} migration(s) behind this version of Latch. Run \`latch migrate\` first.`,
    );
  }
  try {
    // Under an advisory lock (PostgreSQL): when several processes start at once, one applies them.
    const applied = await migrate(database);
    if (applied > 0 && database.kind === 'postgres') say('info', `migrations: applied ${applied}`);
  } catch (error) {
    if (error instanceof SchemaMismatchError) throw new StartupError(error.message, error.code);
    throw error;
  }
}

async function bootstrapAdmin(ctx: LatchContext): Promise<void> {
  const { bootstrapAdminEmail: email, bootstrapAdminPassword: password } = ctx.config;
  if (!email || !password) return;
  if ((await countUsers(ctx.database.db)) > 0) return;
  await ctx.database.write(async (tx) => {
    // Several processes starting at once on one PostgreSQL: one creates the administrator, the others find it.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('latch.bootstrap-admin'))`);
    if ((await countUsers(tx)) > 0) return;
    await createUser(tx, { email, name: 'Administrator', password, roles: ['admin'] }, { type: 'system', id: 'bootstrap' }, undefined, ctx.roles);
  });
}
