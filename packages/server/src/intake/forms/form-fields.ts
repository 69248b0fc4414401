import type { CaseType } from '../../case-types/registry.js';
import { isStorableText } from '../../http/json-body.js';

/** One input of a form page: a built-in (subject, message, name, email) or a field of the case type. */
export interface FormField {
  /** The input's name in the post: built-ins as they are, the type's fields as `field.<key>`. */
  readonly name: string;
  readonly label: string;
  readonly kind: 'text' | 'email' | 'number' | 'select' | 'textarea';
  readonly required: boolean;
  readonly maxLength: number;
  readonly options?: readonly string[];
}

/** The hidden input only bots fill in. Named to be tempting; people never see it. */
export const HONEYPOT = 'website';
const FIELD_PREFIX = 'field.';
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

const BUILT_IN: readonly FormField[] = [
  { name: 'name', label: 'Your name', kind: 'text', required: false, maxLength: 200 },
  { name: 'email', label: 'Your email', kind: 'email', required: false, maxLength: 254 },
  { name: 'subject', label: 'Subject', kind: 'text', required: true, maxLength: 200 },
  { name: 'message', label: 'Message', kind: 'textarea', required: false, maxLength: 20_000 },
];

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  format?: string;
  maxLength?: number;
  'x-label'?: string;
}

/** The inputs of a form for a case type: the built-ins, then every field of its schema, labelled by `x-label`. */
export function formFields(type: CaseType): FormField[] {
  const schema = type.definition.fields as { properties?: Record<string, PropertySchema>; required?: string[] };
  const required = new Set(schema.required ?? []);
  const typed = Object.entries(schema.properties ?? {}).map(([key, property]): FormField => {
    const options = property.enum?.map(String);
    const kind = options ? 'select' : property.type === 'integer' || property.type === 'number' ? 'number' : property.format === 'email' ? 'email' : 'text';
    return { name: `${FIELD_PREFIX}${key}`, label: property['x-label'] ?? key, kind, required: required.has(key), maxLength: property.maxLength ?? 1000, ...(options ? { options } : {}) };
  });
  return [...BUILT_IN, ...typed];
}

/** What a post said, read against its form: the values to show again, and an error per input. */
export interface FormReading {
  readonly values: ReadonlyMap<string, string>;
  readonly errors: ReadonlyMap<string, string>;
  readonly honeypot: boolean;
  readonly subject: string;
  readonly message: string;
  readonly requester: { readonly email?: string; readonly name?: string } | undefined;
  readonly fields: Record<string, unknown>;
}

/** Reads a form post: typed values for the case's fields, checked by the type's own schema, and a message per wrong input. */
export function readSubmission(type: CaseType, inputs: readonly FormField[], post: URLSearchParams): FormReading {
  const values = new Map<string, string>();
  const errors = new Map<string, string>();
  const fields: Record<string, unknown> = {};
  for (const input of inputs) {
    const value = (post.get(input.name) ?? '').trim();
    values.set(input.name, value);
    if (value === '') {
      if (input.required) errors.set(input.name, `${input.label} is required`);
      continue;
    }
    if (!isStorableText(value)) errors.set(input.name, `${input.label} contains characters that cannot be stored`);
    else if (value.length > input.maxLength) errors.set(input.name, `${input.label} must be at most ${input.maxLength} characters`);
    else if (input.kind === 'email' && !EMAIL.test(value)) errors.set(input.name, `${input.label} must be an email address`);
    else if (input.options && !input.options.includes(value)) errors.set(input.name, `${input.label} must be one of the choices`);
    else if (input.kind === 'number' && !/^-?\d{1,15}$/.test(value)) errors.set(input.name, `${input.label} must be a whole number`);
    else if (input.name.startsWith(FIELD_PREFIX)) fields[input.name.slice(FIELD_PREFIX.length)] = input.kind === 'number' ? Number(value) : value;
  }
  if (!type.validateFields(fields)) {
    for (const error of type.validateFields.errors ?? []) {
      const key = error.keyword === 'required' ? String(error.params.missingProperty) : error.instancePath.split('/')[1];
      const input = inputs.find((i) => i.name === `${FIELD_PREFIX}${key}`);
      if (input && !errors.has(input.name)) errors.set(input.name, `${input.label} ${error.keyword === 'pattern' ? 'is not in the expected format' : (error.message ?? 'is not valid')}`);
    }
  }
  const email = values.get('email');
  const name = values.get('name');
  return {
    values,
    errors,
    honeypot: (post.get(HONEYPOT) ?? '') !== '',
    subject: values.get('subject') ?? '',
    message: values.get('message') ?? '',
    requester: email && !errors.has('email') ? { email, ...(name ? { name } : {}) } : undefined,
    fields,
  };
}
