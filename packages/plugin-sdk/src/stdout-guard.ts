import { Console } from 'node:console';

let guarded = false;

/**
 * Sends console output to stderr (the plugin's log): stdout carries protocol lines only, and a
 * stray console.log would corrupt the stream. Direct process.stdout.write is not intercepted.
 */
export function guardStdout(): void {
  if (guarded) return;
  guarded = true;
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
}

// Under a Latch host (it sets LATCH_PLUGIN_PROTOCOL), guard from the moment the SDK is loaded,
// which is before the plugin's own module body runs: a console.log at start-up is safe too.
if (process.env.LATCH_PLUGIN_PROTOCOL) guardStdout();
