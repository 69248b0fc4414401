import { describeFailure, separationFailures, type CaseFacts, type RequiredStep } from '@latch/core';
import { and, asc, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { users } from '../db/schema.js';
import { caseFactsOf } from './case-facts.js';

/** Most candidates listed per step: a simulation explains, it is not a directory. */
const MAX_CANDIDATES = 25;

/** Why a candidate may not approve: the engine's code, and a clause for people. */
export interface ApproverReason {
  readonly code: string;
  readonly rule?: string;
  readonly fields?: readonly string[];
  readonly teams?: readonly string[];
  readonly text: string;
}

export interface Candidate {
  readonly userId: string;
  readonly name: string;
  readonly canApprove: boolean;
  readonly reasons: readonly ApproverReason[];
}

export interface StepApprovers {
  readonly step: number;
  readonly name: string;
  readonly candidates: readonly Candidate[];
  /** "Rita can approve; Olivia can't: they proposed it; Sam can't: they edited payment_intent". */
  readonly sentence: string;
}

/**
 * For each step, the active people who hold its role or team and may decide, and whether each could approve an
 * action `proposedBy` proposes on this case, with every rule they would fail: the proposer rule
 * and the step's separation rules, judged from the case's record by the engine's own function.
 */
export async function explainApprovers(
  db: Queryable,
  caseId: string,
  proposedBy: string,
  steps: readonly RequiredStep[],
  /** Whether these roles grant `action:decide` (the deployment's role set decides). */
  mayDecide: (roles: readonly string[]) => boolean,
): Promise<StepApprovers[]> {
  const facts = steps.length > 0 ? await caseFactsOf(db, caseId, proposedBy) : undefined;
  const explained: StepApprovers[] = [];
  for (const step of steps) {
    const holders = await db
      .select({ id: users.id, name: users.name, roles: users.roles, teams: users.teams })
      .from(users)
      .where(and(isNull(users.disabledAt), step.role !== undefined ? sql`${step.role} = any(${users.roles})` : sql`${step.team ?? ''} = any(${users.teams})`))
      .orderBy(asc(users.name))
      .limit(4 * MAX_CANDIDATES);
    const deciders = holders.filter((holder) => mayDecide(holder.roles)).slice(0, MAX_CANDIDATES);
    const candidates = deciders.map((holder) => judge(step, holder, proposedBy, facts!));
    explained.push({ step: step.index, name: step.name, candidates, sentence: sentenceOf(candidates) });
  }
  return explained;
}

function judge(step: RequiredStep, holder: { id: string; name: string; teams: string[] }, proposedBy: string, facts: CaseFacts): Candidate {
  const reasons: ApproverReason[] = [];
  if (holder.id === proposedBy) reasons.push({ code: 'SELF_APPROVAL_FORBIDDEN', text: 'they proposed it' });
  for (const failure of separationFailures(step.separation, { userId: holder.id, teams: holder.teams }, facts)) {
    reasons.push({
      code: failure.code,
      rule: failure.rule,
      ...(failure.fields ? { fields: failure.fields } : {}),
      ...(failure.teams ? { teams: failure.teams } : {}),
      text: describeFailure(failure),
    });
  }
  return { userId: holder.id, name: holder.name, canApprove: reasons.length === 0, reasons };
}

function sentenceOf(candidates: readonly Candidate[]): string {
  if (candidates.length === 0) return 'No active user can approve this step';
  return candidates.map((c) => (c.canApprove ? `${c.name} can approve` : `${c.name} can't: ${c.reasons.map((r) => r.text).join(', ')}`)).join('; ');
}

/** The OpenAPI schema of `explainApprovers`' answer. */
export const approversSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['step', 'name', 'candidates', 'sentence'],
    properties: {
      step: { type: 'integer' },
      name: { type: 'string' },
      sentence: { type: 'string' },
      candidates: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['userId', 'name', 'canApprove', 'reasons'],
          properties: {
            userId: { type: 'string', format: 'uuid' },
            name: { type: 'string' },
            canApprove: { type: 'boolean' },
            reasons: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['code', 'text'],
                properties: {
                  code: { type: 'string' },
                  rule: { type: 'string' },
                  fields: { type: 'array', items: { type: 'string' } },
                  teams: { type: 'array', items: { type: 'string' } },
                  text: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
