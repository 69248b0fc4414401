import type { FastifyInstance } from 'fastify';

const ANY_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids in a URL (path parameters and query values) are canonicalised to lower case before anything
 * reads them, so a person pasting `01A2…` reaches the same case as `01a2…` and no other spelling of
 * an id ever reaches a command, a lock or the bytes of an event. Bodies are validated, not
 * rewritten: the shared `uuid` schema refuses any spelling but the canonical one.
 */
export function installCanonicalIds(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    lowerUuids(request.params);
    lowerUuids(request.query);
  });
}

function lowerUuids(values: unknown): void {
  if (values === null || typeof values !== 'object') return;
  const record = values as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string' && ANY_CASE_UUID.test(value)) record[key] = value.toLowerCase();
  }
}
