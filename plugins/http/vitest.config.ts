import { defineConfig } from 'vitest/config';

// Lets `npx vitest run` work from this folder; the root config must also include plugins/*/test/**/*.test.ts.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
