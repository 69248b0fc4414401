import type { Command } from 'commander';
import { describeAction, userNames, type ActionView } from './action-view.js';
import { call, connection, withServerOptions } from './api-client.js';
import { CliError } from './cli-error.js';
import { inert, printJson, withJson } from './output.js';
import { confirm } from './prompt.js';

interface DecideOptions {
  reason?: string;
  yes?: boolean;
  hash?: string;
  onBehalfOf?: string;
  json?: boolean;
}

/**
 * Approve or deny as a person: fetch the action, show its payload and hash, ask, then send the hash
 * that was shown (or the one given with --hash). A payload changed in between no longer matches it,
 * so the server refuses (PAYLOAD_CHANGED) instead of recording a decision on something not seen.
 */
async function decide(decision: 'approve' | 'deny', id: string, o: DecideOptions, command: Command): Promise<void> {
  const conn = connection(command, { person: true });
  const action = (await call(conn, 'GET', `/api/v1/actions/${id}`)) as ActionView;
  // With --json, standard output carries only the answer: what was shown goes to standard error.
  const show = o.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  for (const line of describeAction(action, await userNames(conn))) show(line);
  const hash = o.hash ?? action.payloadHash;
  if (hash !== action.payloadHash) show(`the payload now hashes to ${action.payloadHash}, not the ${hash} you reviewed: the server will refuse this decision`);
  const verb = decision === 'approve' ? 'Approve' : 'Deny';
  if (!o.yes && !(await confirm(`${verb} this payload (sha256 ${hash.slice(0, 16)}…)?`))) throw new CliError(`not ${decision === 'approve' ? 'approved' : 'denied'}: nothing was sent`);
  const body = { decision, payloadHash: hash, ...(o.reason ? { reason: o.reason } : {}), ...(o.onBehalfOf ? { onBehalfOf: o.onBehalfOf } : {}) };
  const decided = (await call(conn, 'POST', `/api/v1/actions/${id}/decisions`, body)) as ActionView;
  if (o.json) return printJson(decided);
  console.log(`${decision === 'approve' ? 'approved' : 'denied'} action ${id} at payload sha256 ${hash}; it is now ${decided.status}`);
}

const decisionCommand = (program: Command, name: 'approve' | 'deny', description: string) =>
  withJson(program.command(`${name} <action>`).description(description))
    .option('--url <url>', 'the server (default LATCH_URL, else the server of your last `latch login`)')
    .option('--yes', 'do not ask for confirmation (for scripts; the payload and its hash are still printed)')
    .option('--hash <sha256>', 'the payload hash you reviewed earlier (default: the one shown now)')
    .option('--on-behalf-of <userId>', 'decide for someone who delegated their approvals to you')
    .addHelpText('after', '\nNeeds your login session (`latch login`): API tokens cannot decide. Exit codes: 0 decided; 1 not confirmed or not sent; 2 refused by the server (its code is printed).');

export function registerDecisionCommands(program: Command): void {
  withJson(withServerOptions(program.command('approvals').description('Actions waiting for your decision (or for someone who delegated to you), soonest deadline first'))).action(
    async (o: { json?: boolean }, command: Command) => {
      const conn = connection(command);
      const waiting = (await call(conn, 'GET', '/api/v1/approvals?waiting_for=me')) as { items: { action: ActionView; onBehalfOf: string | null }[] };
      if (o.json) return printJson(waiting);
      if (waiting.items.length === 0) return console.log('nothing waits for your decision');
      const names = await userNames(conn);
      for (const { action, onBehalfOf } of waiting.items) {
        const forWhom = onBehalfOf ? `  for ${names.get(onBehalfOf) ?? onBehalfOf}` : '';
        console.log(`${action.id}  case ${action.caseId}  ${action.plugin}.${action.action}  by ${names.get(action.proposedBy) ?? action.proposedBy}  until ${action.expiresAt ?? 'no deadline'}${forWhom}`);
        console.log(`  ${action.requirements.summary}; payload ${inert(JSON.stringify(action.input))}`);
      }
    },
  );

  decisionCommand(program, 'approve', 'Approve an action: prints its payload and hash, asks, and sends that hash so a changed payload is refused, not approved blind')
    .option('--reason <text>', 'why (kept on the case)')
    .action((id: string, o: DecideOptions, command: Command) => decide('approve', id, o, command));

  decisionCommand(program, 'deny', 'Deny an action, with a reason: prints its payload and hash first, like approve')
    .requiredOption('--reason <text>', 'why (required; kept on the case)')
    .action((id: string, o: DecideOptions, command: Command) => decide('deny', id, o, command));
}
