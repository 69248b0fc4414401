/**
 * One plain-text line per event, so the API, the console, the CLI and an evidence bundle's
 * story.txt tell the same story. Deterministic and pure: the same event and names always give the
 * same line.
 *
 * Lines are written from the hashed body, where personal data is a commitment: they never quote a
 * personal value (a title, a note, a refusal's message), so the line is the same before and after
 * an erasure, and the same in the API and in a bundle.
 *
 * Adding an event kind is one entry in LINES.
 */
import { commitmentOf } from './personal-data.js';
import type { Actor } from './event.js';
import { actorPhrase, oneLine, personName, type NameLookup } from './present-event-actor.js';
import { findAmounts, type PresentedAmount } from './present-event-amounts.js';

export { ERASED_PERSON, actorPhrase, presentActor, personName, type NameLookup, type PersonName, type PresentedActor } from './present-event-actor.js';
export { formatAmount, findAmounts, type PresentedAmount } from './present-event-amounts.js';

/** What presentEvent reads of an event: its hashed body (or the API's view of it). */
export interface PresentableEvent {
  readonly kind: string;
  readonly actor: Actor;
  readonly outcome?: string;
  readonly data: unknown;
}

export type Tone = 'refusal' | 'normal';

export interface EventPresentation {
  /** One line of plain text, e.g. "Ana Ruiz proposed Refund through Stripe: USD 612.00 on pi_123". */
  readonly summary: string;
  readonly amounts: readonly PresentedAmount[];
  /** 'refusal' for refused or blocked attempts and denials, so readers can highlight them. */
  readonly tone: Tone;
}

/** What a line is written from. */
interface Line {
  /** Who acted, as the line starts: "Ana Ruiz", "Ana Ruiz (API token)", "The approval policy". */
  readonly who: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly amounts: readonly PresentedAmount[];
  /** A person named in the data (an assignee, a delegator), by user id. */
  person(userId: unknown): string;
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
/** The first `n` UTF-16 units of `s`, or one fewer where the cut would split a character in two (a lone half can't be written as UTF-8). */
const head = (s: string, n: number): string => (s.length <= n ? s : s.slice(0, isHighSurrogate(s.charCodeAt(n - 1)) ? n - 1 : n));
/** The last `n` units of `s`, or one more where the cut would split a character. */
const tail = (s: string, n: number): string => (s.length <= n ? s : s.slice(isLowSurrogate(s.charCodeAt(s.length - n)) ? -n - 1 : -n));

/** A value for a line: plain text or a number; anything else (personal data, objects) is not quoted. */
function plain(value: unknown): string | undefined {
  if (typeof value === 'string') return head(oneLine(value), 120);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
const text = (value: unknown, otherwise = '?'): string => plain(value) ?? otherwise;
const shortId = (value: unknown): string => (typeof value === 'string' ? tail(value, 8) : '?');
const plural = (n: unknown, one: string, many = `${one}s`): string => `${text(n)} ${n === 1 ? one : many}`;
/** "plugin stripe, plugin erp": the plugins a list names, or `none` when it names none. */
const pluginList = (values: unknown, none: string): string => {
  const shown = (Array.isArray(values) ? values : []).map((v) => plain(v)).filter((v) => v !== undefined);
  return shown.length === 0 ? none : shown.map((v) => `plugin ${v}`).join(', ');
};
/** "refund" → "Refund", "bank_change" → "Bank change". */
const humanise = (key: unknown): string => {
  // text(key).replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()) without two regular
  // expressions per line (text() leaves no line break for `.` to miss).
  const t = text(key);
  const spaced = t.includes('_') ? t.replaceAll('_', ' ') : t;
  return spaced === '' ? spaced : spaced[0]!.toUpperCase() + spaced.slice(1);
};

/** "Refund through Stripe: USD 612.00 on pi_123": the action, its first amount, what it acts on. */
function actionPhrase(l: Line): string {
  const input = (l.data.input ?? {}) as Record<string, unknown>;
  const amount = l.amounts.find((a) => a.field.startsWith('input.'));
  let target: string | undefined;
  for (let k = 0; target === undefined && k < TARGET_KEYS.length; k++) target = plain(input[TARGET_KEYS[k]!]);
  return `${humanise(l.data.action)} through ${humanise(l.data.plugin)}${amount ? `: ${amount.text}` : ''}${target ? ` on ${target}` : ''}`;
}
/** Input keys naming what an action acts on, in order of preference. */
const TARGET_KEYS = ['payment_intent', 'charge', 'account', 'vendor', 'target', 'order_id'];

/** "type refund, queue refunds, priority high": what a triage names (labels are keys, never free text). */
function triagePhrase(value: unknown): string {
  const v = (value ?? {}) as Record<string, unknown>;
  return [['type', v.caseType], ['queue', v.queue], ['priority', v.priority]].flatMap(([name, x]) => (plain(x) !== undefined ? [`${String(name)} ${plain(x)}`] : [])).join(', ');
}
const suggestionPhrase = (output: unknown): string => (triagePhrase(output) ? `suggested ${triagePhrase(output)}` : 'had no suggestion');
const fallbackPhrase = (from: unknown): string => {
  const f = from as { provider?: unknown; reason?: unknown } | undefined;
  return f ? `, in place of ${text(f.provider)} (${text(f.reason)})` : '';
};

const FIELD_NAMES: Readonly<Record<string, string>> = { assigneeId: 'assignee' };
/** "priority from normal to high", "assignee to Bo Chen"; values that are personal data are not quoted. */
function fieldChange(l: Line, change: unknown): string {
  const c = (change ?? {}) as { field?: unknown; old?: unknown; new?: unknown };
  const named = text(c.field);
  const field = named.startsWith('fields.') ? named.slice('fields.'.length) : named;
  const name = FIELD_NAMES[field] ?? field;
  if (field === 'assigneeId') return c.new === null ? 'unassigned the case' : `assigned the case to ${l.person(c.new)}`;
  const [from, to] = [plain(c.old), plain(c.new)];
  if (commitmentOf(c.new) !== undefined || to === undefined) return `changed ${name}`;
  return from === undefined ? `set ${name} to ${to}` : `changed ${name} from ${from} to ${to}`;
}

/** Refusals as people say them: "<who> may not approve their own proposal". */
const REFUSALS: Readonly<Record<string, string>> = {
  SELF_APPROVAL_FORBIDDEN: 'may not approve their own proposal',
  APPROVER_ADMINISTERED_BY_PROPOSER: 'may not approve: the proposer recently administered their account',
  TOKEN_CANNOT_DECIDE: 'may not decide with an API token',
  ALREADY_DECIDED: 'already decided on this action',
  ROLE_REQUIRED: 'does not hold the role or team this step needs',
  PAYLOAD_CHANGED: 'decided on a payload that has since changed',
  ACTION_EXPIRED: 'was too late: the approval window had closed',
  ACTION_NOT_PENDING: 'tried to act on an action that no longer takes it',
  ACTION_NOT_ALLOWED: 'proposed an action this case type does not allow',
  DUPLICATE_ACTION: 'proposed an action identical to one already in flight',
  PERMISSION_DENIED: 'does not hold the permission for this',
  NO_DELEGATION: 'acted for someone who has not delegated to them',
  EXECUTION_OUTCOME_UNKNOWN: 'retried an action whose outcome is unknown without confirming it',
};
const ATTEMPTS: Readonly<Record<string, string>> = {
  'action.propose': 'propose an action',
  'action.decide': 'decide on an action',
  'action.edit': 'change an action',
  'action.cancel': 'withdraw an action',
  'action.retry': 'retry an action',
};
function refusal(l: Line): string {
  const code = text(l.data.code);
  const phrase = REFUSALS[code] ?? `tried to ${ATTEMPTS[text(l.data.attempt)] ?? text(l.data.attempt)}`;
  return `Refused: ${l.who} ${phrase} (${code})`;
}

const execution = (l: Line): string =>
  l.data.execution === undefined ? '' : ` (execution ${text(l.data.execution)}${l.data.attempt !== undefined ? `, attempt ${text(l.data.attempt)}` : ''})`;
const action = (l: Line): string => `action ${shortId(l.data.actionId)}`;
function voided(ids: unknown): string {
  const n = Array.isArray(ids) ? ids.length : 0;
  return n === 1 ? '1 earlier decision no longer counts' : `${n} earlier decisions no longer count`;
}

function escalationWhen(trigger: unknown): string {
  const when = (trigger ?? {}) as Record<string, unknown>;
  if (typeof when.after === 'string') return `${text(when.after)} after the case was opened`;
  return when.atRisk === true ? 'under a fifth of its time left' : 'past its due time';
}
const toNotify = (targets: unknown): string =>
  Array.isArray(targets) && targets.length > 0 ? `; notify the ${targets.map((target) => text(target)).join(' and the ')}` : '';

/**
 * The line for each event kind. A kind not listed here reads "<who> recorded <kind>". Lines never
 * quote personal data: it is a commitment in the hashed body.
 */
const LINES: Readonly<Record<string, (l: Line) => string>> = {
  'case.created': (l) => `${l.who} opened a ${text(l.data.type)} case in queue ${text(l.data.queue)}${l.amounts[0] ? `: ${l.amounts[0].text}` : ''}`,
  'field.changed': (l) => `${l.who} ${(Array.isArray(l.data.changes) ? l.data.changes : []).map((c) => fieldChange(l, c)).join(', ') || 'changed nothing'}`,
  'status.changed': (l) => `${l.who} moved the case from ${text(l.data.from)} to ${text(l.data.to)}`,
  'note.added': (l) => `${l.who} added a note`,
  'attachment.added': (l) => `${l.who} attached a file (${text(l.data.contentType)}, ${plural(l.data.size, 'byte')})`,
  'link.added': (l) => `${l.who} linked case ${shortId(l.data.fromCaseId)} ${humanise(l.data.kind).toLowerCase()} case ${shortId(l.data.toCaseId)}`,
  'link.removed': (l) => `${l.who} unlinked case ${shortId(l.data.fromCaseId)} ${humanise(l.data.kind).toLowerCase()} case ${shortId(l.data.toCaseId)}`,
  'alert.fired': (l) => `Alert ${text(l.data.alertname ?? l.data.fingerprint)} fired (from ${text(l.data.source)}${typeof l.data.severity === 'string' ? `, ${l.data.severity}` : ''}, since ${text(l.data.startsAt)})`,
  'alert.resolved': (l) => `Alert ${text(l.data.alertname ?? l.data.fingerprint)} resolved (from ${text(l.data.source)}); the case stays as it is`,
  'action.proposed': (l) => `${l.who} proposed ${actionPhrase(l)}`,
  'action.updated': (l) => `${l.who} changed the input of ${action(l)} to ${actionPhrase(l)}`,
  'approval.granted': (l) => `${l.who} approved ${action(l)} at step “${text(l.data.stepName)}”${typeof l.data.onBehalfOf === 'string' ? ` for ${l.person(l.data.onBehalfOf)}` : ''}`,
  'approval.denied': (l) => `${l.who} denied ${action(l)} at step “${text(l.data.stepName)}”${typeof l.data.onBehalfOf === 'string' ? ` for ${l.person(l.data.onBehalfOf)}` : ''}`,
  'action.approved': (l) => `${humanise(action(l))} is approved${l.data.automatic === true ? ': the policy required no one' : ': every required step is done'}`,
  'action.voided': (l) => `${l.who} changed ${action(l)}: ${voided(l.data.voidedDecisions)}`,
  'action.cancelled': (l) => `${l.who} withdrew ${action(l)}`,
  'action.expired': (l) => `${humanise(action(l))} expired: no decision before the deadline`,
  'action.started': (l) => `${l.who} started ${action(l)}${execution(l)}`,
  'action.retried': (l) => `${l.who} asked to retry ${action(l)}${execution(l)}`,
  'action.succeeded': (l) => `${humanise(action(l))} succeeded${execution(l)}`,
  'action.reconciled': (l) => `${humanise(action(l))} had already taken effect, the external system confirms${execution(l)}`,
  'action.pending': (l) => `${humanise(action(l))} is still pending in the external system${execution(l)}`,
  'action.failed': (l) => `${humanise(action(l))} failed${execution(l)}${l.data.willRetry === true ? '; will retry' : ''}`,
  'attempt.blocked': refusal,
  'case.escalated': (l) => `Escalation rule ${text(l.data.rule)} fired: ${escalationWhen(l.data.trigger)}${toNotify(l.data.notify)}`,
  'case.checklist_ticked': (l) => `${l.who} ticked “${text(l.data.label ?? l.data.item)}” on the checklist`,
  'access.revoke_scheduled': (l) => `${text(l.data.name)} (${shortId(l.data.revokeActionId)}) scheduled for ${text(l.data.revokeAt)}: it undoes ${shortId(l.data.grantActionId)} then, by itself`,
  'intelligence.suggested': (l) => `${l.who} ${suggestionPhrase(l.data.output)} (confidence ${text(typeof l.data.confidencePermille === 'number' ? Math.round(l.data.confidencePermille / 10) : undefined)}%)${fallbackPhrase(l.data.fallbackFrom)}`,
  'intelligence.accepted': (l) => `${l.who} accepted the suggestion: ${triagePhrase(l.data.chosen)}`,
  'intelligence.overridden': (l) => `${l.who} overrode the suggestion${triagePhrase(l.data.suggested) ? ` (${triagePhrase(l.data.suggested)})` : ''} and chose ${triagePhrase(l.data.chosen) || 'the case as it is'}`,
  'case.type_changed': (l) => `${l.who} changed the case type from ${text((l.data.from as { type?: unknown } | undefined)?.type)} to ${text((l.data.to as { type?: unknown } | undefined)?.type)} v${text((l.data.to as { version?: unknown } | undefined)?.version)}`,
  'case.exported': (l) => `${l.who} exported the evidence bundle (up to event ${text((l.data.head as { seq?: unknown } | undefined)?.seq)})`,
  'intake.received': (l) => `${l.data.releasedFrom !== undefined ? `${l.who} released from quarantine a` : 'Received a'} ${l.data.threaded === true ? 'follow-up ' : ''}message by ${text(l.data.channel)} at ${text(l.data.source)}${l.data.possibleForgery !== undefined ? `, a possible forgery of case ${shortId(l.data.possibleForgery)} (not from its requester)` : ''}${Array.isArray(l.data.routing) && l.data.routing.length > 0 ? `; rules: ${l.data.routing.map((r) => text(r)).join(', ')}` : ''}`,
  'intake.discarded': (l) => `${l.who} discarded a quarantined ${text(l.data.channel)} intake (${text(l.data.reason)})`,
  'case.reply_sent': (l) => `${l.who} replied to the requester by ${text(l.data.channel)}`,
  'case.reply_failed': (l) => `A reply to the requester was not sent (${text(l.data.reason)}, attempt ${text(l.data.attempt)}); ${l.data.retrying === true ? 'it will be tried again' : 'no more attempts'}`,
  'subject.erased': (l) => `${l.who} erased a subject’s personal data (${plural(l.data.values, 'value')}, ${plural(l.data.blobs, 'file')})`,
  'user.created': (l) => `${l.who} created user ${shortId(l.data.userId)}`,
  'user.updated': (l) => `${l.who} changed a user account`,
  'user.sso_linked': (l) => `${l.who} linked user ${shortId(l.data.userId)} to their identity at ${text(l.data.issuer)}${l.data.created === true ? ' (account created at first sign-in)' : ' (same verified email)'}`,
  'token.created': (l) => `${l.who} created an API token for ${l.person(l.data.userId)}`,
  'token.revoked': (l) => `${l.who} revoked an API token of ${l.person(l.data.userId)}`,
  'delegation.created': (l) => `${l.who} delegated approvals from ${l.person(l.data.fromUserId)} to ${l.person(l.data.toUserId)}`,
  'delegation.revoked': (l) => `${l.who} revoked a delegation`,
  'log.key_rotated': (l) => `${l.who} signed with a new set of log keys at tree size ${text(l.data.treeSize)}`,
  'config.reloaded': (l) => `${l.who} reloaded the configuration: ${Array.isArray(l.data.caseTypes) && l.data.caseTypes.length > 0 ? `new case type versions ${l.data.caseTypes.map((t: { key?: unknown; version?: unknown } | null) => `${text(t?.key)} v${text(t?.version)}`).join(', ')}` : 'no new case type version'}, role set version ${text(l.data.roleSet)}`,
  'config.reload_refused': (l) => `${l.who} asked for a configuration reload; refused with ${text(l.data.errors)} error(s), the running configuration stayed in force`,
  'case.context_requested': (l) => `${l.who} asked ${pluginList(l.data.plugins, 'no plugin')} for the order context`,
  'case.context_attached': (l) => `Plugin ${text(l.data.plugin)} attached the order context (${plural(l.data.facts, 'fact')})`,
  'case.context_unavailable': (l) => `Plugin ${text(l.data.plugin)} gave no order context after ${plural(l.data.attempts, 'attempt')}`,
  'webhook.created': (l) => `${l.who} added a webhook endpoint at ${text(l.data.host)}${l.data.enabled === false ? ' (disabled)' : ''}`,
  'webhook.updated': (l) => `${l.who} changed the webhook endpoint at ${text(l.data.host)}${l.data.secretRotated === true ? ' and rotated its secret' : ''}${l.data.enabled === false ? ' (disabled)' : ''}`,
  'webhook.deleted': (l) => `${l.who} deleted the webhook endpoint at ${text(l.data.host)}`,
  'webhook.disabled': (l) => `The webhook endpoint ${shortId(l.data.endpointId)} was disabled: ${l.data.reason === 'gone' ? 'it answered 410 Gone' : text(l.data.reason)}`,
  'webhook.delivery_replayed': (l) => `${l.who} sent webhook delivery ${shortId(l.data.deliveryId)} again (it was ${text(l.data.previousStatus)})`,
  'roles.defined': (l) => `Role set version ${text(l.data.version)} took effect (roles.yaml: ${typeof l.data.roles === 'object' && l.data.roles !== null ? Object.keys(l.data.roles).map((r) => text(r)).join(', ') : '?'})`,
};

/** The kinds with a line of their own; any other reads "<who> recorded <kind>". */
export const PRESENTED_KINDS: readonly string[] = Object.freeze(Object.keys(LINES));

/** Kinds that are refusals whatever their outcome: a denial is a "no" worth seeing. */
const REFUSAL_KINDS = new Set(['attempt.blocked', 'approval.denied']);

const dataOf = (event: PresentableEvent): Readonly<Record<string, unknown>> =>
  event.data !== null && typeof event.data === 'object' && !Array.isArray(event.data) ? (event.data as Record<string, unknown>) : {};

/**
 * The Line an event is written from. Its data is read, and its amounts found, only when the line
 * asks for them: most lines name a few fields or none. A class, not an object literal with
 * getters: one is made per event, and a literal's getters are made again each time.
 */
class EventLine implements Line {
  readonly who: string;
  #data: Readonly<Record<string, unknown>> | undefined;
  #amounts: readonly PresentedAmount[] | undefined;

  constructor(
    private readonly event: PresentableEvent,
    private readonly names: NameLookup,
    known: { data?: Readonly<Record<string, unknown>>; amounts?: readonly PresentedAmount[]; who?: string } = {},
  ) {
    this.who = known.who ?? actorPhrase(event.actor, names);
    this.#data = known.data;
    this.#amounts = known.amounts;
  }

  get data(): Readonly<Record<string, unknown>> {
    return (this.#data ??= dataOf(this.event));
  }

  get amounts(): readonly PresentedAmount[] {
    return (this.#amounts ??= findAmounts(this.data));
  }

  person(userId: unknown): string {
    return personName(userId, this.names);
  }
}

const recorded = (event: PresentableEvent) => (l: Line) => `${l.who} recorded ${text(event.kind)}`;

/**
 * The line, from whatever the event holds: a writer that meets data of a shape it does not expect
 * (a field of the wrong type, say) gives the line of an unknown kind rather than throwing, so the
 * same event always has the same line, in the API and in a bundle's story alike.
 */
function summaryOf(event: PresentableEvent, line: Line): string {
  try {
    const write = Object.hasOwn(LINES, event.kind) ? LINES[event.kind]! : recorded(event);
    return oneLine(write(line));
  } catch {
    return oneLine(recorded(event)(line));
  }
}

/** The summary line, amounts and tone of one event; `names` gives persons' display names by user id. */
export function presentEvent(event: PresentableEvent, names: NameLookup): EventPresentation {
  const data = dataOf(event);
  const amounts = findAmounts(data);
  const refused = event.outcome === 'refused' || REFUSAL_KINDS.has(event.kind);
  return { summary: summaryOf(event, new EventLine(event, names, { data, amounts })), amounts, tone: refused ? 'refusal' : 'normal' };
}

/**
 * presentEvent's summary alone. It reads `event.data` only when the line names a field of it, and
 * looks for amounts only when the line shows one: the verifier writes a bundle's story again with
 * it, once per event, from bodies whose data is parsed on first use. `who` is actorPhrase(event.actor,
 * names) when the caller has it already (a case has few actors and many events).
 */
export function eventSummary(event: PresentableEvent, names: NameLookup, who?: string): string {
  return summaryOf(event, new EventLine(event, names, { who }));
}
