import type { Priority } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { presentCaseDetail } from '../../cases/present-case.js';
import type { LatchContext } from '../../context.js';
import { providerAccuracy } from '../../intelligence/accuracy.js';
import { decideTriage, type TriageChoice } from '../../intelligence/decide-triage.js';
import { readCaseIntelligence } from '../../intelligence/read-intelligence.js';
import { listModels } from '../../intelligence/train-builtin.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, priority, ref, versionNumber } from '../schemas.js';

const key = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' } as const;
const nullableKey = { type: ['string', 'null'] } as const;
const triplet = { type: 'object', required: ['caseType', 'queue', 'priority'], properties: { caseType: { type: 'string' }, queue: { type: 'string' }, priority: { type: 'string' } } } as const;
const step = { type: 'object', additionalProperties: true, properties: { name: { type: 'string' }, role: { type: 'string' }, team: { type: 'string' }, count: { type: 'integer' } } } as const;
const caseIntelligence = {
  type: 'object',
  required: ['state', 'suggestion', 'decision', 'rules', 'similar'],
  properties: {
    state: { type: 'string', enum: ['none', 'awaiting', 'suggested', 'accepted', 'overridden', 'confirmed'] },
    suggestion: {
      anyOf: [
        {
          type: 'object',
          required: ['eventId', 'at', 'provider', 'model', 'caseType', 'queue', 'priority', 'confidence', 'explanation', 'fallbackFrom', 'personalDataSent'],
          properties: {
            eventId: { type: 'string' },
            at: { type: 'string' },
            provider: { type: 'string' },
            model: { type: 'object', required: ['id', 'version'], properties: { id: { type: 'string' }, version: { type: 'string' } } },
            caseType: nullableKey,
            queue: nullableKey,
            priority: nullableKey,
            confidence: { type: 'number' },
            explanation: { type: 'array', items: { type: 'object', required: ['feature', 'weight'], properties: { feature: { type: 'string' }, weight: { type: 'number' } } } },
            fallbackFrom: { anyOf: [{ type: 'object', required: ['provider', 'reason'], properties: { provider: { type: 'string' }, reason: { type: 'string' } } }, { type: 'null' }] },
            personalDataSent: { type: 'boolean' },
          },
        },
        { type: 'null' },
      ],
    },
    decision: { anyOf: [triplet, { type: 'null' }] },
    rules: {
      type: 'object',
      required: ['caseType', 'actions'],
      properties: {
        caseType: { type: 'string' },
        actions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['plugin', 'action', 'name', 'input', 'amount', 'policy', 'steps', 'summary', 'failedClosed'],
            properties: {
              plugin: { type: 'string' },
              action: { type: 'string' },
              name: { type: 'string' },
              input: { type: 'object', additionalProperties: true },
              amount: nullableKey,
              policy: { anyOf: [{ type: 'object', required: ['key', 'version'], properties: { key: { type: 'string' }, version: { type: 'integer' } } }, { type: 'null' }] },
              steps: { type: 'array', items: step },
              summary: { type: 'string' },
              failedClosed: { type: 'boolean' },
            },
          },
        },
      },
    },
    similar: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'type', 'status', 'final', 'createdAt', 'reasons', 'resolution'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          type: { type: 'string' },
          status: { type: 'string' },
          final: { type: 'boolean' },
          createdAt: { type: 'string' },
          reasons: { type: 'array', items: { type: 'string' } },
          resolution: { type: 'string' },
        },
      },
    },
  },
} as const;
const targetAccuracy = { type: 'object', required: ['suggested', 'correct', 'accuracy'], properties: { suggested: { type: 'integer' }, correct: { type: 'integer' }, accuracy: { type: ['number', 'null'] } } } as const;

/** Triage suggestions: a case's panel, the operator's decision, the built-in model's training and each provider's accuracy. */
export const intelligenceRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/intelligence',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['intelligence'],
        summary: 'The triage suggestion (type, queue, priority, confidence, explanation), the decision, the rule that will apply for the suggested type, and similar earlier cases',
        params: idParams,
        response: { 200: caseIntelligence, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return readCaseIntelligence(ctx.database.db, ctx.caseTypes, ctx.teams.visibilityOf(principal), request.params.id, principal.userId);
    },
  );

  app.post<{ Params: { id: string }; Body: { decision: 'accept' | 'override'; version: number; caseType?: string; queue?: string; priority?: Priority; reason?: string } }>(
    '/api/v1/cases/:id/triage',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['intelligence'],
        summary: 'Accept the suggestion, or override it with the type, queue or priority chosen instead; applied to the case and recorded (intelligence.accepted / intelligence.overridden)',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision', 'version'],
          properties: {
            decision: { type: 'string', enum: ['accept', 'override'] },
            version: versionNumber,
            caseType: key,
            queue: key,
            priority,
            reason: { type: 'string', minLength: 1, maxLength: 1000 },
          },
        },
        response: { 200: ref('Case'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      if (body.decision === 'accept' && (body.caseType ?? body.queue ?? body.priority) !== undefined) {
        return reply.code(400).send({ error: { code: 'VALIDATION_FAILED', message: 'Accepting takes the suggestion as it is; to choose otherwise, override' } });
      }
      const choice: TriageChoice =
        body.decision === 'accept'
          ? { decision: 'accept', version: body.version, reason: body.reason }
          : { decision: 'override', version: body.version, caseType: body.caseType, queue: body.queue, priority: body.priority, reason: body.reason };
      return runCommand(ctx, request, reply, async (tx) => {
        const row = await decideTriage(tx, ctx.caseTypes, ctx.teams.visibilityOf(principal), actorOf(principal), request.params.id, choice);
        void reply.header('etag', `"${row.version}"`);
        return { status: 200, body: presentCaseDetail(row, ctx.caseTypes) };
      });
    },
  );

  app.post(
    '/api/v1/intelligence/models::train',
    {
      config: { permission: 'intake:manage' },
      schema: {
        tags: ['intelligence'],
        summary: 'Train the built-in model now on every confirmed case; stores a new version unless the training set is unchanged or too small',
        response: {
          200: {
            type: 'object',
            required: ['trained', 'version', 'examples', 'trainingSetSha256'],
            properties: {
              trained: { type: 'boolean' },
              reason: { type: 'string', enum: ['unchanged', 'too_few_examples'] },
              version: { type: ['integer', 'null'] },
              examples: { type: 'integer' },
              trainingSetSha256: { type: 'string' },
              targets: { type: 'array', items: { type: 'string' } },
              millis: { type: 'integer' },
            },
          },
          ...errors(401, 403),
        },
      },
    },
    async () => ctx.intelligence.builtin.train(),
  );

  app.get(
    '/api/v1/intelligence/models',
    {
      config: { permission: 'intake:manage' },
      schema: {
        tags: ['intelligence'],
        summary: "The built-in model's stored versions, newest first, with their training-set hashes (weights not included)",
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['version', 'trainingSetSha256', 'examples', 'trainedAt', 'targets'],
                  properties: { version: { type: 'integer' }, trainingSetSha256: { type: 'string' }, examples: { type: 'integer' }, trainedAt: { type: 'string', format: 'date-time' }, targets: { type: 'array', items: { type: 'string' } } },
                },
              },
            },
          },
          ...errors(401, 403),
        },
      },
    },
    async () => ({ items: (await listModels(ctx.database.db)).map((m) => ({ ...m, trainedAt: m.trainedAt.toISOString() })) }),
  );

  app.get(
    '/api/v1/intelligence/accuracy',
    {
      config: { permission: 'case:update' },
      schema: {
        tags: ['intelligence'],
        summary: "Each provider's running accuracy against operators' decisions (accepted or overridden suggestions)",
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['provider', 'decisions', 'accepted', 'overridden', 'caseType', 'queue', 'priority'],
                  properties: { provider: { type: 'string' }, decisions: { type: 'integer' }, accepted: { type: 'integer' }, overridden: { type: 'integer' }, caseType: targetAccuracy, queue: targetAccuracy, priority: targetAccuracy },
                },
              },
            },
          },
          ...errors(401, 403),
        },
      },
    },
    async () => ({ items: await providerAccuracy(ctx.database.db) }),
  );
};
