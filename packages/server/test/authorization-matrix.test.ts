import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, refundBody, sessionFor, startTestLatch, type TestLatch, type TestUser } from './harness.js';

type Who = 'anonymous' | 'requester' | 'operator' | 'reviewer' | 'admin' | 'token';
/** `conflict`: allowed to ask, refused for the action's state (409), e.g. retrying an action that has not failed. */
type Outcome = 'ok' | 'denied' | 'hidden' | 'conflict' | 'redirect';
const WHO: Who[] = ['anonymous', 'requester', 'operator', 'reviewer', 'admin', 'token'];

/** Fresh objects for one call: a case in the operator's queue, an action awaiting approval on it, and so on. */
interface Fixtures {
  caseId: string;
  otherCaseId: string;
  actionId: string;
  payloadHash: string;
  attachmentId: string;
  linkId: string;
  userId: string;
  caller: TestUser | undefined;
  tokenId: string;
  delegationId: string;
  /** One of the caller's saved views (the operator's for anonymous). */
  viewId: string;
  /** The case's first event, an export of it, and the newest checkpoint's size. */
  eventId: string;
  exportId: string;
  checkpointSize: number;
  /** An account and a group made through SCIM for this call (the DELETE rows deactivate and delete them). */
  scimUser: { id: string; email: string };
  scimGroupId: string;
}

interface Row {
  route: string;
  call: (f: Fixtures) => { method: string; url: string; payload?: unknown; headers?: Record<string, string> };
  expect: Record<Who, Outcome>;
  /** A response that never ends (server-sent events): judged by its status line alone. */
  stream?: true;
}

const everyone = (outcome: Outcome): Record<Who, Outcome> => ({ anonymous: outcome, requester: outcome, operator: outcome, reviewer: outcome, admin: outcome, token: outcome });
const signedIn = (overrides: Partial<Record<Who, Outcome>> = {}): Record<Who, Outcome> => ({ ...everyone('ok'), anonymous: 'denied', ...overrides });
/** Reading a case in the refunds queue: the requester can't see it (404, like a missing case). */
const caseReaders = signedIn({ requester: 'hidden' });
const refundInput = { payment_intent: 'pi_1', amount_minor: 75_000, currency: 'usd', reason: 'duplicate' };
/** SCIM (http/routes/scim*.ts): API tokens holding scim:provision only (the admin's `*` token); sessions never. */
const scimOnly: Record<Who, Outcome> = { ...everyone('denied'), token: 'ok' };
const SCIM_PATCH = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
const scimName = () => `scim${Math.random().toString(36).slice(2)}`;

const ROWS: Row[] = [
  { route: 'GET /healthz', call: () => ({ method: 'GET', url: '/healthz' }), expect: everyone('ok') },
  { route: 'GET /readyz', call: () => ({ method: 'GET', url: '/readyz' }), expect: everyone('ok') },
  // Prometheus metrics (http/routes/metrics.ts): metrics:read (admins, or a token scoped to it) or LATCH_METRICS_TOKEN.
  { route: 'GET /metrics', call: () => ({ method: 'GET', url: '/metrics' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  // The web console's pages (http/console.ts; built by `npm run build`): public, the API stays as it is.
  { route: 'GET /', call: () => ({ method: 'GET', url: '/' }), expect: everyone('ok') },
  { route: 'GET /*', call: () => ({ method: 'GET', url: '/cases/some-client-route' }), expect: everyone('ok') },
  { route: 'GET /api/v1/openapi.json', call: () => ({ method: 'GET', url: '/api/v1/openapi.json' }), expect: everyone('ok') },
  { route: 'POST /api/v1/auth/login', call: () => ({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'operator@test.example', password: 'correct horse battery staple' } }), expect: everyone('ok') },
  { route: 'GET /api/v1/me', call: () => ({ method: 'GET', url: '/api/v1/me' }), expect: signedIn() },
  // Single sign-on (http/routes/sso.ts): public browser navigations; every answer, a refusal too, is a redirect (here to /login?sso_error=SSO_NOT_CONFIGURED).
  { route: 'GET /api/v1/auth/sso', call: () => ({ method: 'GET', url: '/api/v1/auth/sso' }), expect: everyone('ok') },
  { route: 'GET /api/v1/auth/sso/start', call: () => ({ method: 'GET', url: '/api/v1/auth/sso/start' }), expect: everyone('redirect') },
  { route: 'GET /api/v1/auth/sso/callback', call: () => ({ method: 'GET', url: '/api/v1/auth/sso/callback?code=c&state=s' }), expect: everyone('redirect') },
  { route: 'GET /api/v1/users', call: () => ({ method: 'GET', url: '/api/v1/users' }), expect: signedIn({ requester: 'denied' }) },
  { route: 'GET /api/v1/roles', call: () => ({ method: 'GET', url: '/api/v1/roles' }), expect: signedIn({ requester: 'denied' }) },
  { route: 'GET /api/v1/users/:id', call: (f) => ({ method: 'GET', url: `/api/v1/users/${f.userId}` }), expect: signedIn({ requester: 'denied' }) },
  {
    route: 'POST /api/v1/users',
    call: () => ({ method: 'POST', url: '/api/v1/users', payload: { email: `u${Math.random().toString(36).slice(2)}@test.example`, name: 'New', roles: ['operator'] } }),
    expect: { ...everyone('denied'), admin: 'ok', token: 'ok' },
  },
  { route: 'PATCH /api/v1/users/:id', call: (f) => ({ method: 'PATCH', url: `/api/v1/users/${f.userId}`, payload: { name: 'Renamed' } }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  { route: 'GET /api/v1/tokens', call: () => ({ method: 'GET', url: '/api/v1/tokens' }), expect: signedIn() },
  { route: 'POST /api/v1/tokens', call: () => ({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'm', scopes: ['case:read'] } }), expect: signedIn({ reviewer: 'ok' }) },
  { route: 'DELETE /api/v1/tokens/:id', call: (f) => ({ method: 'DELETE', url: `/api/v1/tokens/${f.tokenId}` }), expect: signedIn() },
  { route: 'GET /api/v1/case-types', call: () => ({ method: 'GET', url: '/api/v1/case-types' }), expect: signedIn() },
  { route: 'GET /api/v1/case-types/:key', call: () => ({ method: 'GET', url: '/api/v1/case-types/refund' }), expect: signedIn() },
  { route: 'GET /api/v1/case-types/:key/versions/:version', call: () => ({ method: 'GET', url: '/api/v1/case-types/refund/versions/1' }), expect: signedIn() },
  // Reads every action of a type and writes nothing: for those who may read every case (admins, auditors).
  {
    route: 'POST /api/v1/policies::replay',
    call: () => ({ method: 'POST', url: '/api/v1/policies:replay', payload: { caseType: 'refund', policy: { key: 'refund_threshold', version: 9, steps: [{ name: 'all', role: 'refund_approver' }] }, days: 1 } }),
    expect: { ...everyone('denied'), admin: 'ok', token: 'ok' },
  },
  // The running configuration and its reload (config-reload/): admins (user:manage) only; the reload re-reads the same files.
  { route: 'GET /api/v1/config', call: () => ({ method: 'GET', url: '/api/v1/config' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  { route: 'POST /api/v1/config::reload', call: () => ({ method: 'POST', url: '/api/v1/config:reload' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  {
    route: 'POST /api/v1/cases',
    call: () => ({ method: 'POST', url: '/api/v1/cases', payload: { type: 'refund', title: 'New', fields: { order_id: '1', amount_minor: 5, currency: 'usd' } } }),
    expect: signedIn({ reviewer: 'denied' }),
  },
  { route: 'GET /api/v1/cases', call: () => ({ method: 'GET', url: '/api/v1/cases' }), expect: signedIn() },
  { route: 'GET /api/v1/cases/count', call: () => ({ method: 'GET', url: '/api/v1/cases/count?priority=high' }), expect: signedIn() },
  { route: 'GET /api/v1/views', call: () => ({ method: 'GET', url: '/api/v1/views' }), expect: signedIn() },
  { route: 'POST /api/v1/views', call: () => ({ method: 'POST', url: '/api/v1/views', payload: { name: 'Mine', query: { assignee: 'me' } } }), expect: signedIn() },
  { route: 'DELETE /api/v1/views/:id', call: (f) => ({ method: 'DELETE', url: `/api/v1/views/${f.viewId}` }), expect: signedIn() },
  { route: 'GET /api/v1/cases/:id', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}` }), expect: caseReaders },
  {
    route: 'PATCH /api/v1/cases/:id',
    call: (f) => ({ method: 'PATCH', url: `/api/v1/cases/${f.caseId}`, payload: { version: 1, priority: 'high' } }),
    expect: signedIn({ requester: 'denied', reviewer: 'denied' }),
  },
  { route: 'GET /api/v1/cases/:id/timeline', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/timeline` }), expect: caseReaders },
  { route: 'GET /api/v1/cases/:id/notes', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/notes` }), expect: caseReaders },
  { route: 'POST /api/v1/cases/:id/notes', call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/notes`, payload: { body: 'hi' } }), expect: caseReaders },
  { route: 'GET /api/v1/cases/:id/attachments', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/attachments` }), expect: caseReaders },
  {
    route: 'POST /api/v1/cases/:id/attachments',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/attachments?filename=a.txt`, payload: Buffer.from('hello'), headers: { 'content-type': 'text/plain' } }),
    expect: signedIn({ requester: 'hidden', reviewer: 'denied' }),
  },
  { route: 'GET /api/v1/cases/:id/attachments/:attachmentId', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/attachments/${f.attachmentId}` }), expect: caseReaders },
  // No plugin runs here, so no exchange exists: readers get 404 like a missing one, and anonymous callers 401 first.
  {
    route: 'GET /api/v1/cases/:id/exchanges/:sha256',
    call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/exchanges/${'0'.repeat(64)}` }),
    expect: { ...everyone('hidden'), anonymous: 'denied' },
  },
  { route: 'GET /api/v1/cases/:id/context', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/context` }), expect: caseReaders },
  // No plugin runs here, so none gives context: those who may refresh are told 409 CONTEXT_NOT_OFFERED.
  {
    route: 'POST /api/v1/cases/:id/context::refresh',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/context:refresh` }),
    expect: signedIn({ requester: 'denied', reviewer: 'denied', operator: 'conflict', admin: 'conflict', token: 'conflict' }),
  },
  // No mail relay here: those who may reply are told 409 MAIL_NOT_CONFIGURED.
  {
    route: 'POST /api/v1/cases/:id/replies',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/replies`, payload: { body: 'We have refunded you.' } }),
    expect: signedIn({ requester: 'denied', reviewer: 'denied', operator: 'conflict', admin: 'conflict', token: 'conflict' }),
  },
  { route: 'GET /api/v1/cases/:id/live', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/live` }), expect: caseReaders, stream: true },
  { route: 'GET /api/v1/cases/:id/links', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/links` }), expect: caseReaders },
  {
    route: 'POST /api/v1/cases/:id/links',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/links`, payload: { caseId: f.otherCaseId, kind: 'blocks' } }),
    expect: signedIn({ requester: 'denied', reviewer: 'denied' }),
  },
  { route: 'DELETE /api/v1/cases/:id/links/:linkId', call: (f) => ({ method: 'DELETE', url: `/api/v1/cases/${f.caseId}/links/${f.linkId}` }), expect: signedIn({ requester: 'denied', reviewer: 'denied' }) },
  { route: 'GET /api/v1/cases/:id/actions', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/actions` }), expect: caseReaders },
  { route: 'GET /api/v1/cases/:id/checklist', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/checklist` }), expect: caseReaders },
  // A refund has no checklist: those who may update the case reach the command and learn the item does not exist (404).
  {
    route: 'POST /api/v1/cases/:id/checklist/:key',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/checklist/callback_verified`, payload: { note: 'called back' } }),
    expect: { ...everyone('hidden'), anonymous: 'denied', requester: 'denied', reviewer: 'denied' },
  },
  {
    route: 'POST /api/v1/cases/:id/actions',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/actions`, payload: { plugin: 'stripe', action: 'refund', input: { ...refundInput, amount_minor: 76_000 } } }),
    expect: signedIn({ requester: 'denied', reviewer: 'denied' }),
  },
  {
    route: 'POST /api/v1/cases/:id/actions::simulate',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/actions:simulate`, payload: { plugin: 'stripe', action: 'refund', input: refundInput } }),
    expect: caseReaders,
  },
  { route: 'GET /api/v1/actions/:id', call: (f) => ({ method: 'GET', url: `/api/v1/actions/${f.actionId}` }), expect: caseReaders },
  {
    route: 'PATCH /api/v1/actions/:id',
    call: (f) => ({ method: 'PATCH', url: `/api/v1/actions/${f.actionId}`, payload: { input: { ...refundInput, amount_minor: 80_000 } } }),
    // Only the proposer (the operator) may change a proposal: not admins, not their tokens.
    expect: { ...everyone('denied'), operator: 'ok' },
  },
  {
    route: 'POST /api/v1/actions/:id/decisions',
    call: (f) => ({ method: 'POST', url: `/api/v1/actions/${f.actionId}/decisions`, payload: { decision: 'approve', payloadHash: f.payloadHash } }),
    // Only a person holding the policy's role, in a session: admins lack the role, tokens never decide.
    expect: { ...everyone('denied'), reviewer: 'ok', requester: 'hidden' },
  },
  {
    route: 'POST /api/v1/actions/:id/retry',
    call: (f) => ({ method: 'POST', url: `/api/v1/actions/${f.actionId}/retry`, payload: {} }),
    expect: { ...everyone('denied'), operator: 'conflict', admin: 'conflict', token: 'conflict' },
  },
  { route: 'POST /api/v1/actions/:id/cancel', call: (f) => ({ method: 'POST', url: `/api/v1/actions/${f.actionId}/cancel`, payload: {} }), expect: signedIn({ requester: 'denied', reviewer: 'denied' }) },
  { route: 'GET /api/v1/live', call: () => ({ method: 'GET', url: '/api/v1/live' }), expect: signedIn({ requester: 'denied', operator: 'denied' }), stream: true },
  { route: 'GET /api/v1/notifications/live', call: () => ({ method: 'GET', url: '/api/v1/notifications/live' }), expect: signedIn(), stream: true },
  { route: 'GET /api/v1/notifications', call: () => ({ method: 'GET', url: '/api/v1/notifications' }), expect: signedIn() },
  { route: 'GET /api/v1/notifications/count', call: () => ({ method: 'GET', url: '/api/v1/notifications/count' }), expect: signedIn() },
  { route: 'POST /api/v1/notifications/read', call: () => ({ method: 'POST', url: '/api/v1/notifications/read', payload: { all: true } }), expect: signedIn() },
  { route: 'GET /api/v1/me/notification-preferences', call: () => ({ method: 'GET', url: '/api/v1/me/notification-preferences' }), expect: signedIn() },
  {
    route: 'PUT /api/v1/me/notification-preferences',
    call: () => ({ method: 'PUT', url: '/api/v1/me/notification-preferences', payload: { digest: 'off', slackMemberId: null } }),
    expect: signedIn(),
  },
  { route: 'GET /api/v1/intake/quarantine', call: () => ({ method: 'GET', url: '/api/v1/intake/quarantine' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  // No item by that id: the admins get as far as looking it up.
  { route: 'POST /api/v1/intake/quarantine/:id/release', call: () => ({ method: 'POST', url: '/api/v1/intake/quarantine/01900000-0000-7000-8000-000000000000/release' }), expect: { ...everyone('denied'), admin: 'hidden', token: 'hidden' } },
  { route: 'POST /api/v1/intake/quarantine/:id/discard', call: () => ({ method: 'POST', url: '/api/v1/intake/quarantine/01900000-0000-7000-8000-000000000000/discard' }), expect: { ...everyone('denied'), admin: 'hidden', token: 'hidden' } },
  { route: 'GET /api/v1/cases/:id/intake', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/intake` }), expect: caseReaders },
  // Public forms and alert webhooks (no intake.yaml here, so no form or source: 404 for everyone, signed in or not).
  { route: 'GET /forms/:slug', call: () => ({ method: 'GET', url: '/forms/refund-request' }), expect: everyone('hidden') },
  { route: 'POST /forms/:slug', call: () => ({ method: 'POST', url: '/forms/refund-request', payload: 'subject=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), expect: everyone('hidden') },
  { route: 'POST /api/v1/intake/alerts/:source', call: () => ({ method: 'POST', url: '/api/v1/intake/alerts/prometheus', payload: '{}', headers: { 'content-type': 'application/json' } }), expect: everyone('hidden') },
  { route: 'GET /api/v1/notifications/deliveries', call: () => ({ method: 'GET', url: '/api/v1/notifications/deliveries' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  // Webhooks: admins only (user:manage and case:read_all). The endpoint made here matches no event kind and names a host that never resolves.
  { route: 'GET /api/v1/webhooks', call: () => ({ method: 'GET', url: '/api/v1/webhooks' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  {
    route: 'POST /api/v1/webhooks',
    call: () => ({ method: 'POST', url: '/api/v1/webhooks', payload: { url: 'https://receiver.invalid/hook', eventTypes: ['none.*'] } }),
    expect: { ...everyone('denied'), admin: 'ok', token: 'ok' },
  },
  { route: 'GET /api/v1/webhooks/:id', call: () => ({ method: 'GET', url: '/api/v1/webhooks/01900000-0000-7000-8000-000000000000' }), expect: { ...everyone('denied'), admin: 'hidden', token: 'hidden' } },
  { route: 'PATCH /api/v1/webhooks/:id', call: () => ({ method: 'PATCH', url: '/api/v1/webhooks/01900000-0000-7000-8000-000000000000', payload: { enabled: false } }), expect: { ...everyone('denied'), admin: 'hidden', token: 'hidden' } },
  { route: 'DELETE /api/v1/webhooks/:id', call: () => ({ method: 'DELETE', url: '/api/v1/webhooks/01900000-0000-7000-8000-000000000000' }), expect: { ...everyone('denied'), admin: 'hidden', token: 'hidden' } },
  { route: 'GET /api/v1/webhooks/:id/deliveries', call: () => ({ method: 'GET', url: '/api/v1/webhooks/01900000-0000-7000-8000-000000000000/deliveries' }), expect: { ...everyone('denied'), admin: 'hidden', token: 'hidden' } },
  { route: 'POST /api/v1/webhooks/deliveries/:id/replay', call: () => ({ method: 'POST', url: '/api/v1/webhooks/deliveries/01900000-0000-7000-8000-000000000000/replay' }), expect: { ...everyone('denied'), admin: 'hidden', token: 'hidden' } },
  { route: 'GET /api/v1/approvals', call: () => ({ method: 'GET', url: '/api/v1/approvals?waiting_for=me' }), expect: signedIn({ requester: 'denied', operator: 'denied' }) },
  { route: 'GET /api/v1/delegations', call: () => ({ method: 'GET', url: '/api/v1/delegations' }), expect: signedIn({ requester: 'denied' }) },
  {
    route: 'POST /api/v1/delegations',
    call: (f) => ({ method: 'POST', url: '/api/v1/delegations', payload: { toUserId: f.userId, endsAt: new Date(Date.now() + 3_600_000).toISOString() } }),
    expect: signedIn({ requester: 'denied' }),
  },
  { route: 'DELETE /api/v1/delegations/:id', call: (f) => ({ method: 'DELETE', url: `/api/v1/delegations/${f.delegationId}` }), expect: signedIn({ requester: 'denied' }) },
  {
    route: 'POST /api/v1/erasures',
    // A dry run: erasing the fixtures' requester for real would take the other rows' data with it.
    call: () => ({ method: 'POST', url: '/api/v1/erasures?dryRun=true', payload: { subject: 'jane@customer.example' } }),
    expect: { ...everyone('denied'), admin: 'ok', token: 'ok' },
  },
  { route: 'GET /api/v1/log/checkpoint', call: () => ({ method: 'GET', url: '/api/v1/log/checkpoint' }), expect: signedIn() },
  { route: 'GET /api/v1/log/checkpoints/:size', call: (f) => ({ method: 'GET', url: `/api/v1/log/checkpoints/${f.checkpointSize}` }), expect: signedIn() },
  { route: 'GET /api/v1/log/trust', call: () => ({ method: 'GET', url: '/api/v1/log/trust' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  { route: 'GET /api/v1/log/proofs/inclusion', call: (f) => ({ method: 'GET', url: `/api/v1/log/proofs/inclusion?event=${f.eventId}` }), expect: caseReaders },
  { route: 'GET /api/v1/cases/:id/verification', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/verification` }), expect: caseReaders },
  { route: 'POST /api/v1/log/verifications', call: () => ({ method: 'POST', url: '/api/v1/log/verifications' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  { route: 'GET /api/v1/plugins', call: () => ({ method: 'GET', url: '/api/v1/plugins' }), expect: signedIn() },
  // Public (Stripe has no Latch account) but signature-checked by the plugin: credentials change nothing.
  // No plugin is configured here, so there is no endpoint for anyone; stripe-webhooks.test.ts checks signatures.
  {
    route: 'POST /api/v1/plugins/:plugin/webhooks',
    call: () => ({ method: 'POST', url: '/api/v1/plugins/stripe/webhooks', payload: '{"id":"evt_1","type":"refund.updated"}', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' } }),
    expect: everyone('hidden'),
  },
  { route: 'GET /api/v1/log/proofs/consistency', call: (f) => ({ method: 'GET', url: `/api/v1/log/proofs/consistency?from=1&to=${f.checkpointSize}` }), expect: signedIn() },
  { route: 'POST /api/v1/cases/:id/exports', call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.caseId}/exports`, payload: {} }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  {
    route: 'GET /api/v1/cases/:id/exports/:eventId/bundle.zip',
    call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/exports/${f.exportId}/bundle.zip` }),
    expect: { ...everyone('denied'), admin: 'ok', token: 'ok' },
  },
  // Triage (intelligence/): the fixture's cases were opened with a token, so they await triage.
  { route: 'GET /api/v1/cases/:id/intelligence', call: (f) => ({ method: 'GET', url: `/api/v1/cases/${f.caseId}/intelligence` }), expect: caseReaders },
  {
    route: 'POST /api/v1/cases/:id/triage',
    call: (f) => ({ method: 'POST', url: `/api/v1/cases/${f.otherCaseId}/triage`, payload: { decision: 'override', version: 1, priority: 'high' } }),
    expect: signedIn({ requester: 'denied', reviewer: 'denied' }),
  },
  { route: 'POST /api/v1/intelligence/models::train', call: () => ({ method: 'POST', url: '/api/v1/intelligence/models:train' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  { route: 'GET /api/v1/intelligence/models', call: () => ({ method: 'GET', url: '/api/v1/intelligence/models' }), expect: { ...everyone('denied'), admin: 'ok', token: 'ok' } },
  { route: 'GET /api/v1/intelligence/accuracy', call: () => ({ method: 'GET', url: '/api/v1/intelligence/accuracy' }), expect: signedIn({ requester: 'denied', reviewer: 'denied' }) },
  { route: 'GET /scim/v2/ServiceProviderConfig', call: () => ({ method: 'GET', url: '/scim/v2/ServiceProviderConfig' }), expect: scimOnly },
  { route: 'GET /scim/v2/ResourceTypes', call: () => ({ method: 'GET', url: '/scim/v2/ResourceTypes' }), expect: scimOnly },
  { route: 'GET /scim/v2/ResourceTypes/:id', call: () => ({ method: 'GET', url: '/scim/v2/ResourceTypes/User' }), expect: scimOnly },
  { route: 'GET /scim/v2/Schemas', call: () => ({ method: 'GET', url: '/scim/v2/Schemas' }), expect: scimOnly },
  { route: 'GET /scim/v2/Schemas/:id', call: () => ({ method: 'GET', url: '/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User' }), expect: scimOnly },
  { route: 'GET /scim/v2/Users', call: () => ({ method: 'GET', url: '/scim/v2/Users' }), expect: scimOnly },
  { route: 'POST /scim/v2/Users', call: () => ({ method: 'POST', url: '/scim/v2/Users', payload: { userName: `${scimName()}@test.example` } }), expect: scimOnly },
  { route: 'GET /scim/v2/Users/:id', call: (f) => ({ method: 'GET', url: `/scim/v2/Users/${f.scimUser.id}` }), expect: scimOnly },
  { route: 'PUT /scim/v2/Users/:id', call: (f) => ({ method: 'PUT', url: `/scim/v2/Users/${f.scimUser.id}`, payload: { userName: f.scimUser.email, displayName: 'Put' } }), expect: scimOnly },
  { route: 'PATCH /scim/v2/Users/:id', call: (f) => ({ method: 'PATCH', url: `/scim/v2/Users/${f.scimUser.id}`, payload: SCIM_PATCH }), expect: scimOnly },
  { route: 'DELETE /scim/v2/Users/:id', call: (f) => ({ method: 'DELETE', url: `/scim/v2/Users/${f.scimUser.id}` }), expect: scimOnly },
  { route: 'GET /scim/v2/Groups', call: () => ({ method: 'GET', url: '/scim/v2/Groups' }), expect: scimOnly },
  { route: 'POST /scim/v2/Groups', call: () => ({ method: 'POST', url: '/scim/v2/Groups', payload: { displayName: scimName() } }), expect: scimOnly },
  { route: 'GET /scim/v2/Groups/:id', call: (f) => ({ method: 'GET', url: `/scim/v2/Groups/${f.scimGroupId}` }), expect: scimOnly },
  { route: 'PUT /scim/v2/Groups/:id', call: (f) => ({ method: 'PUT', url: `/scim/v2/Groups/${f.scimGroupId}`, payload: { displayName: scimName() } }), expect: scimOnly },
  { route: 'PATCH /scim/v2/Groups/:id', call: (f) => ({ method: 'PATCH', url: `/scim/v2/Groups/${f.scimGroupId}`, payload: { ...SCIM_PATCH, Operations: [{ op: 'replace', path: 'displayName', value: scimName() }] } }), expect: scimOnly },
  { route: 'DELETE /scim/v2/Groups/:id', call: (f) => ({ method: 'DELETE', url: `/scim/v2/Groups/${f.scimGroupId}` }), expect: scimOnly },
  { route: 'GET /scim/v2/*', call: () => ({ method: 'GET', url: '/scim/v2/Elsewhere' }), expect: { ...everyone('denied'), token: 'hidden' } },
  // Last: it ends the sessions the other rows use.
  { route: 'POST /api/v1/auth/logout', call: () => ({ method: 'POST', url: '/api/v1/auth/logout' }), expect: signedIn() },
];

const EVERY_FIXTURE: ReadonlySet<keyof Fixtures> = new Set<keyof Fixtures>([
  'caseId', 'otherCaseId', 'actionId', 'payloadHash', 'attachmentId', 'linkId', 'userId', 'caller', 'tokenId', 'delegationId', 'viewId', 'eventId', 'exportId', 'checkpointSize', 'scimUser', 'scimGroupId',
]);
/** Made together, as one case with an action, an attachment, a link to a second case and an export. */
const CASE_FIXTURES: (keyof Fixtures)[] = ['caseId', 'otherCaseId', 'actionId', 'payloadHash', 'attachmentId', 'linkId', 'eventId', 'exportId'];

/** The fixtures a row's request names: its call is built once on a stand-in that records what it reads. */
function namedBy(row: Row): ReadonlySet<keyof Fixtures> {
  const named = new Set<keyof Fixtures>();
  const standIn = new Proxy({} as Fixtures, {
    get: (_target, name) => {
      named.add(name as keyof Fixtures);
      return name === 'scimUser' ? { id: 'stand-in', email: 'stand-in@test.example' } : 'stand-in';
    },
  });
  row.call(standIn);
  return named;
}

/** The fixtures, refusing to give a field that was not made: a row reading one it did not name fails. */
function onlyNamed(made: Partial<Fixtures>, named: ReadonlySet<keyof Fixtures>): Fixtures {
  return new Proxy(made as Fixtures, {
    get: (target, name) => {
      const field = name as keyof Fixtures;
      if (EVERY_FIXTURE.has(field) && !named.has(field)) throw new Error(`fixture ${field} was not made for this row`);
      return target[field];
    },
  });
}

describe('authorization matrix: every route, every kind of caller (PGlite)', () => {
  let t: TestLatch;
  const headers: Partial<Record<Who, Record<string, string>>> = {};
  beforeAll(async () => {
    t = await startTestLatch('pglite');
    headers.anonymous = {};
    headers.requester = await sessionFor(t.app, t.users.requester);
    headers.operator = await sessionFor(t.app, t.users.operator);
    headers.reviewer = await sessionFor(t.app, t.users.approver);
    headers.admin = await sessionFor(t.app, t.users.admin);
    headers.token = bearer(t.users.admin);
  });
  afterAll(async () => t?.close());

  const callerOf: Record<Who, () => TestUser | undefined> = {
    anonymous: () => undefined,
    requester: () => t.users.requester,
    operator: () => t.users.operator,
    reviewer: () => t.users.approver,
    admin: () => t.users.admin,
    token: () => t.users.admin,
  };

  /**
   * Fresh objects for one call, made only for what the row's request names (`named`, every field when
   * absent): a case and what hangs off it, a token, a delegation, a view, SCIM objects. Most rows name
   * none, and making all of them for each of the 714 calls took most of this file's time.
   */
  async function fixtures(who: Who, named: ReadonlySet<keyof Fixtures> = EVERY_FIXTURE): Promise<Fixtures> {
    const op = bearer(t.users.operator);
    const post = async (url: string, payload: unknown, h = op, extra: Record<string, string> = {}) =>
      (await t.app.inject({ method: 'POST', url, headers: { ...h, ...extra }, payload: payload as object })).json();
    const caller = callerOf[who]();
    const owner = caller ?? t.users.operator;
    const f: Partial<Fixtures> = { caller, userId: t.users.outsider.id };
    if (CASE_FIXTURES.some((name) => named.has(name))) {
      const caseId = (await post('/api/v1/cases', refundBody())).id;
      const otherCaseId = (await post('/api/v1/cases', refundBody())).id;
      const action = await post(`/api/v1/cases/${caseId}/actions`, { plugin: 'stripe', action: 'refund', input: refundInput });
      const attachment = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/attachments?filename=f.txt`, headers: { ...op, 'content-type': 'text/plain' }, payload: Buffer.from('x') });
      const link = await post(`/api/v1/cases/${caseId}/links`, { caseId: otherCaseId, kind: 'relates' });
      const exported = await post(`/api/v1/cases/${caseId}/exports`, {}, bearer(t.users.admin));
      await t.ctx.log.sequencer.drain();
      const timeline = (await t.app.inject({ method: 'GET', url: `/api/v1/cases/${caseId}/timeline`, headers: op })).json();
      Object.assign(f, { caseId, otherCaseId, actionId: action.id, payloadHash: action.payloadHash, attachmentId: attachment.json().id, linkId: link.id, exportId: exported.eventId, eventId: timeline.items[0].id });
    }
    if (named.has('tokenId')) f.tokenId = (await post('/api/v1/tokens', { name: 'fixture', scopes: ['case:read'] }, bearer(owner))).id;
    if (named.has('delegationId')) {
      const target = owner.id === t.users.approver2.id ? t.users.approver : t.users.approver2;
      f.delegationId = (await post('/api/v1/delegations', { toUserId: target.id, endsAt: new Date(Date.now() + 3_600_000).toISOString() }, owner === t.users.requester ? bearer(t.users.operator) : bearer(owner))).id;
    }
    if (named.has('viewId')) {
      // Reused while it lasts: a new view per call would pass the 50-per-user limit.
      const views = (await t.app.inject({ method: 'GET', url: '/api/v1/views', headers: bearer(owner) })).json();
      f.viewId = views.items.length > 0 ? views.items[0].id : (await post('/api/v1/views', { name: 'fixture', query: {} }, bearer(owner))).id;
    }
    // Every call finds a checkpoint covering what was written before it (GET /api/v1/log/checkpoint needs one).
    await t.ctx.log.sequencer.drain();
    const checkpoint = (await t.app.inject({ method: 'GET', url: '/api/v1/log/checkpoint', headers: op })).body;
    f.checkpointSize = Number(checkpoint.split('\n')[1]);
    if (named.has('scimUser')) {
      const email = `${scimName()}@test.example`;
      f.scimUser = { id: (await post('/scim/v2/Users', { userName: email }, bearer(t.users.admin))).id as string, email };
    }
    if (named.has('scimGroupId')) f.scimGroupId = (await post('/scim/v2/Groups', { displayName: scimName() }, bearer(t.users.admin))).id as string;
    return onlyNamed(f, named);
  }

  /** Latch's stable code, from its error shape or from SCIM's (whose extension carries it). */
  const codeOf = (res: { json: () => Record<string, { code?: string } | undefined> }) => {
    const body = res.json();
    return body.error?.code ?? body['urn:latch:params:scim:api:messages:2.0:Error']?.code;
  };

  it('the plugin webhook route is public: its sender has no Latch account, the plugin checks the signature', () => {
    const webhook = t.app.routeTable.find((r) => r.url === '/api/v1/plugins/:plugin/webhooks');
    expect(webhook).toMatchObject({ method: 'POST', public: true, permission: undefined });
  });

  it('covers every registered route', () => {
    const registered = t.app.routeTable.map((r) => `${r.method} ${r.url}`).sort();
    expect(ROWS.map((r) => r.route).sort()).toEqual(registered);
  });

  // Authentication and the route's permission come before the body is parsed or validated: a caller
  // who may not use a route learns nothing of its schema from a 400.
  const invalid = ['{"type": ', '{"unexpected": 1}', '{"x": "\\u0000"}', `${'['.repeat(5000)}${']'.repeat(5000)}`];
  const withBadQuery = (url: string) => `${url}${url.includes('?') ? '&' : '?'}unexpected=%00`;

  it('anonymous with an invalid body or query → 401, before any 400', async () => {
    const f = await fixtures('anonymous');
    const checked: string[] = [];
    for (const row of ROWS.filter((r) => r.expect.anonymous === 'denied')) {
      const request = row.call(f);
      for (const payload of request.method === 'GET' || request.method === 'DELETE' ? [undefined] : invalid) {
        const res = await t.app.inject({ method: request.method as 'POST', url: withBadQuery(request.url), headers: { 'content-type': 'application/json' }, ...(payload === undefined ? {} : { payload }) });
        expect([row.route, res.statusCode, codeOf(res)]).toEqual([row.route, 401, 'UNAUTHENTICATED']);
      }
      checked.push(row.route);
    }
    expect(checked.length).toBeGreaterThan(40);
  });

  it('signed in without the route’s permission, with an invalid body → 403, before any 400', async () => {
    const f = await fixtures('requester');
    const permissionOf = new Map(t.app.routeTable.map((r) => [`${r.method} ${r.url}`, r.permission]));
    const rows = ROWS.filter((r) => r.expect.requester === 'denied' && permissionOf.get(r.route) !== undefined);
    for (const row of rows) {
      const request = row.call(f);
      for (const payload of request.method === 'GET' || request.method === 'DELETE' ? [undefined] : invalid) {
        const res = await t.app.inject({
          method: request.method as 'POST',
          url: withBadQuery(request.url),
          headers: { ...headers.requester, 'content-type': 'application/json' },
          ...(payload === undefined ? {} : { payload }),
        });
        expect([row.route, res.statusCode, codeOf(res)]).toEqual([row.route, 403, 'PERMISSION_DENIED']);
      }
    }
    expect(rows.length).toBeGreaterThan(5);
  });

  it.each(ROWS.map((row) => [row.route, row] as const))('%s', async (_route, row) => {
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    const named = namedBy(row);
    for (const who of WHO) {
      const request = row.call(await fixtures(who, named));
      const res = await t.app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: { ...headers[who], ...request.headers },
        payload: request.payload as string,
        ...(row.stream ? { payloadAsStream: true } : {}),
      });
      if (row.stream) res.stream().destroy();
      outcomes[who] = res.statusCode < 300 ? 'ok' : res.statusCode === 302 ? 'redirect' : res.statusCode === 404 ? 'hidden' : res.statusCode === 409 ? 'conflict' : res.statusCode === 401 || res.statusCode === 403 ? 'denied' : `unexpected ${res.statusCode} ${res.body}`;
      expected[who] = row.expect[who];
    }
    expect(outcomes).toEqual(expected);
  });
});
