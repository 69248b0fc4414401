// Writes src/api/openapi.json and src/api/schema.d.ts from the server as built (run `tsc -b` first):
// buildApp on an in-memory database, then app.swagger(), the same document GET /api/v1/openapi.json serves.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateSignerKey } from '@latch/core';
import { readConfig } from '../../server/dist/config.js';
import { buildApp } from '../../server/dist/http/app.js';
import { openLatch } from '../../server/dist/runtime.js';
import { apiTypesFor } from './api-types.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const config = readConfig({ LATCH_CONFIG_DIR: here('../../../config'), LATCH_LOG_KEY: generateSignerKey('latch.openapi/log') });
const latch = await openLatch(config, { inMemory: true, migrate: true, log: () => undefined });
const app = await buildApp(latch.ctx);
await app.ready();
const document = app.swagger();
await app.close();
await latch.close();
await writeFile(here('../src/api/openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
await writeFile(here('../src/api/schema.d.ts'), await apiTypesFor(document));
console.log('wrote src/api/openapi.json and src/api/schema.d.ts');
