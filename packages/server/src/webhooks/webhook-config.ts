/** Outbound webhook settings (LATCH_WEBHOOK_*). */
export interface WebhookConfig {
  /**
   * Whether endpoints may resolve to loopback, private, link-local (cloud metadata) and other
   * non-public addresses. Off by default: an admin token is then no way to reach the machine or
   * the network behind it. On-prem receivers on a private network need it on.
   */
  readonly allowPrivateNetworks: boolean;
  /** How long one attempt may take, connect to last byte read. */
  readonly timeoutMs: number;
  /** Attempts per delivery (the first and its retries) before it is logged as failed. */
  readonly maxAttempts: number;
  /** Seconds before the first retry (then doubling, with jitter, by the job queue). */
  readonly retryDelaySeconds: number;
  /** How often the worker reads newly logged events. */
  readonly intervalMs: number;
}

/** Reads LATCH_WEBHOOK_*; throws on a malformed value, naming the variable. */
export function readWebhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  const flag = env.LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? 'false';
  if (flag !== 'true' && flag !== 'false') throw new Error(`LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false, got '${flag}'`);
  const maxAttempts = whole(env, 'LATCH_WEBHOOK_MAX_ATTEMPTS', 8);
  if (maxAttempts < 1) throw new Error('LATCH_WEBHOOK_MAX_ATTEMPTS must be at least 1');
  return {
    allowPrivateNetworks: flag === 'true',
    timeoutMs: Math.max(100, whole(env, 'LATCH_WEBHOOK_TIMEOUT_MS', 10_000)),
    maxAttempts,
    retryDelaySeconds: Math.max(1, whole(env, 'LATCH_WEBHOOK_RETRY_DELAY_SECONDS', 30)),
    intervalMs: Math.max(50, whole(env, 'LATCH_WEBHOOK_INTERVAL_MS', 1000)),
  };
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}
