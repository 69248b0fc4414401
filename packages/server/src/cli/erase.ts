import type { Command } from 'commander';
import type { EraseOptions } from './erase-run.js';
import { withJson } from './output.js';

export function registerErase(program: Command): void {
  withJson(program.command('erase'), 'print the report as JSON (dryRun says whether anything was erased)')
    .description("Erase a subject's personal data directly on the database (run on the server host); every hash still verifies")
    .requiredOption('--subject <email>', 'the requester or user email (or case:<id> for a case with no requester email)')
    .option('--reason <text>', 'a ticket reference; kept in the audit trail in the clear, so never the subject')
    .option('--yes', 'erase; without it, only say what would be erased')
    .addHelpText('after', '\nExit codes: 0 erased, or (without --yes) the dry run printed what would be; 2 refused (unknown subject, pending actions, invalid reason).')
    .action(async (o: EraseOptions) => (await import('./erase-run.js')).runErase(o));
}
