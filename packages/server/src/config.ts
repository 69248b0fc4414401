import { resolve } from 'node:path';

/** Settings read from the environment (the public contract in DESIGN.md §5). */
export interface LatchConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly configDir: string;
  readonly bootstrapAdminEmail: string | undefined;
  readonly bootstrapAdminPassword: string | undefined;
  readonly maxAttachmentBytes: number;
  readonly maxBodyBytes: number;
  readonly cookieSecure: boolean;
  readonly sessionTtlHours: number;
  /** Connections to PostgreSQL per process. */
  readonly databasePoolSize: number;
  /** The log's signing key(s), `PRIVATE+KEY+…` lines: from LATCH_LOG_KEY, else the file LATCH_LOG_KEY_FILE. */
  readonly logKey: string | undefined;
  readonly logKeyFile: string | undefined;
  /** Where each new signed checkpoint is written (`checkpoint`, `trust.txt`), and where it is POSTed. */
  readonly logPublishDir: string | undefined;
  readonly logWebhookUrl: string | undefined;
  /** How often the sequencer integrates committed events and signs a checkpoint. */
  readonly logIntervalMs: number;
}

/** Reads LATCH_* variables, with the documented defaults. Throws on a malformed number. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): LatchConfig {
  return {
    port: integer(env, 'LATCH_PORT', 3000),
    host: env.LATCH_HOST ?? '127.0.0.1',
    dataDir: resolve(env.LATCH_DATA_DIR ?? './latch-data'),
    databaseUrl: env.LATCH_DATABASE_URL || undefined,
    configDir: resolve(env.LATCH_CONFIG_DIR ?? './config'),
    bootstrapAdminEmail: env.LATCH_BOOTSTRAP_ADMIN_EMAIL || undefined,
    bootstrapAdminPassword: env.LATCH_BOOTSTRAP_ADMIN_PASSWORD || undefined,
    maxAttachmentBytes: integer(env, 'LATCH_MAX_ATTACHMENT_BYTES', 25 * 1024 * 1024),
    maxBodyBytes: integer(env, 'LATCH_MAX_BODY_BYTES', 1024 * 1024),
    cookieSecure: (env.LATCH_COOKIE_SECURE ?? 'true') !== 'false',
    sessionTtlHours: integer(env, 'LATCH_SESSION_TTL_HOURS', 12),
    databasePoolSize: integer(env, 'LATCH_DATABASE_POOL_SIZE', 20),
    logKey: env.LATCH_LOG_KEY || undefined,
    logKeyFile: env.LATCH_LOG_KEY_FILE ? resolve(env.LATCH_LOG_KEY_FILE) : undefined,
    logPublishDir: env.LATCH_LOG_PUBLISH_DIR ? resolve(env.LATCH_LOG_PUBLISH_DIR) : undefined,
    logWebhookUrl: env.LATCH_LOG_WEBHOOK_URL || undefined,
    logIntervalMs: integer(env, 'LATCH_LOG_INTERVAL_MS', 1000),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}
