import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ReplayReport } from '../policies/replay-policy.js';
import { call, connection, withServerOptions } from './api-client.js';
import { CliError } from './cli-error.js';
import { inert, printJson, withJson } from './output.js';

/** One line per action whose requirement changes, then the totals. */
function describeReplay(report: ReplayReport): string[] {
  const { totals } = report;
  const lines = [`policy ${report.policy.key} v${report.policy.version} against ${totals.actions} ${report.caseType} action(s) since ${report.since}:`];
  for (const a of report.actions.filter((item) => item.change !== 'same')) {
    const now = a.new.approvals === null ? `unknown (${a.new.error ?? 'not evaluated'})` : `${a.new.approvals}`;
    lines.push(`  ${a.change.padEnd(7)} ${a.actionId}  case ${a.caseId}  ${a.plugin}.${a.action} ${a.status}: approvals ${a.old.approvals} -> ${inert(now)}`);
  }
  lines.push(`more: ${totals.more}, fewer: ${totals.fewer}, same: ${totals.same}, unknown: ${totals.unknown}`);
  return lines;
}

export function registerPolicyCommands(program: Command): void {
  const policy = withServerOptions(program.command('policy').description('Try approval policy changes through the API of a running server'));
  withJson(policy.command('replay').description('Evaluate a new policy version against the actions of the last N days: which would have needed more or fewer approvals (writes nothing)'))
    .requiredOption('--type <caseType>', 'the case type, e.g. refund')
    .requiredOption('--file <file>', "the new policy version (YAML or JSON; '-' for standard input)")
    .option('--days <n>', 'how far back to look', '30')
    .action(async (o: { type: string; file: string; days: string; json?: boolean }, command: Command) => {
      const days = Number(o.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new CliError('--days must be a whole number of days from 1 to 366');
      let text: string;
      try {
        text = readFileSync(o.file === '-' ? 0 : o.file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${o.file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      }
      const report = (await call(connection(command), 'POST', '/api/v1/policies:replay', { caseType: o.type, policy: text, days })) as ReplayReport;
      if (o.json) return printJson(report);
      for (const line of describeReplay(report)) console.log(line);
    });
}
