import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { call, connection, type Connection } from './api-client.js';
import { CliError } from './cli-error.js';

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `--field key=value` pairs, typed by the case type's field schema: a string field keeps the text
 * as is (`order_id=1042` stays "1042"); other values are read as JSON (numbers, booleans, null).
 */
function parseFields(pairs: string[], schema: { properties?: Record<string, { type?: unknown }> }): Record<string, unknown> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new CliError(`--field must be key=value, got '${pair}'`);
      const key = pair.slice(0, at);
      const raw = pair.slice(at + 1);
      if (schema.properties?.[key]?.type === 'string' && raw !== 'null') return [key, raw];
      try {
        return [key, JSON.parse(raw) as unknown];
      } catch {
        return [key, raw];
      }
    }),
  );
}

/** The field schema of a case type version (the newest when no version is given). */
async function fieldSchema(conn: Connection, type: string, version?: number) {
  const path = version ? `/api/v1/case-types/${type}/versions/${version}` : `/api/v1/case-types/${type}`;
  const found = (await call(conn, 'GET', path)) as { fields?: object; latest?: { fields?: object } };
  return (version ? found.fields : found.latest?.fields) ?? {};
}

export function registerCaseCommands(program: Command): void {
  const cases = program
    .command('case')
    .description('Work with cases through the API of a running server')
    .option('--url <url>', 'the server (default LATCH_URL or http://127.0.0.1:3000)')
    .option('--token <token>', 'an API token (default LATCH_TOKEN)');

  cases
    .command('list')
    .option('--status <list>')
    .option('--type <list>')
    .option('--queue <list>')
    .option('--priority <list>')
    .option('--assignee <me|none|id>')
    .option('-q, --query <text>', 'full-text search')
    .option('--sort <sort>', '-created, created or priority')
    .option('--limit <n>')
    .option('--cursor <cursor>')
    .option('--json', 'print the raw JSON page')
    .action(async (o: Record<string, string | boolean | undefined>, command: Command) => {
      const params = new URLSearchParams();
      for (const name of ['status', 'type', 'queue', 'priority', 'assignee', 'sort', 'limit', 'cursor']) {
        if (typeof o[name] === 'string') params.set(name, o[name] as string);
      }
      if (typeof o.query === 'string') params.set('q', o.query);
      const page = (await call(connection(command), 'GET', `/api/v1/cases?${params}`)) as { items: Record<string, string>[]; nextCursor: string | null };
      if (o.json) return print(page);
      for (const c of page.items) console.log(`${c.id}  ${c.status!.padEnd(18)} ${c.priority!.padEnd(7)} ${c.queue!.padEnd(16)} ${c.title}`);
      if (page.nextCursor) console.log(`more: --cursor ${page.nextCursor}`);
    });

  cases.command('show <id>').action(async (id: string, _o: unknown, command: Command) => print(await call(connection(command), 'GET', `/api/v1/cases/${id}`)));

  cases
    .command('create')
    .requiredOption('--type <type>')
    .requiredOption('--title <title>')
    .option('--description <text>')
    .option('--priority <priority>')
    .option('--queue <queue>')
    .option('--requester-email <email>')
    .option('--requester-name <name>')
    .option('--field <key=value>', 'a typed field (repeatable)', collect, [])
    .option('--idempotency-key <key>')
    .action(async (o: Record<string, string | string[] | undefined>, command: Command) => {
      const conn = connection(command);
      const requester = o.requesterEmail || o.requesterName ? { email: o.requesterEmail, name: o.requesterName } : undefined;
      const fields = parseFields(o.field as string[], await fieldSchema(conn, o.type as string));
      const body = { type: o.type, title: o.title, description: o.description, priority: o.priority, queue: o.queue, requester, fields };
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey as string } : {};
      print(await call(conn, 'POST', '/api/v1/cases', JSON.parse(JSON.stringify(body)), headers));
    });

  cases
    .command('update <id>')
    .requiredOption('--version <n>', 'the version you are changing (from `latch case show`)')
    .option('--status <status>')
    .option('--priority <priority>')
    .option('--queue <queue>')
    .option('--assignee <id|none>')
    .option('--title <title>')
    .option('--field <key=value>', 'a typed field (repeatable; key=null removes it)', collect, [])
    .option('--reason <text>')
    .action(async (id: string, o: Record<string, string | string[] | undefined>, command: Command) => {
      const conn = connection(command);
      let fields: Record<string, unknown> | undefined;
      if ((o.field as string[]).length > 0) {
        const current = (await call(conn, 'GET', `/api/v1/cases/${id}`)) as { type: string; typeVersion: number };
        fields = parseFields(o.field as string[], await fieldSchema(conn, current.type, current.typeVersion));
      }
      const assigneeId = o.assignee === undefined ? undefined : o.assignee === 'none' ? null : o.assignee;
      const body = { status: o.status, priority: o.priority, queue: o.queue, title: o.title, assigneeId, fields, reason: o.reason };
      print(await call(conn, 'PATCH', `/api/v1/cases/${id}`, JSON.parse(JSON.stringify(body)), { 'if-match': `"${o.version}"` }));
    });

  cases
    .command('note <id> <text>')
    .action(async (id: string, text: string, _o: unknown, command: Command) => print(await call(connection(command), 'POST', `/api/v1/cases/${id}/notes`, { body: text })));

  cases
    .command('attach <id> <file>')
    .option('--content-type <type>', 'media type', 'application/octet-stream')
    .action(async (id: string, file: string, o: { contentType: string }, command: Command) => {
      const data = readFileSync(file);
      const path = `/api/v1/cases/${id}/attachments?filename=${encodeURIComponent(basename(file))}`;
      print(await call(connection(command), 'POST', path, new Uint8Array(data), { 'content-type': o.contentType }));
    });

  cases
    .command('link <id> <otherId>')
    .option('--kind <kind>', 'relates, duplicates, blocks or parent_of', 'relates')
    .action(async (id: string, otherId: string, o: { kind: string }, command: Command) =>
      print(await call(connection(command), 'POST', `/api/v1/cases/${id}/links`, { caseId: otherId, kind: o.kind })),
    );

  cases
    .command('timeline <id>')
    .option('--json', 'print the raw events')
    .action(async (id: string, o: { json?: boolean }, command: Command) => {
      const page = (await call(connection(command), 'GET', `/api/v1/cases/${id}/timeline`)) as { items: { seq: number; at: string; kind: string; actor: { type: string; id: string }; hash: string }[] };
      if (o.json) return print(page);
      for (const e of page.items) console.log(`${String(e.seq).padStart(4)}  ${e.at}  ${e.kind.padEnd(18)} ${e.actor.type}:${e.actor.id}  ${e.hash.slice(0, 16)}`);
    });
}
