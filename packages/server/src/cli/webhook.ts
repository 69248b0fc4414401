import type { Command } from 'commander';
import { call, connection, withServerOptions } from './api-client.js';
import { inert, printJson, withJson } from './output.js';

interface Endpoint {
  id: string;
  url: string;
  eventTypes: string[];
  caseTypes: string[];
  queues: string[];
  enabled: boolean;
  disabledReason: string | null;
  secret?: string;
}

interface Delivery {
  id: string;
  eventKind: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  errorCode: string | null;
  lastAttemptAt: string | null;
}

const list = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');
const line = (e: Endpoint) =>
  `${e.id}  ${e.enabled ? 'enabled ' : `disabled (${e.disabledReason ?? '?'})`}  ${inert(e.url)}  events ${e.eventTypes.join(',')}` +
  (e.caseTypes.length ? `  types ${e.caseTypes.join(',')}` : '') +
  (e.queues.length ? `  queues ${e.queues.join(',')}` : '');

/** `latch webhook …`: outbound webhook endpoints and their deliveries, through the API of a running server (admins). */
export function registerWebhookCommands(program: Command): void {
  const webhook = withServerOptions(program.command('webhook').description('Outbound webhook endpoints and their delivery logs, through the API of a running server (admins)'));
  withJson(webhook.command('list').description('List webhook endpoints (never their secrets)')).action(async (o: { json?: boolean }, command: Command) => {
    const { items } = (await call(connection(command), 'GET', '/api/v1/webhooks')) as { items: Endpoint[] };
    if (o.json) return printJson(items);
    for (const e of items) console.log(line(e));
  });
  withJson(webhook.command('add').description('Add an endpoint for case events; prints its signing secret, once'))
    .requiredOption('--endpoint <url>', 'where to POST (http:// or https://); --url names the Latch server')
    .requiredOption('--events <kinds>', "comma-separated event kinds: '*', a kind (approval.granted) or a family (action.*)")
    .option('--case-types <keys>', 'comma-separated case types (default: all)')
    .option('--queues <names>', 'comma-separated queues (default: all)')
    .option('--description <text>', 'what the endpoint is for')
    .action(async (o: { endpoint: string; events: string; caseTypes?: string; queues?: string; description?: string; json?: boolean }, command: Command) => {
      const body = { url: o.endpoint, eventTypes: list(o.events), caseTypes: list(o.caseTypes ?? ''), queues: list(o.queues ?? ''), ...(o.description ? { description: o.description } : {}) };
      const created = (await call(connection(command), 'POST', '/api/v1/webhooks', body)) as Endpoint;
      if (o.json) return printJson(created);
      console.log(line(created));
      console.log(`secret: ${created.secret ?? ''}`);
      console.log('Keep the secret now: Latch never shows it again (rotate it with PATCH /api/v1/webhooks/{id} {"rotateSecret": true}).');
    });
  withJson(webhook.command('rm <id>').description('Remove an endpoint and its delivery log')).action(async (id: string, o: { json?: boolean }, command: Command) => {
    await call(connection(command), 'DELETE', `/api/v1/webhooks/${encodeURIComponent(id)}`);
    if (o.json) return printJson({ removed: id });
    console.log(`removed ${id}`);
  });
  withJson(webhook.command('deliveries <id>').description("An endpoint's deliveries, newest first"))
    .option('--status <status>', 'pending, retrying, delivered, failed or skipped')
    .option('--limit <n>', 'how many (1 to 200)', '50')
    .action(async (id: string, o: { status?: string; limit: string; json?: boolean }, command: Command) => {
      const query = new URLSearchParams({ limit: o.limit, ...(o.status ? { status: o.status } : {}) });
      const { items } = (await call(connection(command), 'GET', `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries?${query}`)) as { items: Delivery[] };
      if (o.json) return printJson(items);
      for (const d of items) {
        const answer = d.responseStatus !== null ? `HTTP ${d.responseStatus}` : (d.errorCode ?? '-');
        console.log(`${d.id}  ${d.status.padEnd(9)}  ${d.eventKind}  attempts ${d.attempts}  ${answer}  ${d.lastAttemptAt ?? ''}`);
      }
    });
  withJson(webhook.command('replay <deliveryId>').description('Send a delivered, failed or skipped delivery again (same webhook-id), on the record')).action(
    async (id: string, o: { json?: boolean }, command: Command) => {
      const replayed = (await call(connection(command), 'POST', `/api/v1/webhooks/deliveries/${encodeURIComponent(id)}/replay`)) as Delivery;
      if (o.json) return printJson(replayed);
      console.log(`${replayed.id}  queued again (${replayed.eventKind})`);
    },
  );
}
