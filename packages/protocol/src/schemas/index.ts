import type { JsonSchema } from '../json-schema.js';
import { caseContextSchema, manifestSchema } from './manifest.js';
import * as m from './messages.js';

export { CLASSIFY_LIMITS, CONTEXT_LIMITS } from './messages.js';

/** Every protocol schema by name; the same objects are in `packages/protocol/schemas/<file>`. */
export const schemas = {
  manifest: manifestSchema,
  caseContext: caseContextSchema,
  initializeParams: m.initializeParamsSchema,
  initializeResult: m.initializeResultSchema,
  configureParams: m.configureParamsSchema,
  configureResult: m.configureResultSchema,
  listParams: m.listParamsSchema,
  listResult: m.listResultSchema,
  executeParams: m.executeParamsSchema,
  executeResult: m.executeResultSchema,
  reconcileParams: m.reconcileParamsSchema,
  reconcileResult: m.reconcileResultSchema,
  webhookParams: m.webhookParamsSchema,
  webhookResult: m.webhookResultSchema,
  contextParams: m.contextParamsSchema,
  contextResult: m.contextResultSchema,
  classifyParams: m.classifyParamsSchema,
  classifyResult: m.classifyResultSchema,
  shutdownParams: m.shutdownParamsSchema,
  shutdownResult: m.shutdownResultSchema,
} as const satisfies Record<string, JsonSchema>;

/** A key of `schemas`. */
export type SchemaName = keyof typeof schemas;

/** The JSON file each schema is published as, under `packages/protocol/schemas/`. */
export const schemaFiles: Readonly<Record<SchemaName, string>> = {
  manifest: 'manifest.schema.json',
  caseContext: 'case-context.schema.json',
  initializeParams: 'initialize.params.schema.json',
  initializeResult: 'initialize.result.schema.json',
  configureParams: 'configure.params.schema.json',
  configureResult: 'configure.result.schema.json',
  listParams: 'actions.list.params.schema.json',
  listResult: 'actions.list.result.schema.json',
  executeParams: 'action.execute.params.schema.json',
  executeResult: 'action.execute.result.schema.json',
  reconcileParams: 'action.reconcile.params.schema.json',
  reconcileResult: 'action.reconcile.result.schema.json',
  webhookParams: 'webhook.receive.params.schema.json',
  webhookResult: 'webhook.receive.result.schema.json',
  contextParams: 'case.context.params.schema.json',
  contextResult: 'case.context.result.schema.json',
  classifyParams: 'case.classify.params.schema.json',
  classifyResult: 'case.classify.result.schema.json',
  shutdownParams: 'shutdown.params.schema.json',
  shutdownResult: 'shutdown.result.schema.json',
};

/** The JSON Schema dialect the published files declare (their content is also valid draft-07). */
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** A schema as published in its JSON file: `$schema` first, then the schema. */
export function schemaFileContent(name: SchemaName): string {
  return `${JSON.stringify({ $schema: SCHEMA_DIALECT, ...schemas[name] }, null, 2)}\n`;
}
