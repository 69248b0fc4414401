import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerActionCommands } from './action.js';
import { registerAdminCommands } from './admin.js';
import { registerBackupCommands } from './backup.js';
import { registerCaseCommands } from './case.js';
import { registerConfigCommands } from './config.js';
import { registerDecisionCommands } from './decide.js';
import { registerErase } from './erase.js';
import { registerServe } from './serve.js';
import { registerVerify } from './verify.js';
import { registerExportCommand } from './export.js';
import { registerIntelligenceCommands } from './intelligence.js';
import { registerLogCommands } from './log.js';
import { registerLoginCommands } from './login.js';
import { registerPluginCommands } from './plugin.js';
import { registerPolicyCommands } from './policy.js';
import { registerWebhookCommands } from './webhook.js';
import { registerWitnessCommands } from './witness.js';

/** The whole `latch` command tree (exported so a test can check every command explains itself). */
export function buildProgram(): Command {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const program = new Command('latch')
    .description('Latch: governed operational work, with proof')
    .version(version, '-V, --version', 'print the version of Latch')
    .helpOption('-h, --help', 'show help for this command')
    .helpCommand('help [command]', 'show help for a command')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerLoginCommands(program);
  registerCaseCommands(program);
  registerActionCommands(program);
  registerDecisionCommands(program);
  registerAdminCommands(program);
  registerVerify(program);
  registerErase(program);
  registerBackupCommands(program);
  registerExportCommand(program);
  registerLogCommands(program);
  registerPluginCommands(program);
  registerPolicyCommands(program);
  registerWebhookCommands(program);
  registerWitnessCommands(program);
  registerIntelligenceCommands(program);
  registerConfigCommands(program);
  // Set after the subcommands are made, so only the program's own options are positional: `latch
  // --version` prints the version while `latch case update <id> --version 3` reaches the subcommand.
  return program.enablePositionalOptions();
}
