/**
 * A small JSON Schema validator for the subset plugin manifests and protocol messages use, so
 * neither the protocol nor the SDK needs a runtime dependency. Supported assertions:
 *
 *   type (one or a list; "integer" means a whole number), enum, const, required, properties,
 *   additionalProperties (false or a schema), items (one schema for every element), minItems,
 *   maxItems, pattern (ECMA-262, unanchored, like JSON Schema), minLength/maxLength (in code
 *   points), minimum/maximum (inclusive), and boolean schemas (true/false).
 *
 * Annotations (title, description, default, examples, format, $schema, $id, $comment, deprecated,
 * readOnly, writeOnly, x-*) are accepted and not checked: `format` is an annotation in 2020-12
 * too. Anything else ($ref, oneOf, anyOf, allOf, not, if/then/else, multipleOf, exclusive*,
 * patternProperties, uniqueItems, …) is NOT implemented: `unsupportedKeywords` finds them so a
 * caller can refuse such a schema rather than silently accept input it never checked.
 */

/** JSON Schema's primitive type names. */
export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** A JSON Schema object (draft 2020-12); the keywords listed are the ones `validateSchema` checks. */
export interface JsonSchema {
  type?: JsonType | readonly JsonType[];
  enum?: readonly unknown[];
  const?: unknown;
  required?: readonly string[];
  properties?: { readonly [name: string]: JsonSchema | boolean };
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema | boolean;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  title?: string;
  description?: string;
  [keyword: string]: unknown;
}

/** One reason a value does not match: `path` is a JSON Pointer into the value ("" is the value itself). */
export interface SchemaProblem {
  path: string;
  message: string;
}

const CHECKED = new Set(['type', 'enum', 'const', 'required', 'properties', 'additionalProperties', 'items', 'minItems', 'maxItems', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum']);
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', 'format', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly']);

/** Every problem with `value` against `schema` (empty when it matches). */
export function validateSchema(schema: JsonSchema | boolean, value: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  check(schema, value, '', problems);
  return problems;
}

/** JSON Pointers (from "#") of keywords `validateSchema` would ignore but should assert, and of patterns that do not compile. */
export function unsupportedKeywords(schema: JsonSchema | boolean, at = '#'): string[] {
  if (typeof schema === 'boolean') return [];
  const found: string[] = [];
  for (const [keyword, sub] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword) || keyword.startsWith('x-')) continue;
    if (!CHECKED.has(keyword)) found.push(`${at}/${keyword}`);
    else if (keyword === 'pattern' && !compiles(sub)) found.push(`${at}/pattern`);
    else if (keyword === 'properties' && isObject(sub)) {
      for (const [name, prop] of Object.entries(sub)) found.push(...unsupportedKeywords(prop as JsonSchema, `${at}/properties/${escape(name)}`));
    } else if ((keyword === 'items' || keyword === 'additionalProperties') && (isObject(sub) || typeof sub === 'boolean')) {
      found.push(...unsupportedKeywords(sub as JsonSchema, `${at}/${keyword}`));
    }
  }
  return found;
}

/** One line per problem, for error messages and logs. */
export function formatProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ');
}

function check(schema: JsonSchema | boolean, value: unknown, path: string, out: SchemaProblem[]): void {
  if (schema === true) return;
  if (schema === false) {
    out.push({ path, message: 'is not allowed' });
    return;
  }
  if (schema.type !== undefined) {
    const types: readonly JsonType[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    // A value of the wrong type makes every other keyword's message noise: stop here.
    if (!types.some((t) => hasType(value, t))) {
      out.push({ path, message: `must be ${types.join(' or ')}` });
      return;
    }
  }
  if ('const' in schema && !deepEqual(value, schema.const)) out.push({ path, message: `must be ${JSON.stringify(schema.const)}` });
  if (schema.enum && !schema.enum.some((e) => deepEqual(value, e))) {
    out.push({ path, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof value === 'string') checkString(schema, value, path, out);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push({ path, message: `must be >= ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) out.push({ path, message: `must be <= ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push({ path, message: `must have at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push({ path, message: `must have at most ${schema.maxItems} items` });
    const items = schema.items;
    if (items !== undefined) value.forEach((item, i) => check(items, item, `${path}/${i}`, out));
  }
  if (isObject(value)) checkObject(schema, value, path, out);
}

function checkString(schema: JsonSchema, value: string, path: string, out: SchemaProblem[]): void {
  // JSON Schema counts characters as code points, not UTF-16 units.
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) out.push({ path, message: `must be at least ${schema.minLength} characters` });
  if (schema.maxLength !== undefined && length > schema.maxLength) out.push({ path, message: `must be at most ${schema.maxLength} characters` });
  if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) out.push({ path, message: `must match ${schema.pattern}` });
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string, out: SchemaProblem[]): void {
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(value, name)) out.push({ path: `${path}/${escape(name)}`, message: 'is required' });
  }
  const properties = schema.properties ?? {};
  for (const [name, item] of Object.entries(value)) {
    const sub = Object.hasOwn(properties, name) ? properties[name] : schema.additionalProperties;
    if (sub === false && !Object.hasOwn(properties, name)) out.push({ path: `${path}/${escape(name)}`, message: 'is not an allowed property' });
    else if (sub !== undefined) check(sub, item, `${path}/${escape(name)}`, out);
  }
}

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

const regexCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let compiled = regexCache.get(pattern);
  if (!compiled) {
    compiled = new RegExp(pattern, 'u');
    regexCache.set(pattern, compiled);
  }
  return compiled;
}

function compiles(pattern: unknown): boolean {
  try {
    return typeof pattern === 'string' && regex(pattern) instanceof RegExp;
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values (key order ignored), as `enum` and `const` require. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function escape(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
