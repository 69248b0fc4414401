import { personal, ValidationError, type Json } from '@latch/core';
import type { ErrorObject } from 'ajv';
import type { CaseType } from '../case-types/registry.js';

/** Validates typed fields against the case type's schema (defaults applied to a copy). */
export function validFields(type: CaseType, fields: Record<string, unknown>): Record<string, Json> {
  const copy = structuredClone(fields);
  if (!type.validateFields(copy)) {
    throw new ValidationError(`Fields do not match case type '${type.definition.key}' version ${type.definition.version}`, {
      errors: describeErrors(type.validateFields.errors ?? []),
    });
  }
  return copy as Record<string, Json>;
}

/**
 * As validFields, but a required field may be missing: for cases opened by intake (an email carries
 * no amount). The type's other rules still apply, and editing the fields later checks them all.
 */
export function validPartialFields(type: CaseType, fields: Record<string, unknown>): Record<string, Json> {
  const copy = structuredClone(fields);
  if (type.validateFields(copy)) return copy as Record<string, Json>;
  const errors = (type.validateFields.errors ?? []).filter((e) => !(e.keyword === 'required' && e.instancePath === ''));
  if (errors.length > 0) {
    throw new ValidationError(`Fields do not match case type '${type.definition.key}' version ${type.definition.version}`, { errors: describeErrors(errors) });
  }
  return copy as Record<string, Json>;
}

/** Ajv errors as `{path, message}` a client can show next to a field. */
export function describeErrors(errors: readonly ErrorObject[]): { path: string; message: string }[] {
  return errors.map((e) => ({
    path: e.instancePath || (e.params && 'missingProperty' in e.params ? `/${String(e.params.missingProperty)}` : '/'),
    message: e.message ?? 'is invalid',
  }));
}

/** The field values as they go into an event: personal fields become commitments. */
export function recordedFields(fields: Record<string, Json>, personalFields: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, personalFields.has(key) ? personal(value) : value]));
}
