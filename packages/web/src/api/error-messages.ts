import type { ErrorCode as ServerErrorCode } from '@latch/core';

export type ErrorCode = ServerErrorCode;

/**
 * The one place an API error code becomes a sentence a person understands. Typed by the server's
 * own list of codes: a new code fails the console's type check until it has its sentence here.
 */
export const ERROR_SENTENCES: Record<ErrorCode | 'NETWORK' | 'UNEXPECTED', string> = {
  VALIDATION_FAILED: 'Some of what you entered is not valid. Check the highlighted values and try again.',
  MALFORMED_JSON: 'The console sent a request the server could not read. Reload the page and try again.',
  UNSUPPORTED_MEDIA_TYPE: 'The server does not accept this kind of content here.',
  PAYLOAD_TOO_LARGE: 'This is too large to send. Try a smaller file or shorter text.',
  INVALID_CURSOR: 'The list moved on since it was loaded. Reload it to start from the top.',
  INVALID_TRANSITION: 'The case cannot move to that status from where it is now.',
  UNKNOWN_CASE_TYPE: 'This case type is not defined on this server.',
  NOT_FOUND: 'This does not exist, or you are not allowed to see it.',
  UNAUTHENTICATED: 'Your session has ended. Log in again to continue.',
  INVALID_CREDENTIALS: 'The email or password is wrong, or the account is disabled.',
  CSRF_TOKEN_INVALID: 'Your session could not be confirmed. Reload the page and try again.',
  PERMISSION_DENIED: 'You do not have permission to do this.',
  VERSION_CONFLICT: 'Someone else changed this while you were editing. Your changes are kept below; review theirs and save again.',
  VERSION_REQUIRED: 'The console did not say which version it changed. Reload the page and try again.',
  IDEMPOTENCY_KEY_REUSED: 'This request was already sent with different content.',
  IDEMPOTENCY_KEY_IN_PROGRESS: 'The same request is still being processed. Wait a moment.',
  ALREADY_EXISTS: 'This already exists.',
  RATE_LIMITED: 'Too many attempts. Wait a few minutes and try again.',
  SELF_APPROVAL_FORBIDDEN: 'You proposed this action, so someone else must approve or deny it.',
  ROLE_REQUIRED: 'This approval step needs a role or team you do not have.',
  TOKEN_CANNOT_DECIDE: 'API tokens cannot approve or deny actions. A person must decide in the console.',
  ALREADY_DECIDED: 'You have already decided on this action in this round.',
  PAYLOAD_CHANGED: 'The action changed after you opened it. Review the new payload before you decide.',
  PAYLOAD_HASH_MISMATCH: 'The payload hash sent with this decision is not the hash of any version of this action. Reload the action and decide on what it shows.',
  ACTION_NOT_PENDING: 'This action is no longer waiting for a decision.',
  ACTION_EXPIRED: 'The time to decide on this action has run out.',
  ACTION_NOT_ALLOWED: 'This case type does not allow that action.',
  NO_DELEGATION: 'No one has delegated their approvals to you for this.',
  DUPLICATE_ACTION: 'The same action is already proposed on this case.',
  SUBJECT_NOT_FOUND: 'There is no personal data on record for this person.',
  ERASURE_BLOCKED: 'An action on this person’s cases is still pending or running; finish it before erasing.',
  ERASED: 'This was erased at the request of the person it concerned.',
  LOG_NOT_SIGNING: 'The audit log has no signing key configured, so no proof can be produced yet.',
  LOG_BEHIND: 'The audit log is catching up. Try again in a moment.',
  NOT_IN_LOG_YET: 'This event is not in the audit log yet. Try again in a moment.',
  DATABASE_UNAVAILABLE: 'The database is unavailable right now. Nothing was changed; try again shortly.',
  SHUTTING_DOWN: 'The server is restarting. Try again in a moment.',
  APPROVER_ADMINISTERED_BY_PROPOSER: 'The proposer recently administered your account, so you may not approve their action.',
  SOD_REQUESTER: 'You (or the person you act for) asked for this case, and this step needs an approver who did not.',
  SOD_ASSIGNEE: 'You (or the person you act for) are assigned this case, and this step needs an approver who is not.',
  SOD_FIELD_EDITOR: 'You (or the person you act for) set a case field this action uses, so someone else must approve it.',
  SOD_SAME_TEAM: 'This step needs an approver from a different team than the proposer’s.',
  SCOPE_NOT_HELD: 'Your access does not include this permission.',
  EXECUTION_OUTCOME_UNKNOWN: 'It is not known whether the external system acted. Check it before retrying.',
  QUEUE_NOT_OWNED: 'None of your teams works this queue, so you could not see the case afterwards.',
  VERIFICATION_RUNNING: 'A verification of the whole log is already running. Wait for it to finish, then try again.',
  WEBHOOK_SIGNATURE_INVALID: 'The webhook delivery could not be verified, so it was ignored.',
  WEBHOOK_REPLAYED: 'This webhook event was already received, so it was ignored.',
  WEBHOOK_TIMESTAMP_STALE: 'The webhook delivery was signed more than five minutes ago (or ahead), so it was held in quarantine instead.',
  PLUGIN_UNAVAILABLE: 'The plugin is not answering right now. Try again shortly.',
  CONTEXT_NOT_OFFERED: 'No plugin gives context on cases of this type, so there is nothing to refresh.',
  PLUGIN_NOT_CONFIGURED: 'The plugin for this action is not configured on this server, so the action could never run. Ask an administrator to configure it.',
  PLUGIN_ACTION_UNKNOWN: 'The plugin configured on this server does not offer this action, so it could never run. Ask an administrator.',
  TOO_MANY_VIEWS: 'You have as many saved views as you may keep. Delete one before saving another.',
  INTAKE_ALREADY_DECIDED: 'This quarantined item was already released or discarded by someone else. Reload the list.',
  NO_REQUESTER_ADDRESS: 'This case has no requester email address, so there is no one to reply to.',
  CHECKLIST_INCOMPLETE: 'The case’s checklist comes first: tick the items this action needs, then propose it.',
  CHECKLIST_ITEM_ALREADY_TICKED: 'Someone already ticked this item. Reload the case to see who and when.',
  CONFIG_INVALID: 'The configuration does not pass the check; the running configuration stays in force.',
  MAIL_NOT_CONFIGURED: 'Outgoing mail is not configured on this server. Ask an administrator to set LATCH_NOTIFY_SMTP_URL.',
  TRIAGE_ALREADY_DECIDED: 'Someone already triaged this case. Reload it to see their decision.',
  NO_SUGGESTION: 'There is no suggestion to accept: choose the type, queue and priority yourself.',
  INTERNAL: 'Something went wrong on the server. Nothing you did caused it; try again, and tell an administrator if it persists.',
  NETWORK: 'The server could not be reached. Check your connection and try again.',
  UNEXPECTED: 'The server gave an unexpected answer. Try again.',
};

/** The sentence for an error: by its code when it has one, a generic one otherwise. */
export function sentenceFor(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && Object.hasOwn(ERROR_SENTENCES, code)) return ERROR_SENTENCES[code as keyof typeof ERROR_SENTENCES];
  return ERROR_SENTENCES.UNEXPECTED;
}
