import type { FastifyPluginAsync } from 'fastify';
import { currentDecisions, loadVisibleAction, type ActionRow } from '../../approvals/action-access.js';
import { recordingRefusals } from '../../approvals/blocked-attempts.js';
import { decideAction, type DecisionInput } from '../../approvals/decide-action.js';
import { cancelAction, editAction } from '../../approvals/edit-action.js';
import { evaluateProposal, type Proposal } from '../../approvals/evaluate-proposal.js';
import { gatherHistory } from '../../policies/gather-history.js';
import { presentAction, presentStep } from '../../approvals/present-action.js';
import { approversSchema, explainApprovers } from '../../approvals/explain-approvers.js';
import { proposeAction } from '../../approvals/propose-action.js';
import { refuseUnrunnableProposal } from '../../plugin-host/plugin-availability.js';
import { retryExecution } from '../../execution/retry-execution.js';
import { checklistBlock } from '../../checklist/refuse-unticked.js';
import { actorOf } from '../../auth/principal.js';
import { loadVisibleCase, type CaseRow } from '../../cases/case-access.js';
import type { LatchContext } from '../../context.js';
import { describeRequirements, type Actor, type Principal } from '@latch/core';
import { asc, eq } from 'drizzle-orm';
import { actionRequests } from '../../db/schema.js';
import type { Tx } from '../../db/database.js';
import { principalOf, requirePermission } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, uuid } from '../schemas.js';

const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const proposalBody = {
  type: 'object',
  additionalProperties: false,
  required: ['plugin', 'action', 'input'],
  properties: { plugin: { type: 'string', maxLength: 63 }, action: { type: 'string', maxLength: 63 }, input: { type: 'object' } },
} as const;
/** Why an approved action is not running (plugin-host/plugin-availability.ts), or null. */
const blockedBy = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['code', 'plugin', 'action', 'message'],
  properties: {
    code: { type: 'string', enum: ['PLUGIN_NOT_CONFIGURED', 'PLUGIN_ACTION_UNKNOWN', 'PLUGIN_UNAVAILABLE'] },
    plugin: { type: 'string' },
    action: { type: 'string' },
    state: { type: 'string' },
    message: { type: 'string' },
  },
} as const;
const action = { type: 'object', additionalProperties: true, properties: { id: uuid, status: { type: 'string' }, payloadHash: sha256, blockedBy } } as const;
const totals = { type: 'object', additionalProperties: false, required: ['sum', 'count'], properties: { sum: { type: 'integer' }, count: { type: 'integer' } } } as const;
/** The earlier actions the policy's conditions saw (policies/gather-history.ts), when they read `history`. */
const historySchema = { type: 'object', additionalProperties: false, required: ['sameCase', 'samePayment', 'sameRequester'], properties: { sameCase: totals, samePayment: totals, sameRequester: totals } } as const;
const requirements = { type: 'object', additionalProperties: true, properties: { summary: { type: 'string' }, steps: { type: 'array' } } } as const;

/**
 * Governed actions. Permission checks happen inside `recordingRefusals`, not in the route config,
 * so that a refused attempt (wrong role, self-approval, stale payload…) is on the case's record.
 */
export const actionRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/actions',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['actions'],
        summary: 'The actions proposed on a case, and those its type allows (with their input schemas)',
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: action },
              available: { type: 'array', items: { type: 'object', additionalProperties: true } },
              suggestions: { type: 'array', items: { type: 'object', additionalProperties: true } },
            },
          },
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => {
      const target = await loadVisibleCase(ctx.database.db, request.params.id, ctx.teams.visibilityOf(principalOf(request)));
      const rows = await ctx.database.db.select().from(actionRequests).where(eq(actionRequests.caseId, target.id)).orderBy(asc(actionRequests.id));
      const definition = ctx.caseTypes.get(target.typeKey, target.typeVersion).definition;
      return {
        items: rows.map((row) => presentAction(row, ctx.plugins)),
        // blockedBy: what keeps the action from being proposed now (its checklist items not ticked), or null.
        available: await Promise.all(
          (definition.actions ?? []).map(async (a) => ({ plugin: a.plugin, action: a.action, name: a.name, inputSchema: a.input, policy: a.policy ?? null, blockedBy: await checklistBlock(ctx.database.db, target.id, definition, a.plugin, a.action) })),
        ),
        suggestions: await pluginSuggestions(ctx, target, definition.actions ?? []),
      };
    },
  );

  app.post<{ Params: { id: string }; Body: Proposal }>(
    '/api/v1/cases/:id/actions',
    {
      schema: {
        tags: ['actions'],
        summary: 'Propose an action; the answer says what approval it needs (or that it is approved at once)',
        params: idParams,
        body: proposalBody,
        response: { 201: action, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const actor = actorOf(principal);
      const visibility = ctx.teams.visibilityOf(principal);
      const attempt = { what: 'action.propose', caseId: request.params.id, details: { plugin: request.body.plugin, action: request.body.action }, visibility };
      return recordingRefusals(ctx.database, actor, attempt, () => {
        requirePermission(principal, 'action:propose');
        return runCommand(ctx, request, reply, async (tx) => {
          const row = await proposeAction(tx, ctx.caseTypes, ctx.scheduler, principal, visibility, actor, request.params.id, request.body, ctx.plugins);
          return { status: 201, body: presentAction(row, ctx.plugins) };
        });
      });
    },
  );

  app.post<{ Params: { id: string }; Body: Proposal }>(
    '/api/v1/cases/:id/actions::simulate',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['actions'],
        summary: 'What would this proposal require? Evaluates the policy and writes nothing',
        params: idParams,
        body: proposalBody,
        response: { 200: { type: 'object', properties: { payloadHash: sha256, status: { type: 'string' }, requirements, policy: { type: ['object', 'null'], additionalProperties: true }, history: historySchema, approvers: approversSchema } }, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const target = await loadVisibleCase(ctx.database.db, request.params.id, ctx.teams.visibilityOf(principalOf(request)));
      const history = await gatherHistory(ctx.database.db, ctx.caseTypes, target, request.body, { proposedBy: principalOf(request).userId });
      const evaluation = evaluateProposal(ctx.caseTypes, target, request.body, history);
      refuseUnrunnableProposal(ctx.plugins, request.body.plugin, request.body.action);
      return {
        payloadHash: evaluation.payload.hash,
        status: evaluation.steps.length > 0 ? 'awaiting_approval' : 'approved',
        requirements: { steps: evaluation.steps.map(presentStep), summary: describeRequirements(evaluation.steps) },
        policy: evaluation.policy ? { key: evaluation.policy.key, version: evaluation.policy.version } : null,
        ...(evaluation.history ? { history: evaluation.history } : {}),
        // Who could approve, and why not: only for those who may see the user directory.
        ...(principalOf(request).permissions.has('user:read') ? { approvers: await explainApprovers(ctx.database.db, target.id, principalOf(request).userId, evaluation.steps, (roles) => ctx.roles.permissionsOf(roles).has('action:decide')) } : {}),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/actions/:id',
    { config: { permission: 'case:read' }, schema: { tags: ['actions'], params: idParams, response: { 200: action, ...errors(401, 403, 404) } } },
    async (request) => {
      const { action: row } = await loadVisibleAction(ctx.database.db, request.params.id, ctx.teams.visibilityOf(principalOf(request)));
      return presentAction(row, ctx.plugins, await currentDecisions(ctx.database.db, row));
    },
  );

  app.patch<{ Params: { id: string }; Body: { input: Record<string, unknown>; version?: number } }>(
    '/api/v1/actions/:id',
    {
      schema: {
        tags: ['actions'],
        summary: 'The proposer changes the input: approvals given so far are voided and the policy is evaluated again',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['input'], properties: { input: { type: 'object' }, version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } } },
        response: { 200: action, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const actor = actorOf(principal);
      return recordingRefusals(ctx.database, actor, { what: 'action.edit', actionId: request.params.id, visibility: ctx.teams.visibilityOf(principal) }, async () => {
        requirePermission(principal, 'action:propose');
        const row = await ctx.database.write((tx) =>
          editAction(tx, ctx.caseTypes, ctx.scheduler, principal, ctx.teams.visibilityOf(principal), actor, request.params.id, request.body.input, request.body.version),
        );
        return presentAction(row, ctx.plugins);
      });
    },
  );

  app.post<{ Params: { id: string }; Body: DecisionInput }>(
    '/api/v1/actions/:id/decisions',
    {
      schema: {
        tags: ['actions'],
        summary: 'Approve or deny, sending the payload hash you reviewed; separation of duties is enforced for everyone',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision', 'payloadHash'],
          properties: { decision: { type: 'string', enum: ['approve', 'deny'] }, payloadHash: sha256, reason: { type: 'string', minLength: 1, maxLength: 2000 }, onBehalfOf: uuid },
        },
        response: { 201: action, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const actor = actorOf(principal);
      // The permission is checked inside decideAction, after the proposer check: a proposer who
      // tries to approve their own action is told so (SELF_APPROVAL_FORBIDDEN), whatever their roles.
      return recordingRefusals(ctx.database, actor, { what: 'action.decide', actionId: request.params.id, details: { decision: request.body.decision }, visibility: ctx.teams.visibilityOf(principal) }, () => {
        return runCommand(ctx, request, reply, async (tx) => {
          const separation = { adminWindowDays: ctx.config.sodAdminWindowDays };
          const decided = await decideAction(tx, ctx.scheduler, principal, ctx.teams.visibilityOf(principal), actor, request.params.id, request.body, separation);
          return { status: 201, body: presentAction(decided.action, ctx.plugins, decided.decisions) };
        });
      });
    },
  );

  /** Retry and cancel share their shape: a proposer's state change, with an optional reason, refusals on the record. */
  const stateChange = (
    verb: 'retry' | 'cancel',
    summary: string,
    command: (tx: Tx, principal: Principal, actor: Actor, actionId: string, reason: string | undefined, body: { confirmUnknownOutcome?: boolean }) => Promise<ActionRow>,
  ) =>
    app.post<{ Params: { id: string }; Body: { reason?: string; confirmUnknownOutcome?: boolean } }>(
      `/api/v1/actions/:id/${verb}`,
      {
        schema: {
          tags: ['actions'],
          summary,
          params: idParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              reason: { type: 'string', minLength: 1, maxLength: 2000 },
              // retry only: the person checked the external system after an attempt whose outcome is unknown
              ...(verb === 'retry' ? { confirmUnknownOutcome: { type: 'boolean' } } : {}),
            },
          },
          response: { 200: action, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const actor = actorOf(principal);
        return recordingRefusals(ctx.database, actor, { what: `action.${verb}`, actionId: request.params.id, visibility: ctx.teams.visibilityOf(principal) }, () => {
          requirePermission(principal, 'action:propose');
          return runCommand(ctx, request, reply, async (tx) => ({
            status: 200,
            body: presentAction(await command(tx, principal, actor, request.params.id, request.body?.reason, request.body ?? {}), ctx.plugins),
          }));
        });
      },
    );
  stateChange('retry', 'Run a failed action again (a new execution of the approved payload, reconciled first); recorded on the case', (tx, principal, actor, id, reason, body) =>
    retryExecution(tx, ctx.scheduler, ctx.teams.visibilityOf(principal), actor, id, { reason, confirmUnknownOutcome: body.confirmUnknownOutcome }, (plugin, name) => ctx.plugins?.canReconcile(plugin, name) ?? false),
  );
  stateChange('cancel', 'Withdraw an action that has not run', (tx, principal, actor, id, reason) =>
    cancelAction(tx, principal, ctx.teams.visibilityOf(principal), actor, id, reason),
  );
};

/**
 * What the deployment's plugins offer for this case right now, with prefilled input, limited to
 * actions the case type allows. A plugin that is down or slow is skipped, never an error.
 */
async function pluginSuggestions(ctx: LatchContext, target: CaseRow, allowed: readonly { plugin: string; action: string; name: string }[]) {
  const host = ctx.plugins;
  if (!host) return [];
  const suggestions: { plugin: string; action: string; title: string; suggestedInput: unknown }[] = [];
  for (const pluginId of host.ids()) {
    if (!host.seesCaseType(pluginId, target.typeKey) || !allowed.some((a) => a.plugin === pluginId)) continue;
    const visible = host.caseFields(pluginId) ?? [];
    const fields = Object.fromEntries(Object.entries(target.fields as Record<string, unknown>).filter(([k]) => visible.includes(k)));
    const context = { id: target.id, type: target.typeKey, typeVersion: target.typeVersion, status: target.status, priority: target.priority, queue: target.queue, fields };
    const offered = await host.listActions(pluginId, context).catch(() => []);
    for (const item of offered) {
      if (allowed.some((a) => a.plugin === pluginId && a.action === item.name)) {
        suggestions.push({ plugin: pluginId, action: item.name, title: item.title, suggestedInput: item.suggestedInput ?? null });
      }
    }
  }
  return suggestions;
}
