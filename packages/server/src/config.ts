import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { readOidcEnv, type OidcEnv } from './auth/oidc/oidc-env.js';
import { readNotifyConfig, type NotifyConfig } from './notifications/notify-config.js';
import { readWebhookConfig, type WebhookConfig } from './webhooks/webhook-config.js';

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
  /** Where people reach Latch (LATCH_PUBLIC_URL); an https:// URL declares TLS, so responses carry Strict-Transport-Security. */
  readonly publicUrl: string | undefined;
  readonly sessionTtlHours: number;
  /** Connections to PostgreSQL per process. */
  readonly databasePoolSize: number;
  /** The log's signing key(s), `PRIVATE+KEY+…` lines: from LATCH_LOG_KEY, else the file LATCH_LOG_KEY_FILE. */
  readonly logKey: string | undefined;
  readonly logKeyFile: string | undefined;
  /** Where each new signed checkpoint is written (`checkpoint`, `trust.txt`), and where it is POSTed. */
  readonly logPublishDir: string | undefined;
  readonly logWebhookUrl: string | undefined;
  /** A tlog-policy file naming the witnesses (with their URLs) that cosign checkpoints, and their quorum (LATCH_WITNESSES). */
  readonly witnessesFile: string | undefined;
  /** The longest wait between retries of a witness that is down (LATCH_WITNESS_RETRY_MAX_MS). */
  readonly witnessRetryMaxMs: number;
  /** How often the sequencer integrates committed events and signs a checkpoint. */
  readonly logIntervalMs: number;
  /**
   * Maker-checker: for this many days after the proposer created an account or changed its roles,
   * teams, password or enabled state, that account cannot approve the proposer's actions.
   */
  readonly sodAdminWindowDays: number;
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For names the client; empty: the socket's address. */
  readonly trustedProxies: readonly string[];
  /** Failed logins allowed per account, and per client address, in one window before 429. */
  readonly loginMaxFailuresPerAccount: number;
  readonly loginMaxFailuresPerAddress: number;
  readonly loginFailureWindowMinutes: number;
  /** Notification channels and timing (LATCH_NOTIFY_*, notifications/notify-config.ts). */
  readonly notify: NotifyConfig;
  /** The SMTP receiver's port (LATCH_SMTP_PORT, on LATCH_HOST); unset: no SMTP receiver. 0 picks a free port. */
  readonly smtpPort: number | undefined;
  /** A bearer token that may read /metrics and nothing else (LATCH_METRICS_TOKEN); unset: only principals with metrics:read. */
  readonly metricsToken?: string | undefined;
  /** The OpenID Connect provider for single sign-on (LATCH_OIDC_*, auth/oidc/oidc-env.ts); sso.yaml turns it on. */
  readonly oidc?: OidcEnv | undefined;
  /** Outbound webhooks (LATCH_WEBHOOK_*, webhooks/webhook-config.ts). */
  readonly webhooks: WebhookConfig;
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
    publicUrl: publicUrl(env.LATCH_PUBLIC_URL),
    sessionTtlHours: integer(env, 'LATCH_SESSION_TTL_HOURS', 12),
    databasePoolSize: integer(env, 'LATCH_DATABASE_POOL_SIZE', 20),
    logKey: env.LATCH_LOG_KEY || undefined,
    logKeyFile: env.LATCH_LOG_KEY_FILE ? resolve(env.LATCH_LOG_KEY_FILE) : undefined,
    logPublishDir: env.LATCH_LOG_PUBLISH_DIR ? resolve(env.LATCH_LOG_PUBLISH_DIR) : undefined,
    logWebhookUrl: env.LATCH_LOG_WEBHOOK_URL || undefined,
    witnessesFile: env.LATCH_WITNESSES ? resolve(env.LATCH_WITNESSES) : undefined,
    witnessRetryMaxMs: integer(env, 'LATCH_WITNESS_RETRY_MAX_MS', 60_000),
    logIntervalMs: integer(env, 'LATCH_LOG_INTERVAL_MS', 1000),
    sodAdminWindowDays: integer(env, 'LATCH_SOD_ADMIN_WINDOW_DAYS', 30),
    trustedProxies: addressList(env, 'LATCH_TRUSTED_PROXIES'),
    loginMaxFailuresPerAccount: integer(env, 'LATCH_LOGIN_MAX_FAILURES_PER_ACCOUNT', 10),
    loginMaxFailuresPerAddress: integer(env, 'LATCH_LOGIN_MAX_FAILURES_PER_ADDRESS', 50),
    loginFailureWindowMinutes: integer(env, 'LATCH_LOGIN_FAILURE_WINDOW_MINUTES', 15),
    notify: readNotifyConfig(env),
    smtpPort: env.LATCH_SMTP_PORT ? integer(env, 'LATCH_SMTP_PORT', 0) : undefined,
    metricsToken: env.LATCH_METRICS_TOKEN || undefined,
    oidc: readOidcEnv(env),
    webhooks: readWebhookConfig(env),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}

/** A comma-separated list of IP addresses or CIDR ranges (`10.0.0.0/8`, `::1`). */
function addressList(env: NodeJS.ProcessEnv, name: string): string[] {
  const entries = (env[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const badBits = bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > max);
    if (family === 0 || badBits || rest.length > 0) throw new Error(`${name}: '${entry}' is not an IP address or CIDR range`);
  }
  return entries;
}

function publicUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^https?:\/\//.test(raw) || !URL.canParse(raw)) throw new Error(`LATCH_PUBLIC_URL must be an http(s) URL, got '${raw}'`);
  return raw;
}
