#!/usr/bin/env node
// The `latch` command as npm links it (node_modules/.bin/latch) at install time, before anything is
// built: it runs the built CLI, or says how to build it. Committed, so the link always has a target.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('latch: the CLI is not built yet. Run `npm run build` in the Latch repository (or `npm start`, which builds first).\n');
  process.exit(1);
}
await import(pathToFileURL(main).href);
