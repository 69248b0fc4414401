import type { Command } from 'commander';
import { withJson } from './output.js';

export function registerPluginCommands(program: Command): void {
  const plugin = program.command('plugin').description('Inspect and test plugins');
  withJson(plugin.command('list').description('The plugins this deployment configures (LATCH_CONFIG_DIR/plugins.yaml), with their manifests')).action(async (o: { json?: boolean }) => (await import('./plugin-run.js')).runList(o));
  withJson(plugin.command('test <dir>'), 'print the report as JSON ({passed, failed})')
    .description('Run the protocol conformance suite against the plugin in <dir> (its latch-plugin.json command)')
    .option('--action <name>', 'the action to execute (default: the first in the manifest)')
    .option('--input <json>', 'input for that action', '{}')
    .option('--config <json>', 'plugin configuration', '{}')
    .option('--secrets <json>', 'plugin secrets (test values)', '{}')
    .action(async (dir: string, o: { action?: string; input: string; config: string; secrets: string; json?: boolean }) => (await import('./plugin-run.js')).runTest(dir, o));
}
