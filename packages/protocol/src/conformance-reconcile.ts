import { ensure } from './conformance-util.js';
import { schemas } from './schemas/index.js';
import type { Capabilities, ExecuteParams, Manifest, ReconcileParams, ReconcileResult } from './types.js';

// The checks of the optional `reconcile` capability (docs/plugin-protocol.md, "action.reconcile").

/** The capabilities are valid and name only actions of the manifest; returns a detail for the report. */
export function checkCapabilities(capabilities: Capabilities | undefined, manifest: Manifest | undefined): string {
  const details = [checkContextTypes(capabilities, manifest)].filter((d): d is string => d !== undefined);
  const reconcile = capabilities?.reconcile;
  if (!reconcile) return details.length > 0 ? details.join('; ') : 'none offered';
  const declared = new Set(manifest?.actions.map((a) => a.name));
  const unknown = reconcile.actions.filter((name) => !declared.has(name));
  if (unknown.length > 0) throw new Error(`reconcile names actions the manifest does not declare: ${unknown.join(', ')}`);
  return [`reconcile v${reconcile.version} for ${reconcile.actions.join(', ') || 'no action'}`, ...details].join('; ');
}

/** `context` may only name case types the plugin sees (the manifest's `caseTypes`, or any with `*`). */
function checkContextTypes(capabilities: Capabilities | undefined, manifest: Manifest | undefined): string | undefined {
  const context = capabilities?.context;
  if (!context) return undefined;
  const sees = manifest?.caseTypes ?? [];
  const unseen = sees.includes('*') ? [] : context.caseTypes.filter((type) => !sees.includes(type));
  if (unseen.length > 0) throw new Error(`context names case types the manifest's caseTypes do not include: ${unseen.join(', ')}`);
  return `context v${context.version} for ${context.caseTypes.join(', ')}`;
}

/**
 * With `reconcile` offered for the action under test: a request that never ran is `{found: false}`,
 * and the execute that just succeeded is found, with a valid result. A plugin that says "not found"
 * for an effect it made would let the host act twice.
 */
export async function checkReconcile(
  capabilities: Capabilities | undefined,
  executed: { params: ExecuteParams; status: string } | undefined,
  call: (params: ReconcileParams) => Promise<unknown>,
): Promise<string> {
  if (!executed) throw new Error('no successful execute to reconcile (see the checks above)');
  const { params } = executed;
  if (!capabilities?.reconcile?.actions.includes(params.action)) return `not offered for ${params.action}`;
  const base = { action: params.action, input: params.input, case: params.case };
  const never = await call({ ...base, requestId: `${params.requestId}-never-executed`, idempotencyKeys: [`${params.idempotencyKey}-never-executed`] });
  const unknown = ensure<ReconcileResult>(schemas.reconcileResult, never, 'reconcile result for a request that never ran');
  if (unknown.found) throw new Error('a request that never ran was reported found');
  if (executed.status !== 'succeeded') return 'a request that never ran is not found (the execute did not succeed, so finding it was not checked)';
  const found = ensure<ReconcileResult>(schemas.reconcileResult, await call({ ...base, requestId: params.requestId, idempotencyKeys: [params.idempotencyKey] }), 'reconcile result');
  if (!found.found) throw new Error(`the execute of request ${params.requestId} succeeded, but reconcile did not find it`);
  ensure(schemas.executeResult, found.result, 'the reconciled result');
  return `finds request ${params.requestId} (${found.result.status}) and not one that never ran`;
}
