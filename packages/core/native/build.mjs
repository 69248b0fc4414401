#!/usr/bin/env node
// Builds the verifier's native addon (addon.c: SHA-256 in batches, a first reading of events) when
// packages/core is installed. It only makes `latch verify` faster: without it the verifier hashes
// through node:crypto and reads events in TypeScript alone, with the same results, so a machine
// without a compiler or Node's headers still installs; this says so and exits 0. LATCH_NATIVE=0
// (or its older name LATCH_NATIVE_SHA256=0) skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const built = fileURLToPath(new URL('./build/Release/latch_native.node', import.meta.url));

function fallback(why) {
  process.stderr.write(`latch: native addon not built (${why}); latch verify hashes through node:crypto and reads events in TypeScript alone instead, slower, with the same results\n`);
  process.exit(0);
}

if (process.env.LATCH_NATIVE === '0') fallback('LATCH_NATIVE=0');
if (process.env.LATCH_NATIVE_SHA256 === '0') fallback('LATCH_NATIVE_SHA256=0');
// npm gives its own node-gyp to install scripts; otherwise one on the PATH. Built against the
// headers of the Node.js running this where it has them (its prefix's include/node), so that
// node-gyp has nothing to download: an air-gapped machine builds it too.
const gyp = process.env.npm_config_node_gyp;
const prefix = join(dirname(process.execPath), '..');
const local = process.env.npm_config_nodedir === undefined && existsSync(join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : [];
const [command, args] = gyp ? [process.execPath, [gyp, 'rebuild', ...local]] : ['node-gyp', ['rebuild', ...local]];
const run = spawnSync(command, args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (run.error !== undefined || run.status !== 0 || !existsSync(built)) {
  const lines = `${run.error?.message ?? ''}\n${run.stderr ?? ''}`.split('\n').filter((l) => /ERR!|error|not found|ENOENT/i.test(l));
  rmSync(built, { force: true });
  fallback(lines.at(-1)?.trim().slice(0, 200) || `node-gyp exited with ${run.status}`);
}
