import type { LatchContext } from '../context.js';
import type { JobQueue, QueueOptions } from '../jobs/job-queue.js';
import { runWebhookDelivery } from './deliver-webhook.js';
import type { WebhookConfig } from './webhook-config.js';
import { WEBHOOK_DELIVER_QUEUE, WebhookWorker, type WebhookJob } from './webhook-worker.js';

export interface WebhookParts extends LatchContext {
  readonly jobs: JobQueue;
  readonly say: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Retries with exponential backoff (with jitter) from retryDelaySeconds; an attempt outliving its timeout by far is failed and retried. */
export function webhookQueueOptions(config: WebhookConfig): QueueOptions {
  return { retryLimit: config.maxAttempts - 1, retryDelay: config.retryDelaySeconds, retryBackoff: true, expireInSeconds: Math.ceil(config.timeoutMs / 1000) + 60 };
}

/**
 * Starts the webhook worker (events → deliveries and their jobs) and the delivery handler (jobs →
 * signed POSTs). Returns a stop function; the job queue stops on its own.
 */
export async function startWebhooks(parts: WebhookParts): Promise<() => Promise<void>> {
  const { database, jobs, say } = parts;
  const config = parts.config.webhooks;
  await jobs.ensureQueue(WEBHOOK_DELIVER_QUEUE, webhookQueueOptions(config));
  await jobs.work(WEBHOOK_DELIVER_QUEUE, (job) => runWebhookDelivery({ database, config }, job.data as WebhookJob), { batchSize: 4 });
  const worker = new WebhookWorker({ database, intervalMs: config.intervalMs, enqueue: (tx, queue, data) => jobs.sendInTransaction(tx, queue, data), log: say });
  await worker.init();
  worker.start();
  return () => worker.stop();
}
