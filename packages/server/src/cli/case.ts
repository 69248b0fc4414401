import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { call, connection, withServerOptions, type Connection } from './api-client.js';
import { CliError } from './cli-error.js';
import { printJson as print, useColour, withJson } from './output.js';
import { timelineLines, type TimelineItem } from './timeline.js';

/** Commands whose answer is the API's JSON document either way: --json is accepted so every command takes it. */
const ALWAYS_JSON = 'print JSON (this command prints the JSON document either way)';
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `--field key=value` pairs, typed by the case type's field schema: a string field keeps the text
 * as is (`order_id=1042` stays "1042"); other values are read as JSON (numbers, booleans, null).
 */
export function parseFields(pairs: string[], schema: { properties?: Record<string, { type?: unknown }> }): Record<string, unknown> {
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
  const cases = withServerOptions(program.command('case').description('Work with cases through the API of a running server'));

  cases
    .command('list')
    .description('The cases you may see, filtered and paged (one line each)')
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

  withJson(cases.command('show <id>').description('A case with its fields, as JSON'), ALWAYS_JSON).action(async (id: string, _o: unknown, command: Command) =>
    print(await call(connection(command), 'GET', `/api/v1/cases/${id}`)),
  );

  withJson(cases.command('create').description("Open a case; prints it as JSON"), ALWAYS_JSON)
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

  withJson(cases.command('update <id>').description('Change status, priority, queue, assignee, title or fields, at the version you read'), ALWAYS_JSON)
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

  withJson(cases.command('note <id> <text>').description('Add a note to a case'), ALWAYS_JSON).action(async (id: string, text: string, _o: unknown, command: Command) => print(await call(connection(command), 'POST', `/api/v1/cases/${id}/notes`, { body: text })));

  withJson(cases.command('attach <id> <file>').description('Attach a file to a case (its SHA-256 is recorded)'), ALWAYS_JSON)
    .option('--content-type <type>', 'media type', 'application/octet-stream')
    .action(async (id: string, file: string, o: { contentType: string }, command: Command) => {
      const data = readFileSync(file);
      const path = `/api/v1/cases/${id}/attachments?filename=${encodeURIComponent(basename(file))}`;
      print(await call(connection(command), 'POST', path, new Uint8Array(data), { 'content-type': o.contentType }));
    });

  withJson(cases.command('link <id> <otherId>').description('Link two cases'), ALWAYS_JSON)
    .option('--kind <kind>', 'relates, duplicates, blocks or parent_of', 'relates')
    .action(async (id: string, otherId: string, o: { kind: string }, command: Command) =>
      print(await call(connection(command), 'POST', `/api/v1/cases/${id}/links`, { caseId: otherId, kind: o.kind })),
    );

  cases
    .command('timeline <id>')
    .description("The case's story, one line per event: when, who by name, what; refusals marked REFUSED")
    .option('--json', 'print the events as the API returns them ({items: [...]}, every page)')
    .action(async (id: string, o: { json?: boolean }, command: Command) => {
      const conn = connection(command);
      const items: TimelineItem[] = [];
      for (let after = 0; ; ) {
        const page = (await call(conn, 'GET', `/api/v1/cases/${id}/timeline?after=${after}&limit=1000`)) as { items: TimelineItem[] };
        items.push(...page.items);
        if (page.items.length < 1000) break;
        after = page.items.at(-1)!.seq;
      }
      if (o.json) return print({ items });
      const notes = (await call(conn, 'GET', `/api/v1/cases/${id}/notes`)) as { items: { eventId: string; body: string }[] };
      for (const line of timelineLines(items, useColour(), new Map(notes.items.map((n) => [n.eventId, n.body])))) console.log(line);
    });
}
