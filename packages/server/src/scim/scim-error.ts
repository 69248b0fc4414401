import { LatchError } from '@latch/core';
import { ScimError as PatchError } from 'scim-patch';
import { toErrorResponse } from '../http/error-map.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** Latch's stable error code rides in an extension of the SCIM error, beside SCIM's own scimType. */
export const LATCH_ERROR_EXTENSION = 'urn:latch:params:scim:api:messages:2.0:Error';

/** RFC 7644 §3.12 scimType values Latch answers with. */
export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

/** A refusal in SCIM's terms: HTTP status, scimType, Latch's stable code and a sentence for the admin. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly scimType?: ScimType,
  ) {
    super(message);
  }
}

export const invalidValue = (code: string, message: string) => new ScimError(400, code, message, 'invalidValue');
export const scimNotFound = (what: 'User' | 'Group' | 'Schema' | 'ResourceType', id: string) => new ScimError(404, 'NOT_FOUND', `${what} ${id} not found`);

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA, typeof LATCH_ERROR_EXTENSION];
  status: string;
  scimType?: ScimType;
  detail: string;
  [LATCH_ERROR_EXTENSION]: { code: string };
}

const SCIM_TYPE_OF: Partial<Record<string, ScimType>> = {
  VALIDATION_FAILED: 'invalidValue',
  MALFORMED_JSON: 'invalidSyntax',
  ALREADY_EXISTS: 'uniqueness',
};

/**
 * Anything thrown on a SCIM route, as SCIM's error (RFC 7644 §3.12). Latch's own errors keep their
 * status and stable code (error-map.ts); a malformed PATCH from scim-patch is a 400; anything
 * unknown is the same bare 500 as elsewhere, never a message or stack from inside.
 */
export function toScimError(error: unknown): { status: number; body: ScimErrorBody; headers?: Record<string, string> } {
  if (error instanceof ScimError) return { status: error.status, body: body(error.status, error.code, error.message, error.scimType) };
  if (error instanceof PatchError) {
    const scimType: ScimType = error.scimCode === 'noTarget' ? 'noTarget' : error.scimCode === 'invalidPath' ? 'invalidPath' : 'invalidSyntax';
    return { status: 400, body: body(400, 'SCIM_PATCH_INVALID', error.message, scimType) };
  }
  const { status, body: latch, headers } = toErrorResponse(error);
  const scimType = error instanceof LatchError || status === 400 ? SCIM_TYPE_OF[latch.error.code] : undefined;
  return { status, body: body(status, latch.error.code, latch.error.message, scimType), ...(headers ? { headers } : {}) };
}

function body(status: number, code: string, detail: string, scimType: ScimType | undefined): ScimErrorBody {
  return {
    schemas: [SCIM_ERROR_SCHEMA, LATCH_ERROR_EXTENSION],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
    [LATCH_ERROR_EXTENSION]: { code },
  };
}
