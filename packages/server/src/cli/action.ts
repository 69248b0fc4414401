import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describeAction, userNames, type ActionView } from './action-view.js';
import { call, connection, withServerOptions, type Connection } from './api-client.js';
import { parseFields } from './case.js';
import { CliError } from './cli-error.js';
import { inert, printJson, withJson } from './output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface InputOptions {
  input?: string;
  inputFile?: string;
  field: string[];
}

/** Adds the three ways to give an action's input: JSON, a JSON file, or typed key=value fields. */
const withInputOptions = (command: Command) =>
  command
    .option('--input <json>', 'the input as a JSON object')
    .option('--input-file <file>', "the input from a JSON file ('-' for standard input)")
    .option('--field <key=value>', "an input field (repeatable), typed by the action's input schema", collect, []);

function parseJsonObject(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`${where} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** The input from --input, --input-file or --field (fields typed by the schema the case type gives the action). */
async function readInput(o: InputOptions, schema: () => Promise<{ properties?: Record<string, { type?: unknown }> }>): Promise<Record<string, unknown>> {
  const given = [o.input !== undefined, o.inputFile !== undefined, o.field.length > 0].filter(Boolean).length;
  if (given !== 1) throw new CliError('give the input one way: --input <json>, --input-file <file> or --field key=value');
  if (o.input !== undefined) return parseJsonObject(o.input, '--input');
  if (o.inputFile !== undefined) return parseJsonObject(readFileSync(o.inputFile === '-' ? 0 : o.inputFile, 'utf8'), o.inputFile);
  return parseFields(o.field, await schema());
}

async function inputSchemaOf(conn: Connection, caseId: string, plugin: string, action: string) {
  const listed = (await call(conn, 'GET', `/api/v1/cases/${caseId}/actions`)) as { available: { plugin: string; action: string; inputSchema?: object }[] };
  const found = listed.available.find((a) => a.plugin === plugin && a.action === action);
  if (!found) throw new CliError(`case ${caseId} does not allow ${plugin}.${action}; \`latch action list ${caseId}\` shows what it allows`);
  return (found.inputSchema ?? {}) as { properties?: Record<string, { type?: unknown }> };
}

/** The short answer after a change: status, what it needs, the hash its decisions are bound to. */
function printOutcome(verb: string, action: ActionView, json: boolean | undefined): void {
  if (json) return printJson(action);
  console.log(`${verb} action ${action.id}: ${action.plugin}.${action.action}, ${action.status}`);
  console.log(`  needs: ${action.requirements.summary}`);
  console.log(`  payload sha256 ${action.payloadHash}`);
}

export function registerActionCommands(program: Command): void {
  const actions = withServerOptions(program.command('action').description('Propose, read, edit, cancel and retry governed actions through the API of a running server'));

  withJson(withInputOptions(actions.command('propose <case>').description('Propose an action on a case; the answer says what approval it needs, or that it is approved at once')))
    .requiredOption('--plugin <plugin>', 'the plugin, e.g. stripe')
    .requiredOption('--action <action>', 'the action, e.g. refund')
    .option('--idempotency-key <key>', 'send again with the same key: one proposal, however many times it arrives')
    .action(async (caseId: string, o: InputOptions & { plugin: string; action: string; idempotencyKey?: string; json?: boolean }, command: Command) => {
      const conn = connection(command);
      const input = await readInput(o, () => inputSchemaOf(conn, caseId, o.plugin, o.action));
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
      const proposed = (await call(conn, 'POST', `/api/v1/cases/${caseId}/actions`, { plugin: o.plugin, action: o.action, input }, headers)) as ActionView;
      printOutcome('proposed', proposed, o.json);
    });

  withJson(actions.command('show <action>').description('An action: its status, what it needs, the exact payload and its hash, the decisions so far, the result')).action(
    async (id: string, o: { json?: boolean }, command: Command) => {
      const conn = connection(command);
      const action = (await call(conn, 'GET', `/api/v1/actions/${id}`)) as ActionView;
      if (o.json) return printJson(action);
      for (const line of describeAction(action, await userNames(conn))) console.log(line);
    },
  );

  withJson(actions.command('list <case>').description('The actions proposed on a case, and those its type allows')).action(async (caseId: string, o: { json?: boolean }, command: Command) => {
    const listed = (await call(connection(command), 'GET', `/api/v1/cases/${caseId}/actions`)) as { items: ActionView[]; available: { plugin: string; action: string; name: string }[] };
    if (o.json) return printJson(listed);
    for (const a of listed.items) console.log(`${a.id}  ${a.status.padEnd(18)} ${`${a.plugin}.${a.action}`.padEnd(20)} ${a.payloadHash.slice(0, 12)}  ${a.requirements.summary}`);
    if (listed.items.length === 0) console.log('no actions proposed');
    console.log(`allowed: ${listed.available.map((a) => `${a.plugin}.${a.action} (${inert(a.name)})`).join(', ') || 'none'}`);
  });

  withJson(withInputOptions(actions.command('edit <action>').description('Change the input of your pending proposal: approvals given so far are voided and the policy is evaluated again')))
    .option('--version <n>', 'the version you are changing (from `latch action show`); a newer one is refused')
    .action(async (id: string, o: InputOptions & { version?: string; json?: boolean }, command: Command) => {
      const conn = connection(command);
      const input = await readInput(o, async () => {
        const current = (await call(conn, 'GET', `/api/v1/actions/${id}`)) as ActionView;
        return inputSchemaOf(conn, current.caseId, current.plugin, current.action);
      });
      const version = o.version === undefined ? undefined : Number(o.version);
      if (version !== undefined && !(Number.isInteger(version) && version >= 1)) throw new CliError('--version must be a whole number from 1');
      const edited = (await call(conn, 'PATCH', `/api/v1/actions/${id}`, { input, ...(version !== undefined ? { version } : {}) })) as ActionView;
      printOutcome('edited', edited, o.json);
    });

  withJson(actions.command('cancel <action>').description('Withdraw an action that has not run'))
    .option('--reason <text>', 'why, kept on the case')
    .action(async (id: string, o: { reason?: string; json?: boolean }, command: Command) => {
      const cancelled = (await call(connection(command), 'POST', `/api/v1/actions/${id}/cancel`, o.reason ? { reason: o.reason } : {})) as ActionView;
      printOutcome('cancelled', cancelled, o.json);
    });

  withJson(actions.command('retry <action>').description('Run a failed action again: a new execution of the approved payload, reconciled with the external system first'))
    .option('--reason <text>', 'why, kept on the case')
    .option('--confirm-unknown-outcome', 'the last attempt may have taken effect and you checked the external system: run it anyway')
    .action(async (id: string, o: { reason?: string; confirmUnknownOutcome?: boolean; json?: boolean }, command: Command) => {
      const body = { ...(o.reason ? { reason: o.reason } : {}), ...(o.confirmUnknownOutcome ? { confirmUnknownOutcome: true } : {}) };
      const retried = (await call(connection(command), 'POST', `/api/v1/actions/${id}/retry`, body)) as ActionView;
      printOutcome('retrying', retried, o.json);
    });
}
