/** Notification settings (LATCH_NOTIFY_*). A channel whose settings are absent is off; nothing retries it. */
export interface NotifyConfig {
  /** The SMTP relay, `smtp://host:port` or `smtps://user:pass@host:port` (nodemailer's URL options apply). */
  readonly smtpUrl: string | undefined;
  /** The From address of notification emails. */
  readonly from: string;
  readonly slackToken: string | undefined;
  /** Slack's Web API base (ending in '/'): Slack's own, an on-prem proxy, or a test's server. */
  readonly slackApiUrl: string;
  /** The UTC hour at which daily digests are sent. */
  readonly digestHourUtc: number;
  /** How often the worker reads newly logged events. */
  readonly intervalMs: number;
  /** How often open cases' due times are checked for SLA notifications. */
  readonly slaCheckMs: number;
  /** Attempts per delivery (the first and its retries) before it is logged as failed. */
  readonly maxAttempts: number;
  /** Seconds before the first retry of a failed delivery (doubling after). */
  readonly retryDelaySeconds: number;
}

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** Reads LATCH_NOTIFY_*; throws on a malformed value, naming the variable (never its value when it may hold a secret). */
export function readNotifyConfig(env: NodeJS.ProcessEnv): NotifyConfig {
  const smtpUrl = env.LATCH_NOTIFY_SMTP_URL || undefined;
  if (smtpUrl !== undefined && !(/^smtps?:\/\//.test(smtpUrl) && URL.canParse(smtpUrl))) throw new Error('LATCH_NOTIFY_SMTP_URL must be an smtp:// or smtps:// URL');
  const slackApiUrl = env.LATCH_NOTIFY_SLACK_API_URL || DEFAULT_SLACK_API_URL;
  if (!/^https?:\/\//.test(slackApiUrl) || !URL.canParse(slackApiUrl)) throw new Error(`LATCH_NOTIFY_SLACK_API_URL must be an http(s) URL, got '${slackApiUrl}'`);
  const digestHourUtc = whole(env, 'LATCH_NOTIFY_DIGEST_HOUR_UTC', 8);
  if (digestHourUtc > 23) throw new Error('LATCH_NOTIFY_DIGEST_HOUR_UTC must be an hour from 0 to 23');
  const maxAttempts = whole(env, 'LATCH_NOTIFY_MAX_ATTEMPTS', 5);
  if (maxAttempts < 1) throw new Error('LATCH_NOTIFY_MAX_ATTEMPTS must be at least 1');
  return {
    smtpUrl,
    from: env.LATCH_NOTIFY_FROM || 'Latch <latch@localhost>',
    slackToken: env.LATCH_NOTIFY_SLACK_TOKEN || undefined,
    slackApiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/`,
    digestHourUtc,
    intervalMs: Math.max(50, whole(env, 'LATCH_NOTIFY_INTERVAL_MS', 1000)),
    slaCheckMs: Math.max(50, whole(env, 'LATCH_NOTIFY_SLA_CHECK_MS', 60_000)),
    maxAttempts,
    retryDelaySeconds: whole(env, 'LATCH_NOTIFY_RETRY_DELAY_SECONDS', 30),
  };
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}
