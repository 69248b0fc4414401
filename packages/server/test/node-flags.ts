/**
 * Node's flags for the test workers (vitest.config.ts) and every Latch process a test starts:
 * PGlite's WebAssembly stays on V8's baseline compiler (Liftoff). Optimising it costs each process
 * about a second of CPU on background threads, more than a test's short use of the database wins
 * back: a `latch` command 2.4 -> 1.8 s CPU, an API test file 10-15% less.
 */
export const TEST_NODE_FLAGS: readonly string[] = ['--liftoff-only'];
