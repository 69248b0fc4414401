import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash'),
  roles: text('roles').array().notNull().default(sql`'{}'`),
  teams: text('teams').array().notNull().default(sql`'{}'`),
  disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date' }),
  createdAt: createdAt(),
});

export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    /** The token that minted this one (null when a session or the CLI did): revoking it revokes this. */
    parentId: uuid('parent_id').references((): AnyPgColumn => apiTokens.id),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId), index('api_tokens_parent_idx').on(t.parentId)],
);

/**
 * Who administered whose account: created it, or changed its roles, teams, password or enabled
 * state. Written with the system-stream event (`event_id`) so the maker-checker rule can ask "did
 * the proposer administer this approver lately?" without scanning the system stream.
 */
export const accountChanges = pgTable(
  'account_changes',
  {
    eventId: uuid('event_id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id),
    /** The person behind the change (a token's user); null for system actors such as the CLI. */
    changedBy: uuid('changed_by'),
    /** `created`, `roles`, `teams`, `password`, `disabled`, `enabled`. */
    changes: text('changes').array().notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('account_changes_user_idx').on(t.userId, t.changedBy, t.at)],
);

/**
 * Failed-login counters shared by every process: one row per key (a hash of the normalised
 * account, or of the client address), counting failures in a fixed window that starts with the
 * first failure.
 */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
});

export const caseTypes = pgTable(
  'case_types',
  {
    key: text('key').notNull(),
    version: integer('version').notNull(),
    definition: jsonb('definition').notNull(),
    digest: text('digest').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.key, t.version] })],
);

export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey(),
    typeKey: text('type_key').notNull(),
    typeVersion: integer('type_version').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: text('status').notNull(),
    priority: text('priority').notNull(),
    priorityRank: smallint('priority_rank').notNull(),
    queue: text('queue').notNull(),
    assigneeId: uuid('assignee_id').references(() => users.id),
    requesterId: uuid('requester_id').references(() => users.id),
    requesterEmail: text('requester_email'),
    requesterName: text('requester_name'),
    fields: jsonb('fields').notNull(),
    version: integer('version').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }),
    search: tsvector('search').generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, ''))`,
    ),
  },
  (t) => [
    index('cases_queue_status_idx').on(t.queue, t.status, t.id),
    index('cases_status_idx').on(t.status, t.id),
    index('cases_assignee_idx').on(t.assigneeId, t.id),
    index('cases_requester_idx').on(t.requesterId, t.id),
    index('cases_type_idx').on(t.typeKey, t.id),
    index('cases_queue_priority_idx').on(t.queue, t.priorityRank, t.id),
    index('cases_search_idx').using('gin', t.search),
  ],
);

export const caseLinks = pgTable(
  'case_links',
  {
    id: uuid('id').primaryKey(),
    fromCaseId: uuid('from_case_id').notNull().references(() => cases.id),
    toCaseId: uuid('to_case_id').notNull().references(() => cases.id),
    kind: text('kind').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('case_links_unique').on(t.fromCaseId, t.toCaseId, t.kind), index('case_links_to_idx').on(t.toCaseId)],
);

export const notes = pgTable(
  'notes',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    authorId: uuid('author_id').notNull(),
    body: text('body').notNull(),
    eventId: uuid('event_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('notes_case_idx').on(t.caseId, t.id)],
);

/** Content-addressed bytes: attachments now, external requests and responses later. */
export const blobs = pgTable('blobs', {
  sha256: text('sha256').primaryKey(),
  size: integer('size').notNull(),
  data: bytea('data').notNull(),
  createdAt: createdAt(),
});

export const attachments = pgTable(
  'attachments',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    sha256: text('sha256').notNull().references(() => blobs.sha256),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    createdBy: uuid('created_by').notNull(),
    eventId: uuid('event_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('attachments_case_idx').on(t.caseId, t.id)],
);

/** The last event of each stream; the row lock here serialises appends to one stream. */
export const streamHeads = pgTable('stream_heads', {
  stream: uuid('stream').primaryKey(),
  seq: integer('seq').notNull(),
  hash: text('hash'),
});

/** The audit trail. Append-only: triggers refuse UPDATE, DELETE and TRUNCATE. */
export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    stream: uuid('stream').notNull(),
    seq: integer('seq').notNull(),
    kind: text('kind').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    hash: text('hash').notNull(),
    bytes: text('bytes').notNull(),
  },
  (t) => [uniqueIndex('events_stream_seq').on(t.stream, t.seq)],
);

/** Salts and values behind the personal-data commitments in events; erasure deletes rows here. */
export const personalData = pgTable(
  'personal_data',
  {
    commitment: text('commitment').primaryKey(),
    stream: uuid('stream').notNull(),
    subject: text('subject').notNull(),
    salt: text('salt').notNull(),
    value: text('value').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('personal_data_subject_idx').on(t.subject), index('personal_data_stream_idx').on(t.stream)],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    body: jsonb('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] })],
);

/** A proposed action on a case, bound to the SHA-256 of its canonical input. */
export const actionRequests = pgTable(
  'action_requests',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    plugin: text('plugin').notNull(),
    action: text('action').notNull(),
    input: jsonb('input').notNull(),
    inputCanonical: text('input_canonical').notNull(),
    payloadHash: text('payload_hash').notNull(),
    status: text('status').notNull(),
    proposedBy: uuid('proposed_by').notNull().references(() => users.id),
    policyKey: text('policy_key'),
    policyVersion: integer('policy_version'),
    caseTypeVersion: integer('case_type_version').notNull(),
    /** The required steps as evaluated for the current payload (a snapshot: later policy versions don't change it). */
    steps: jsonb('steps').notNull(),
    currentStep: integer('current_step').notNull(),
    /** Incremented when the payload changes: decisions of earlier rounds no longer count. */
    round: integer('round').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    /** Executions started by approval or by hand after a failure; part of the idempotency key. */
    execution: integer('execution').notNull().default(0),
    /** Attempts within the current execution (automatic retries). */
    attempts: integer('attempts').notNull().default(0),
    result: jsonb('result'),
    version: integer('version').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('action_requests_case_idx').on(t.caseId, t.id), index('action_requests_status_idx').on(t.status, t.id)],
);

export const approvalDecisions = pgTable(
  'approval_decisions',
  {
    id: uuid('id').primaryKey(),
    actionId: uuid('action_id').notNull().references(() => actionRequests.id),
    round: integer('round').notNull(),
    stepIndex: integer('step_index').notNull(),
    decision: text('decision').notNull(),
    decidedBy: uuid('decided_by').notNull().references(() => users.id),
    onBehalfOf: uuid('on_behalf_of').references(() => users.id),
    tokenId: uuid('token_id'),
    payloadHash: text('payload_hash').notNull(),
    policyKey: text('policy_key'),
    policyVersion: integer('policy_version'),
    reason: text('reason'),
    eventId: uuid('event_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('approval_decisions_action_idx').on(t.actionId, t.round),
    // Engine rule, enforced twice: one person decides once per round.
    uniqueIndex('approval_decisions_once').on(t.actionId, t.round, t.decidedBy),
  ],
);

/** "Rita approves for me while I'm away": never usable for the delegator's own proposals. */
export const delegations = pgTable(
  'delegations',
  {
    id: uuid('id').primaryKey(),
    fromUserId: uuid('from_user_id').notNull().references(() => users.id),
    toUserId: uuid('to_user_id').notNull().references(() => users.id),
    startsAt: timestamp('starts_at', { withTimezone: true, mode: 'date' }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true, mode: 'date' }).notNull(),
    reason: text('reason'),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (t) => [index('delegations_to_idx').on(t.toUserId), index('delegations_from_idx').on(t.fromUserId)],
);

/**
 * The global Merkle log (DESIGN.md §3). Events are append-only, so their log positions live here.
 * `log_pending` is the queue of committed events the sequencer has not yet integrated: rows are
 * inserted in the event's own transaction and deleted when the sequencer assigns a position.
 */
export const logPending = pgTable('log_pending', {
  eventId: uuid('event_id').primaryKey(),
  /** SHA-256(0x00 ‖ event bytes), computed by the append: the sequencer never re-reads the event. */
  leaf: bytea('leaf').notNull(),
});

/** Leaf `position` of the log is the event; `hash` = SHA-256(0x00 ‖ event bytes). Append-only. */
export const logLeaves = pgTable(
  'log_leaves',
  {
    position: bigint('position', { mode: 'number' }).primaryKey(),
    eventId: uuid('event_id').notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [uniqueIndex('log_leaves_event_idx').on(t.eventId)],
);

/** Every perfect subtree of level ≥ 1 (leaves [index·2^level, (index+1)·2^level)); proofs are read from here. */
export const logNodes = pgTable(
  'log_nodes',
  {
    level: smallint('level').notNull(),
    index: bigint('index', { mode: 'number' }).notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.index] })],
);

/** Signed checkpoints, one per sequencer batch that grew the tree. Append-only. */
export const logCheckpoints = pgTable('log_checkpoints', {
  size: bigint('size', { mode: 'number' }).primaryKey(),
  root: bytea('root').notNull(),
  /** The signed note, verbatim. */
  note: text('note').notNull(),
  /** Verifier keys (`name+hash+key`) that signed it. */
  signers: text('signers').array().notNull(),
  createdAt: createdAt(),
});

/**
 * Witness cosignatures (C2SP tlog-cosignature) on the log's checkpoints, one line per witness and
 * checkpoint: appended to the checkpoint note, they make the cosigned checkpoint bundles carry.
 */
export const logCosignatures = pgTable(
  'log_cosignatures',
  {
    size: bigint('size', { mode: 'number' })
      .notNull()
      .references(() => logCheckpoints.size),
    /** The witness's verifier key (`name+keyid+base64(0x04 ‖ key)`). */
    witnessKey: text('witness_key').notNull(),
    /** The signature line, newline included, exactly as the witness answered it. */
    line: text('line').notNull(),
    /** The time the witness says it cosigned at. */
    cosignedAt: timestamp('cosigned_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.size, t.witnessKey] }), index('log_cosignatures_witness_idx').on(t.witnessKey, t.size)],
);

/** A user's saved queue views: a name and the queue's filters and order. Not governed, so not on any timeline. */
export const savedViews = pgTable(
  'saved_views',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    /** The list route's query parameters (status, type, queue, priority, assignee, q, sort), validated by its schema. */
    query: jsonb('query').$type<Record<string, string>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('saved_views_user_idx').on(t.userId, t.createdAt)],
);

/**
 * Notifications (notifications/): derived from committed events by one worker, never by the
 * commands themselves. `source` names what caused one (an event, an action's round and step, a
 * case's due time), so deriving it twice inserts nothing: unique per source, recipient and kind.
 * Only ids are kept: titles are read from the case when shown, as the recipient may see it then.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    recipientId: uuid('recipient_id')
      .notNull()
      .references(() => users.id),
    kind: text('kind').notNull(),
    source: text('source').notNull(),
    caseId: uuid('case_id').references(() => cases.id),
    actionId: uuid('action_id').references(() => actionRequests.id),
    /** When an approval waiting for the recipient expires. */
    deadline: timestamp('deadline', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    readAt: timestamp('read_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('notifications_once').on(t.source, t.recipientId, t.kind), index('notifications_recipient_idx').on(t.recipientId, t.id)],
);

/** How far the notification worker has read the global log (log_leaves positions: commit order). One row. */
export const notificationCursor = pgTable('notification_cursor', {
  id: smallint('id').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull(),
});

/** Per user: which kinds go to email and to Slack (absent kind: on), the daily digest, the Slack member id. */
export const notificationPreferences = pgTable('notification_preferences', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id),
  email: jsonb('email').$type<Record<string, boolean>>().notNull(),
  slack: jsonb('slack').$type<Record<string, boolean>>().notNull(),
  digest: text('digest').notNull().default('off'),
  slackMemberId: text('slack_member_id'),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * One message to one person on one external channel, and what became of it: the delivery log an
 * admin reads. No message body is kept, only what failed (an error code, never a server's text).
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: uuid('id').primaryKey(),
    /** `<notification>:<channel>` or `digest:<user>:<day>:<channel>`: one delivery each. */
    key: text('key').notNull().unique(),
    recipientId: uuid('recipient_id')
      .notNull()
      .references(() => users.id),
    notificationId: uuid('notification_id').references(() => notifications.id),
    channel: text('channel').notNull(),
    /** `pending`, `sent`, `retrying` (an attempt failed, another will follow) or `failed`. */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('notification_deliveries_recipient_idx').on(t.recipientId, t.id)],
);

/**
 * Messages that reached a case through intake (intake/), and the replies sent from one. Only what
 * threading needs: `message_key` is the SHA-256 of a normalised Message-ID (no address in the clear),
 * the raw source is a blob by hash (referred to by the `intake.received` event, so erasure empties it).
 */
export const intakeMessages = pgTable(
  'intake_messages',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    /** `in` (received) or `out` (a reply sent from the case). */
    direction: text('direction').notNull(),
    channel: text('channel').notNull(),
    messageKey: text('message_key'),
    rawSha256: text('raw_sha256').references(() => blobs.sha256),
    eventId: uuid('event_id').notNull(),
    createdAt: createdAt(),
  },
  // A key's latest message is the last entry of (message_key, id); an earlier delivery of the same bytes under a key, one probe (migration 0014).
  (t) => [
    index('intake_messages_key_id_idx').on(t.messageKey, t.id),
    index('intake_messages_raw_key_idx').on(t.rawSha256, t.messageKey),
    index('intake_messages_case_idx').on(t.caseId, t.id),
  ],
);

/**
 * Intakes held back (a bounce, a flood, hostile input): the reason code and the raw source by hash,
 * until an admin releases (a case is opened from it) or discards it (the bytes are emptied).
 * `subject` is the sender as erasure names them.
 */
export const intakeQuarantine = pgTable(
  'intake_quarantine',
  {
    id: uuid('id').primaryKey(),
    channel: text('channel').notNull(),
    source: text('source').notNull(),
    reason: text('reason').notNull(),
    detail: text('detail').notNull(),
    rawSha256: text('raw_sha256')
      .notNull()
      .references(() => blobs.sha256),
    rawType: text('raw_type').notNull(),
    subject: text('subject'),
    /** `held`, `released` or `discarded`. */
    status: text('status').notNull(),
    caseId: uuid('case_id').references(() => cases.id),
    decidedBy: uuid('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (t) => [index('intake_quarantine_status_idx').on(t.status, t.id), index('intake_quarantine_subject_idx').on(t.subject)],
);

/**
 * Trained built-in models (intelligence/): each training run that saw a new training set keeps its
 * model as a versioned artefact, with the SHA-256 of the examples it learnt from. Never edited.
 */
export const intelligenceModels = pgTable('intelligence_models', {
  version: integer('version').primaryKey(),
  trainingSetSha256: text('training_set_sha256').notNull(),
  examples: integer('examples').notNull(),
  /** One serialised classifier per target (caseType, queue, priority, intent:<type>). */
  model: jsonb('model').notNull(),
  trainedAt: createdAt(),
});

/**
 * Where each case stands in triage: `awaiting` (opened by intake, a requester or a script, no
 * suggestion yet), `suggested`, `accepted` / `overridden` (an operator decided), `confirmed` (opened
 * by a person who chose its type). Decisions are the built-in model's training labels and the
 * accuracy's ground truth; the events stay the record.
 */
export const caseTriage = pgTable(
  'case_triage',
  {
    caseId: uuid('case_id')
      .primaryKey()
      .references(() => cases.id),
    state: text('state').notNull(),
    /** The latest suggestion's labels and provider: {provider, caseType?, queue?, priority?, intent?, confidencePermille, eventId}. */
    suggestion: jsonb('suggestion'),
    /** What the operator (or the opener) settled: {caseType, queue, priority, intent?}. */
    decision: jsonb('decision'),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('case_triage_state_idx').on(t.state, t.caseId)],
);

// --- Outbound webhooks (webhooks/) -------------------------------------------------------------

/**
 * Where case events are POSTed, signed the Standard Webhooks way. `secret` (`whsec_…`) is needed in
 * the clear to sign and is shown once, at creation or rotation; no API returns it afterwards.
 * Empty filters match everything; `disabled_reason`: `gone` (the receiver answered 410) or `admin`.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: uuid('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  secret: text('secret').notNull(),
  eventTypes: jsonb('event_types').$type<string[]>().notNull(),
  caseTypes: jsonb('case_types').$type<string[]>().notNull(),
  queues: jsonb('queues').$type<string[]>().notNull(),
  enabled: boolean('enabled').notNull().default(true),
  disabledReason: text('disabled_reason'),
  createdBy: uuid('created_by').notNull(),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * One message per (endpoint, event): its id is the `webhook-id` of every attempt and replay.
 * `status`: pending, retrying, delivered, failed (attempts spent, or 410), skipped (the endpoint was
 * disabled before it went). No payload is stored: it is built from the event at each attempt.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    replays: integer('replays').notNull().default(0),
    responseStatus: integer('response_status'),
    errorCode: text('error_code'),
    durationMs: integer('duration_ms'),
    createdAt: createdAt(),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true, mode: 'date' }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('webhook_deliveries_endpoint_event_unique').on(t.endpointId, t.eventId), index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id)],
);

/** The log position up to which committed events were turned into webhook deliveries (one row). */
export const webhookCursor = pgTable('webhook_cursor', {
  id: smallint('id').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull(),
});

// --- Single sign-on (auth/oidc/) -----------------------------------------------------------------

/**
 * A user's identity at an OpenID Connect provider: (issuer, subject) is what links a sign-in to an
 * account, never the email alone. One identity per provider per user.
 */
export const userIdentities = pgTable(
  'user_identities',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), uniqueIndex('user_identities_user_issuer_unique').on(t.userId, t.issuer)],
);

/**
 * Sign-ins under way: the browser holds a random secret in a short-lived cookie, this row its hash
 * and what the callback must check (state, nonce) and send (the PKCE verifier). Used once.
 */
export const ssoLogins = pgTable(
  'sso_logins',
  {
    idHash: text('id_hash').primaryKey(),
    state: text('state').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    returnTo: text('return_to').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('sso_logins_expires_idx').on(t.expiresAt)],
);

// --- SCIM provisioning (scim/) -------------------------------------------------------------------

/**
 * What an identity provider's SCIM view adds to an account: its `externalId`, and the DELETE that
 * only deactivates (the user stays, disabled; SCIM answers 404 for it from then on).
 */
export const scimUsers = pgTable(
  'scim_users',
  {
    userId: uuid('user_id')
      .primaryKey()
      .references(() => users.id),
    externalId: text('external_id'),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('scim_users_external_id_idx').on(t.externalId)],
);

/** Groups an identity provider pushes; scim.yaml maps their display names to roles and teams. */
export const scimGroups = pgTable(
  'scim_groups',
  {
    id: uuid('id').primaryKey(),
    displayName: text('display_name').notNull(),
    externalId: text('external_id'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('scim_groups_display_name_unique').on(sql`lower(${t.displayName})`)],
);

export const scimGroupMembers = pgTable(
  'scim_group_members',
  {
    groupId: uuid('group_id')
      .notNull()
      .references(() => scimGroups.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
  },
  (t) => [primaryKey({ name: 'scim_group_members_pk', columns: [t.groupId, t.userId] }), index('scim_group_members_user_idx').on(t.userId)],
);
