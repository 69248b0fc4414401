/**
 * Domain errors. The core throws these; the HTTP layer maps each `code` to a status once
 * (packages/server/src/http/error-map.ts). Codes are part of the public contract.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_CURSOR'
  | 'INVALID_TRANSITION'
  | 'UNKNOWN_CASE_TYPE'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'INVALID_CREDENTIALS'
  | 'CSRF_TOKEN_INVALID'
  | 'PERMISSION_DENIED'
  | 'VERSION_CONFLICT'
  | 'VERSION_REQUIRED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_PROGRESS'
  | 'ALREADY_EXISTS'
  | 'RATE_LIMITED'
  | 'SELF_APPROVAL_FORBIDDEN'
  | 'ROLE_REQUIRED'
  | 'TOKEN_CANNOT_DECIDE'
  | 'ALREADY_DECIDED'
  | 'PAYLOAD_CHANGED'
  | 'PAYLOAD_HASH_MISMATCH'
  | 'ACTION_NOT_PENDING'
  | 'ACTION_EXPIRED'
  | 'ACTION_NOT_ALLOWED'
  | 'NO_DELEGATION'
  | 'DUPLICATE_ACTION'
  | 'SUBJECT_NOT_FOUND'
  | 'ERASURE_BLOCKED'
  | 'ERASED'
  | 'LOG_NOT_SIGNING'
  | 'LOG_BEHIND'
  | 'NOT_IN_LOG_YET'
  | 'DATABASE_UNAVAILABLE'
  | 'SHUTTING_DOWN'
  | 'APPROVER_ADMINISTERED_BY_PROPOSER'
  | 'SOD_REQUESTER'
  | 'SOD_ASSIGNEE'
  | 'SOD_FIELD_EDITOR'
  | 'SOD_SAME_TEAM'
  | 'SCOPE_NOT_HELD'
  | 'EXECUTION_OUTCOME_UNKNOWN'
  | 'QUEUE_NOT_OWNED'
  | 'VERIFICATION_RUNNING'
  | 'WEBHOOK_SIGNATURE_INVALID'
  | 'WEBHOOK_REPLAYED'
  | 'WEBHOOK_TIMESTAMP_STALE'
  | 'PLUGIN_UNAVAILABLE'
  | 'CONTEXT_NOT_OFFERED'
  | 'PLUGIN_NOT_CONFIGURED'
  | 'PLUGIN_ACTION_UNKNOWN'
  | 'TOO_MANY_VIEWS'
  | 'INTAKE_ALREADY_DECIDED'
  | 'NO_REQUESTER_ADDRESS'
  | 'MAIL_NOT_CONFIGURED'
  | 'CONFIG_INVALID'
  | 'TRIAGE_ALREADY_DECIDED'
  | 'NO_SUGGESTION'
  | 'CHECKLIST_INCOMPLETE'
  | 'CHECKLIST_ITEM_ALREADY_TICKED'
  | 'PASSWORD_LOGIN_DISABLED'
  | 'SSO_NOT_CONFIGURED'
  | 'SSO_ACCESS_DENIED'
  | 'SSO_STATE_INVALID'
  | 'SSO_PROVIDER_ERROR'
  | 'SSO_ACCOUNT_DISABLED'
  | 'SSO_NOT_ENTITLED'
  | 'SSO_EMAIL_IN_USE'
  | 'SSO_CLAIMS_MISSING'
  | 'INTERNAL';

export class LatchError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export class ValidationError extends LatchError {
  constructor(message: string, details?: unknown) {
    super('VALIDATION_FAILED', message, details);
  }
}

export class NotFoundError extends LatchError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class ConflictError extends LatchError {}

export class ForbiddenError extends LatchError {
  constructor(message = 'You do not have permission to do this', details?: unknown) {
    super('PERMISSION_DENIED', message, details);
  }
}

export class InvalidTransitionError extends LatchError {
  constructor(from: string, to: string, allowed: readonly string[]) {
    super('INVALID_TRANSITION', `Status cannot change from '${from}' to '${to}'`, { from, to, allowed });
  }
}

export class UnknownCaseTypeError extends LatchError {
  constructor(key: string) {
    super('UNKNOWN_CASE_TYPE', `Case type '${key}' is not defined`);
  }
}
