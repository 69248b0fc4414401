#!/usr/bin/env node
import { CommanderError } from 'commander';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { describeError } from '../loggable-error.js';
import { StartupError } from '../runtime.js';
import { CliError } from './cli-error.js';
import { buildProgram } from './program.js';

/** One line on standard error, never a stack; with --json, that line is a JSON object with the stable code. */
function report(message: string, code: string | undefined): void {
  if (process.argv.includes('--json')) console.error(JSON.stringify({ error: { code: code ?? 'CLI_ERROR', message } }));
  else console.error(`latch: ${message}`);
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof CliError) {
    report(error.message, error.code);
    process.exit(error.exitCode);
  }
  if (error instanceof StartupError || error instanceof DataDirLockedError) {
    report(error.message, undefined);
    process.exit(1);
  }
  // One line, never a stack: a failed query's stack quotes its parameters (passwords' hashes, emails).
  report(describeError(error), undefined);
  process.exit(1);
}
