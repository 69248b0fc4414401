import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { TEST_NODE_FLAGS } from './packages/server/test/node-flags.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The slowest files, with their seconds alone on the 2-core machine at a load of 3-4 (2026-12-05). A
 * clean checkout has no timings of its own, and Vitest would start files largest first: one of these
 * started late kept a worker busy alone at the end. They start first, slowest first; the rest follow
 * in Vitest's own order (by recorded duration when a local run has one, else by size).
 */
const SLOW_FILES: Record<string, number> = {
  'packages/server/test/tamper.test.ts': 78,
  'packages/server/test/webhooks.api.test.ts': 65,
  'packages/server/test/backup-restore.test.ts': 61,
  'packages/server/test/airgap-kit.test.ts': 57,
  'packages/server/test/embedded-crash.test.ts': 42,
  'packages/server/test/execution-crash.test.ts': 40,
  'packages/server/test/witness.test.ts': 38,
  'packages/server/test/authorization-matrix.test.ts': 32,
  'packages/server/test/concurrent-writes.test.ts': 31,
  'packages/server/test/cli.test.ts': 29,
  'packages/server/test/intake-smtp-crash.test.ts': 29,
  'packages/server/src/jobs/job-queue.test.ts': 29,
  'packages/server/test/workflow-access-grant-restart.test.ts': 28,
  'packages/server/test/notifications.api.test.ts': 28,
  'packages/server/test/intake-imap.api.test.ts': 27,
  'packages/server/test/exactly-once.test.ts': 27,
  'packages/server/test/verify-jobs.test.ts': 27,
};

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = (file: TestSpecification) => SLOW_FILES[file.moduleId.slice(here('./').length)] ?? 0;
    // Array.prototype.sort is stable: files of equal (unknown) weight keep Vitest's order.
    return (await super.sort(files)).sort((a, b) => seconds(b) - seconds(a));
  }
}

export default defineConfig({
  resolve: {
    // Exact matches: a plain '@latch/core' key would also rewrite '@latch/core/verify' to a path
    // inside index.ts. Each subpath the packages export is its own source file.
    alias: [
      { find: /^@latch\/core$/, replacement: here('./packages/core/src/index.ts') },
      { find: /^@latch\/core\/verify$/, replacement: here('./packages/core/src/verify-offline.ts') },
      { find: /^@latch\/core\/bundle-work$/, replacement: here('./packages/core/src/proof/bundle-work.ts') },
      { find: /^@latch\/core\/inert-text$/, replacement: here('./packages/core/src/proof/inert-text.ts') },
      { find: /^@latch\/protocol$/, replacement: here('./packages/protocol/src/index.ts') },
      { find: /^@latch\/plugin-sdk$/, replacement: here('./packages/plugin-sdk/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx', 'packages/*/test/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'plugins/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores (one on a 2-core CI machine). Most of these
    // files wait on servers, browsers and child processes rather than compute, so two run side by side.
    maxWorkers: 2,
    // PGlite's WebAssembly left unoptimised (node-flags.ts): less CPU for these short-lived workers.
    execArgv: [...TEST_NODE_FLAGS],
    globalSetup: ['packages/server/test/global-setup.ts'],
    sequence: { sequencer: SlowestFirst },
  },
});
