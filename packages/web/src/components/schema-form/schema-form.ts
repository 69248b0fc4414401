import type { JsonSchema } from '../../api/types';

/** How one property of a flat object schema is edited. */
export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly required: boolean;
  readonly control: 'text' | 'email' | 'integer' | 'number' | 'select' | 'checkbox' | 'json';
  readonly options?: readonly string[];
  readonly schema: JsonSchema;
}

/** What the user typed, per property: text for inputs, a boolean for checkboxes. */
export type RawValues = Record<string, string | boolean>;

/** Labels of a schema's properties by name (e.g. a case type's fields, for an action input of the same names). */
export const labelsOf = (schema: JsonSchema | undefined): Record<string, string> =>
  Object.fromEntries(fieldsOf(schema ?? {}).map((field) => [field.name, field.label]));

const typeOf = (schema: JsonSchema) => (Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type);

/**
 * The controls for an object schema's properties. Case types use flat schemas (strings, numbers,
 * booleans, enums); anything nested is edited as JSON text rather than refused.
 */
export function fieldsOf(schema: JsonSchema, labels: Record<string, string> = {}): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const type = typeOf(property);
    const control: FieldSpec['control'] = property.enum
      ? 'select'
      : type === 'boolean'
        ? 'checkbox'
        : type === 'integer'
          ? 'integer'
          : type === 'number'
            ? 'number'
            : type === 'string'
              ? property.format === 'email'
                ? 'email'
                : 'text'
              : 'json';
    return {
      name,
      label: property['x-label'] ?? property.title ?? labels[name] ?? name.replace(/_/g, ' '),
      required: required.has(name),
      control,
      ...(property.enum ? { options: property.enum.map(String) } : {}),
      schema: property,
    };
  });
}

/** Raw form values from a JSON object (a suggestion, or the case's own fields). */
export function rawFrom(fields: readonly FieldSpec[], source: Record<string, unknown> | null | undefined): RawValues {
  const raw: RawValues = {};
  for (const field of fields) {
    const value = source?.[field.name] ?? field.schema.default;
    if (field.control === 'checkbox') raw[field.name] = value === true;
    else if (value === undefined || value === null) raw[field.name] = '';
    else raw[field.name] = field.control === 'json' ? JSON.stringify(value) : String(value);
  }
  return raw;
}

/**
 * The typed object a form stands for, and a sentence for each value that can't be right. The
 * server validates again; this only tells the user sooner, next to the field.
 */
export function valuesFrom(fields: readonly FieldSpec[], raw: RawValues): { value: Record<string, unknown>; errors: Record<string, string> } {
  const value: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const input = raw[field.name];
    if (field.control === 'checkbox') {
      value[field.name] = input === true;
      continue;
    }
    const typed = typeof input === 'string' ? input.trim() : '';
    if (typed === '') {
      if (field.required) errors[field.name] = `${field.label} is required`;
      continue;
    }
    const problem = check(field, typed, (parsed) => (value[field.name] = parsed));
    if (problem) errors[field.name] = problem;
  }
  return { value, errors };
}

function check(field: FieldSpec, typed: string, accept: (parsed: unknown) => void): string | undefined {
  const { schema, label } = field;
  if (field.control === 'integer' || field.control === 'number') {
    const number = Number(typed);
    if (!Number.isFinite(number) || (field.control === 'integer' && !Number.isInteger(number))) return `${label} must be a ${field.control === 'integer' ? 'whole number' : 'number'}`;
    if (schema.minimum !== undefined && number < schema.minimum) return `${label} must be at least ${schema.minimum}`;
    if (schema.maximum !== undefined && number > schema.maximum) return `${label} must be at most ${schema.maximum}`;
    accept(number);
    return undefined;
  }
  if (field.control === 'json') {
    try {
      accept(JSON.parse(typed));
      return undefined;
    } catch {
      return `${label} must be valid JSON`;
    }
  }
  if (field.options && !field.options.includes(typed)) return `${label} must be one of ${field.options.join(', ')}`;
  if (schema.minLength !== undefined && typed.length < schema.minLength) return `${label} needs at least ${schema.minLength} characters`;
  if (schema.maxLength !== undefined && typed.length > schema.maxLength) return `${label} allows at most ${schema.maxLength} characters`;
  if (schema.pattern !== undefined && !safeTest(schema.pattern, typed)) return `${label} is not in the expected form`;
  accept(typed);
  return undefined;
}

/** A pattern this browser can't compile is left to the server to check. */
function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return true;
  }
}
