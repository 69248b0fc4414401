// First, so that under a host console output is kept off stdout before any plugin code runs.
export * from './stdout-guard.js';
export * from './types.js';
export * from './from-schema.js';
export * from './failure.js';
export * from './connect.js';
export * from './define-plugin.js';
export * from './test-plugin.js';
// The protocol pieces a plugin author needs, so a plugin depends on the SDK alone.
export { PROTOCOL_VERSION, RpcError, RpcErrorCode, validateSchema } from '@latch/protocol';
export type { Capabilities, CaseContext, ClassifyChoice, ClassifyEvidence, ClassifyParams, ClassifyResult, ConfigEntry, ContextFact, ContextParams, ContextResult, FactKind, ExecuteResult, ExternalExchange, JsonSchema, ListedAction, Manifest, ReconcileResult, SchemaProblem, WebhookParams, WebhookResult } from '@latch/protocol';
