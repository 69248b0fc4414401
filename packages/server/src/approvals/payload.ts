import { canonicalJson, personal, personalProperties, sha256Hex, type Json } from '@latch/core';

/** The exact payload an approval is bound to: which case, which plugin action, with which input. */
export function payloadOf(caseId: string, plugin: string, action: string, input: Json): { canonical: string; hash: string } {
  const canonical = canonicalJson({ case: caseId, plugin, action, input });
  return { canonical, hash: sha256Hex(canonical) };
}

/** The input as recorded in events: properties the input schema marks personal become commitments. */
export function recordedInput(input: Record<string, Json>, schema: Record<string, unknown>): Record<string, unknown> {
  const personalNames = personalProperties(schema);
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, personalNames.has(k) ? personal(v) : v]));
}
