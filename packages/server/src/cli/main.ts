#!/usr/bin/env node
import { inertJson, inertText } from '@latch/core/inert-text';
import { CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { buildProgram } from './program.js';

/**
 * The message on standard error, never a stack; with --json, one line of JSON with the stable code.
 * A message may quote what a file or a server said (a zip member's name, say): each of its lines is
 * made inert (inert-text.ts), so it can't rewrite what the terminal shows. Its own line breaks stay:
 * some messages list problems a line each (a configuration that fails its check).
 */
function report(message: string, code: string | undefined): void {
  if (process.argv.includes('--json')) console.error(inertJson({ error: { code: code ?? 'CLI_ERROR', message } }));
  else console.error(`latch: ${message.split('\n').map(inertText).join('\n')}`);
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof CliError) {
    report(error.message, error.code);
    process.exit(error.exitCode);
  }
  // Loaded only now: the server's modules are slow to load, and commands that talk to the API never need them.
  const [{ StartupError }, { DataDirLockedError }, { describeError }] = await Promise.all([import('../runtime.js'), import('../db/data-dir-lock.js'), import('../loggable-error.js')]);
  if (error instanceof StartupError && error.code) {
    // The stable code on the same line, so a script (or a person) can match on it without --json.
    report(process.argv.includes('--json') ? error.message : `${error.code}: ${error.message}`, error.code);
    process.exit(1);
  }
  if (error instanceof StartupError || error instanceof DataDirLockedError) {
    report(error.message, undefined);
    process.exit(1);
  }
  // One line, never a stack: a failed query's stack quotes its parameters (passwords' hashes, emails).
  report(describeError(error), undefined);
  process.exit(1);
}
