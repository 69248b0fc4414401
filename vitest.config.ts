import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@latch/core': here('./packages/core/src/index.ts'),
      '@latch/protocol': here('./packages/protocol/src/index.ts'),
      '@latch/plugin-sdk': here('./packages/plugin-sdk/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx', 'packages/*/test/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'plugins/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores (one on a 2-core CI machine). Most of these
    // files wait on servers, browsers and child processes rather than compute, so two run side by side.
    maxWorkers: 2,
    globalSetup: ['packages/server/test/global-setup.ts'],
  },
});
