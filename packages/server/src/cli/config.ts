import type { Command } from 'commander';
import { withServerOptions } from './api-client.js';
import { withJson } from './output.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Check a configuration directory, compare it with the running one, reload it');
  withJson(config.command('check').description('Check every file of a configuration (default LATCH_CONFIG_DIR): prints each problem as file:line:col with a fix; exit 1 on errors'))
    .argument('[dir]', 'the configuration directory (default LATCH_CONFIG_DIR, else ./config)')
    .option('--no-database', "skip the checks against the deployment's database (LATCH_DATABASE_URL or LATCH_DATA_DIR)")
    .action(async (dir: string | undefined, o: { json?: boolean; database: boolean }) => (await import('./config-run.js')).runConfigCheck(dir, o));
  withJson(withServerOptions(config.command('diff').description('What a configuration directory would change against the running server (case types, policies, roles, teams, intake, plugins)')))
    .argument('[dir]', 'the configuration directory (default LATCH_CONFIG_DIR, else ./config)')
    .action(async (dir: string | undefined, o: { json?: boolean }, command: Command) => (await import('./config-diff-run.js')).runConfigDiff(dir, o, command));
  withJson(withServerOptions(config.command('reload').description("Ask the running server to check its configuration directory again and, if it passes, use it (admins)"))).action(
    async (o: { json?: boolean }, command: Command) => (await import('./config-diff-run.js')).runConfigReload(o, command),
  );
}
