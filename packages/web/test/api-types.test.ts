import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLatch, type TestLatch } from '../../server/test/harness.js';
import { apiTypesFor } from '../scripts/api-types.mjs';

/** The console's API client is typed from the server's OpenAPI document: the committed types must be that document's. */
describe('the generated API types', () => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch('pglite');
    await t.app.ready();
  });
  afterAll(() => t?.close());

  it('are current with the routes (else run: npm run build && npm run api-types -w packages/web)', async () => {
    const committed = await readFile(new URL('../src/api/schema.d.ts', import.meta.url), 'utf8');
    expect(await apiTypesFor(t.app.swagger())).toBe(committed);
  });
});
