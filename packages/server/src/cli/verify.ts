import { isUuid } from '@latch/core';
import type { Command } from 'commander';
import { verifyStore } from '../audit/verify-store.js';
import { CliError } from './cli-error.js';
import { withLatch } from './with-latch.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('Recompute hash chains from the stored event bytes and report the first broken link')
    .option('--case <id>', 'one case (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--all', 'every case and the system stream')
    .action(async (o: { case?: string[]; all?: boolean }) => {
      if (!o.all && !o.case?.length) throw new CliError('say what to verify: --case <id> or --all');
      const bad = o.case?.find((id) => !isUuid(id));
      if (bad) throw new CliError(`not a case id: ${bad}`);
      const report = await withLatch((ctx) => verifyStore(ctx.database.db, o.all ? undefined : o.case), { schemaOnly: true });
      if (!o.all && report.events === 0 && report.ok) throw new CliError(`no events for ${o.case!.join(', ')}: no such case`, 1);
      console.log(`checked ${report.events} events in ${report.streams} stream(s)`);
      for (const broken of report.broken) {
        const at = broken.firstBreak!;
        console.log(`BROKEN  stream ${broken.stream}: at event ${at.seq}${at.eventId ? ` (${at.eventId})` : ''}: ${at.problem}`);
      }
      if (!report.ok) throw new CliError(`${report.broken.length} chain(s) broken`, 3);
      console.log('OK: every chain verifies');
    });
}
