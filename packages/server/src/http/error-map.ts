import { LatchError, type ErrorCode } from '@latch/core';
import type { FastifyError } from 'fastify';
import { conflictState, unavailableReason } from '../db/transient-errors.js';

/** The one place a domain error code becomes an HTTP status. */
const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  INVALID_CURSOR: 400,
  UNKNOWN_CASE_TYPE: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  CSRF_TOKEN_INVALID: 403,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  IDEMPOTENCY_KEY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_TRANSITION: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  VERSION_REQUIRED: 428,
  RATE_LIMITED: 429,
  SELF_APPROVAL_FORBIDDEN: 403,
  ROLE_REQUIRED: 403,
  TOKEN_CANNOT_DECIDE: 403,
  NO_DELEGATION: 403,
  ALREADY_DECIDED: 409,
  TRIAGE_ALREADY_DECIDED: 409,
  NO_SUGGESTION: 409,
  PAYLOAD_CHANGED: 409,
  PAYLOAD_HASH_MISMATCH: 400,
  ACTION_NOT_PENDING: 409,
  ACTION_EXPIRED: 409,
  ACTION_NOT_ALLOWED: 400,
  DUPLICATE_ACTION: 409,
  SUBJECT_NOT_FOUND: 404,
  ERASURE_BLOCKED: 409,
  ERASED: 410,
  LOG_NOT_SIGNING: 503,
  LOG_BEHIND: 503,
  NOT_IN_LOG_YET: 409,
  APPROVER_ADMINISTERED_BY_PROPOSER: 403,
  SOD_REQUESTER: 403,
  SOD_ASSIGNEE: 403,
  SOD_FIELD_EDITOR: 403,
  SOD_SAME_TEAM: 403,
  SCOPE_NOT_HELD: 403,
  DATABASE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  EXECUTION_OUTCOME_UNKNOWN: 409,
  QUEUE_NOT_OWNED: 403,
  VERIFICATION_RUNNING: 409,
  WEBHOOK_SIGNATURE_INVALID: 400,
  WEBHOOK_REPLAYED: 400,
  WEBHOOK_TIMESTAMP_STALE: 400,
  PLUGIN_UNAVAILABLE: 503,
  CONTEXT_NOT_OFFERED: 409,
  PLUGIN_NOT_CONFIGURED: 409,
  PLUGIN_ACTION_UNKNOWN: 409,
  TOO_MANY_VIEWS: 409,
  INTAKE_ALREADY_DECIDED: 409,
  NO_REQUESTER_ADDRESS: 409,
  MAIL_NOT_CONFIGURED: 409,
  CONFIG_INVALID: 422,
  CHECKLIST_INCOMPLETE: 409,
  CHECKLIST_ITEM_ALREADY_TICKED: 409,
  PASSWORD_LOGIN_DISABLED: 403,
  SSO_NOT_CONFIGURED: 404,
  SSO_ACCESS_DENIED: 403,
  SSO_STATE_INVALID: 400,
  SSO_PROVIDER_ERROR: 502,
  SSO_ACCOUNT_DISABLED: 403,
  SSO_NOT_ENTITLED: 403,
  SSO_EMAIL_IN_USE: 409,
  SSO_CLAIMS_MISSING: 502,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  /** Response headers the error calls for (Retry-After on a 503). */
  readonly headers?: Record<string, string>;
}

/** Seconds a client is asked to wait before trying again when the database is away or busy. */
export const RETRY_AFTER_SECONDS = 2;

/**
 * Turns anything thrown into a status and a stable error body. A database that is unreachable, went
 * away mid-request, or kept deadlocking after the retries is 503 DATABASE_UNAVAILABLE with
 * Retry-After. Unknown errors become a bare 500: no message, stack or SQL from inside ever reaches a client.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  const answer = classify(error);
  return answer.status === 503 ? { ...answer, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } : answer;
}

function classify(error: unknown): ErrorResponse {
  if (error instanceof LatchError) return response(error.code, error.message, error.details);
  // Fastify's errors carry a status (a client's aborted upload says ECONNRESET too); the driver's never do.
  const fromDriver = (error as { statusCode?: unknown } | null)?.statusCode === undefined;
  if (fromDriver && unavailableReason(error) !== undefined) return response('DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly');
  if (fromDriver && conflictState(error) !== undefined) {
    return response('DATABASE_UNAVAILABLE', 'The database could not complete this write beside concurrent ones; try again shortly');
  }
  const fastify = error as Partial<FastifyError> & { validation?: { instancePath?: string; message?: string; params?: unknown }[] };
  if (fastify.validation) {
    const details = {
      context: fastify.validationContext,
      errors: fastify.validation.map((v) => ({ path: v.instancePath || '/', message: v.message ?? 'is invalid', params: v.params })),
    };
    return response('VALIDATION_FAILED', `The request ${fastify.validationContext ?? 'body'} is invalid: ${fastify.message ?? ''}`.trim(), details);
  }
  const status = fastify.statusCode ?? 500;
  if (status === 413) return response('PAYLOAD_TOO_LARGE', 'The request body is too large');
  if (status === 415) return response('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type');
  if (status >= 400 && status < 500) {
    const json = fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fastify.name === 'SyntaxError' || /JSON/i.test(fastify.code ?? '');
    return response(json ? 'MALFORMED_JSON' : 'VALIDATION_FAILED', json ? 'The request body is not valid JSON' : (fastify.message ?? 'Bad request'));
  }
  return response('INTERNAL', 'Internal error; it has been logged');
}

function response(code: ErrorCode, message: string, details?: unknown): ErrorResponse {
  return { status: STATUS[code], body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}

/** Every error code with its status, for the OpenAPI description and the docs. */
export const ERROR_STATUSES: Readonly<Record<ErrorCode, number>> = STATUS;
