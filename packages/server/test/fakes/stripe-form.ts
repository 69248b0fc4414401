// Stripe's form encoding and its parameter checks against the OpenAPI spec, for the fake Stripe API.

/** Form parameters decoded Stripe-style: `metadata[k]=v` becomes `{metadata: {k: v}}`. */
export type FormParams = { [name: string]: string | FormParams };
export type Schema = { type?: string; enum?: unknown[]; maxLength?: number; anyOf?: Schema[]; properties?: Record<string, Schema>; additionalProperties?: boolean | Schema; items?: Schema };
type Json = Record<string, unknown>;

/** An error Stripe would answer, with its HTTP status. */
export class StripeApiError extends Error {
  constructor(readonly status: number, readonly error: Json) { super(String(error.message)); }
}
export const invalid = (message: string, param?: string, code?: string, status = 400) =>
  new StripeApiError(status, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) });

/** Decodes a form body the way Stripe does (`a[b]=1`, `a[]=1`, `a[0]=1`). */
export function parseForm(body: string): FormParams {
  const out: FormParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) throw invalid(`Invalid parameter name: ${key}`, key);
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((s) => s[1]!)];
    let node = out;
    path.forEach((seg, i) => {
      const k = seg === '' ? String(Object.keys(node).length) : seg;
      if (i === path.length - 1) node[k] = value;
      else {
        const next = node[k];
        node = typeof next === 'object' ? next : (node[k] = {});
      }
    });
  }
  return out;
}

/** Checks a decoded parameter against its OpenAPI schema, throwing Stripe's error for the first problem. */
export function check(name: string, schema: Schema, value: string | FormParams): void {
  const sub = (k: string) => (name ? `${name}[${k}]` : k);
  if (schema.anyOf) {
    const fits = schema.anyOf.some((s) => { try { check(name, s, value); return true; } catch { return false; } });
    if (!fits) throw invalid(`Invalid value for ${name}.`, name);
    return;
  }
  const shown = typeof value === 'string' ? value : 'object';
  if (schema.type === 'integer' && !(typeof value === 'string' && /^-?\d+$/.test(value))) throw invalid(`Invalid integer: ${shown}`, name, 'parameter_invalid_integer');
  if (schema.type === 'boolean' && value !== 'true' && value !== 'false') throw invalid(`Invalid boolean: ${shown}`, name);
  if (schema.type === 'string') {
    if (typeof value !== 'string') throw invalid(`Invalid string: ${name} must be a string`, name, 'parameter_invalid_string');
    if (schema.maxLength !== undefined && value.length > schema.maxLength) throw invalid(`Invalid string: must be at most ${schema.maxLength} characters`, name, 'parameter_invalid_string');
  }
  if (schema.enum && !schema.enum.includes(value)) throw invalid(`Invalid ${name}: must be one of ${schema.enum.join(', ')}`, name);
  if (schema.type === 'object' || schema.type === 'array') {
    if (typeof value !== 'object') throw invalid(`Invalid ${schema.type}`, name);
    for (const [k, v] of Object.entries(value)) {
      const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      const s = schema.type === 'array' ? (schema.items ?? {}) : (schema.properties?.[k] ?? extra);
      if (!s) throw invalid(`Received unknown parameter: ${sub(k)}`, sub(k), 'parameter_unknown');
      check(sub(k), s, v);
    }
  }
}
