// The typed API client's types come from the server's own OpenAPI document, never written by hand.
// `npm run api-types -w packages/web` rewrites src/api/schema.d.ts (and openapi.json beside it);
// test/api-types.test.ts fails when a route changed and they were not regenerated.
import openapiTS, { astToString } from 'openapi-typescript';

export const HEADER = '// Generated from the server\'s OpenAPI document by `npm run api-types -w packages/web`. Do not edit.\n';

/** The TypeScript declarations of an OpenAPI document, as committed in src/api/schema.d.ts. */
export async function apiTypesFor(document) {
  const ast = await openapiTS(document, { alphabetize: true, emptyObjectsUnknown: true });
  return HEADER + astToString(ast);
}
