import { ensure } from './conformance-util.js';
import { schemas } from './schemas/index.js';
import type { Capabilities, CaseContext, ContextParams, ContextResult, Manifest } from './types.js';

// The check of the optional `context` capability (docs/plugin-protocol.md, "case.context").

/**
 * With `context` offered: asked about a case of a type it offers context for, the plugin answers
 * facts that match the schema (bounded, text only) within the deadline. A plugin without the
 * capability passes: it is optional.
 */
export async function checkContext(
  capabilities: Capabilities | undefined,
  manifest: Manifest | undefined,
  testCase: CaseContext | undefined,
  call: (params: ContextParams) => Promise<unknown>,
): Promise<string> {
  const context = capabilities?.context;
  if (!context) return 'not offered';
  const caseType = testCase?.type ?? context.caseTypes.find((t) => t !== '*') ?? manifest?.caseTypes.find((t) => t !== '*') ?? 'conformance';
  const allowed = new Set(manifest?.caseFields ?? []);
  const fields = Object.fromEntries(Object.entries(testCase?.fields ?? {}).filter(([name]) => allowed.has(name)));
  const result = ensure<ContextResult>(schemas.contextResult, await call({ caseId: testCase?.id ?? 'conformance-case', caseType, fields }), 'case.context result');
  if (Number.isNaN(Date.parse(result.fetchedAt))) throw new Error(`fetchedAt is not a time: ${result.fetchedAt}`);
  return `context v${context.version}: ${result.facts.length} fact(s) for a ${caseType} case`;
}
