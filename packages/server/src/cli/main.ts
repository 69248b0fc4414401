#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { describeError } from '../loggable-error.js';
import { StartupError } from '../runtime.js';
import { registerAdminCommands } from './admin.js';
import { registerCaseCommands } from './case.js';
import { CliError } from './cli-error.js';
import { registerErase } from './erase.js';
import { registerServe } from './serve.js';
import { registerVerify } from './verify.js';
import { registerExportCommand } from './export.js';
import { registerLogCommands } from './log.js';
import { registerPluginCommands } from './plugin.js';

const program = new Command('latch')
  .description('Latch: governed operational work, with proof')
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerAdminCommands(program);
registerCaseCommands(program);
registerVerify(program);
registerErase(program);
registerExportCommand(program);
registerLogCommands(program);
registerPluginCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof StartupError || error instanceof DataDirLockedError || error instanceof CliError) {
    console.error(`latch: ${error.message}`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  }
  // One line, never a stack: a failed query's stack quotes its parameters (passwords' hashes, emails).
  console.error(`latch: ${describeError(error)}`);
  process.exit(1);
}
