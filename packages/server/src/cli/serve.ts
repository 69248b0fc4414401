import type { Command } from 'commander';
import { withJson } from './output.js';

export function registerServe(program: Command): void {
  withJson(program.command('serve'), 'once listening, print one JSON line {url, console, api, database} instead of the banner')
    .description('Start the HTTP API (embedded PGlite in LATCH_DATA_DIR unless LATCH_DATABASE_URL is set)')
    .option('--demo', 'on an empty database, create demo users and cases')
    .option('--migrate', 'apply pending migrations before starting (always done for the embedded database)')
    .action(async (options: { demo?: boolean; migrate?: boolean; json?: boolean }) => (await import('./serve-run.js')).runServe(options));
}
