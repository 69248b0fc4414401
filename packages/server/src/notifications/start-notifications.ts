import type { LatchContext } from '../context.js';
import { finalStatusesOf } from '../cases/list-cases.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { runDelivery } from './deliver.js';
import { NotificationWorker } from './notification-worker.js';
import { NOTIFY_DELIVER_QUEUE, type DeliveryJob } from './record-notifications.js';
import { openTransports } from './transports.js';

export interface NotificationParts extends LatchContext {
  readonly jobs: JobQueue;
  readonly say: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Starts the notification worker (events → notifications and delivery jobs) and the delivery
 * handler (jobs → email and Slack). Returns a stop function; the job queue stops on its own.
 */
export async function startNotifications(parts: NotificationParts): Promise<() => Promise<void>> {
  const { database, jobs, config, say } = parts;
  const notify = config.notify;
  const rules = { teams: parts.teams, roles: parts.roles, adminWindowDays: config.sodAdminWindowDays };
  const transports = openTransports(notify);
  await jobs.ensureQueue(NOTIFY_DELIVER_QUEUE, { retryLimit: notify.maxAttempts - 1, retryDelay: notify.retryDelaySeconds, retryBackoff: true, expireInSeconds: 120 });
  await jobs.work(NOTIFY_DELIVER_QUEUE, (job) => runDelivery({ database, transports, rules, config: notify, publicUrl: config.publicUrl }, job.data as DeliveryJob), { batchSize: 4 });
  const worker = new NotificationWorker({
    database,
    rules,
    config: notify,
    enqueue: (tx, queue, data) => jobs.sendInTransaction(tx, queue, data),
    finalStatuses: () => finalStatusesOf(parts.caseTypes),
    log: say,
  });
  await worker.init();
  worker.start();
  const channels = [notify.smtpUrl ? 'email' : undefined, notify.slackToken ? 'Slack' : undefined].filter(Boolean);
  say('info', `notifications: in the console${channels.length ? ` and by ${channels.join(' and ')}` : ' only (no LATCH_NOTIFY_SMTP_URL or LATCH_NOTIFY_SLACK_TOKEN)'}`);
  return async () => {
    await worker.stop();
    transports.close();
  };
}
