import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

// The process's counters, fed where the work happens (one call each: the HTTP onResponse hook,
// the job runner, the execution outcome, intake). One Latch per process in production, so the
// registry is the module's; the database facts (approvals waiting, the log) are gauges of the
// /metrics route (metrics/database-gauges.ts), read at scrape time.
//
// Labels are bounded sets only: route patterns, queue names, plugin ids, channel names and
// outcomes. Never a raw URL, an id, an address or anything a person typed.

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'latch_' });

const httpDuration = new Histogram({
  name: 'latch_http_request_duration_seconds',
  help: 'HTTP request latency by route pattern, method and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

const jobs = new Counter({
  name: 'latch_jobs_total',
  help: 'Jobs run by this process, by queue and outcome (completed, failed, abandoned)',
  labelNames: ['queue', 'outcome'] as const,
  registers: [metricsRegistry],
});

const executions = new Counter({
  name: 'latch_executions_total',
  help: 'Plugin action attempts recorded, by plugin and outcome (succeeded, failed, pending)',
  labelNames: ['plugin', 'outcome'] as const,
  registers: [metricsRegistry],
});

const intake = new Counter({
  name: 'latch_intake_total',
  help: 'Inbound messages received, by channel and outcome (created, threaded, duplicate)',
  labelNames: ['channel', 'outcome'] as const,
  registers: [metricsRegistry],
});

const webhookDeliveries = new Counter({
  name: 'latch_webhook_deliveries_total',
  help: 'Outbound webhook attempts, by outcome (delivered, retrying, failed, gone, refused, skipped)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

/** A route pattern as registered (`/api/v1/cases/:id`); requests no route matched share one label. */
export function recordRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
  httpDuration.observe({ method, route: route ?? 'unmatched', status_code: String(statusCode) }, seconds);
}

export function recordJob(queue: string, outcome: 'completed' | 'failed' | 'abandoned'): void {
  jobs.inc({ queue, outcome });
}

export function recordExecution(plugin: string, outcome: string): void {
  executions.inc({ plugin, outcome });
}

export function recordIntake(channel: string, outcome: string): void {
  intake.inc({ channel, outcome });
}

export function recordWebhookDelivery(outcome: 'delivered' | 'retrying' | 'failed' | 'gone' | 'refused' | 'skipped'): void {
  webhookDeliveries.inc({ outcome });
}
