import { choiceProblems } from '@latch/protocol';
import type { ValidateFunction } from 'ajv';
import { newAjv } from '../../http/ajv.js';
import type { CaseTypeChoice, ClassifyRequest, Evidence, Suggestion } from '../provider.js';
import { IntelligenceProviderError } from './provider-error.js';

/** At most this many explanation entries are asked for and kept. */
export const MAX_EVIDENCE = 10;
const MAX_FEATURE = 80;

/** What a model is asked to answer; `null` is "no suggestion" for that part. */
export interface ModelAnswer {
  caseType: string | null;
  queue: string | null;
  priority: string | null;
  intent: string | null;
  confidence: number;
  evidence: { feature: string; weight: number }[];
}

const distinct = (values: readonly string[]) => [...new Set(values)].sort();
const oneOf = (values: readonly string[]) => (values.length > 0 ? { type: ['string', 'null'], enum: [...distinct(values), null] } : { type: 'null' });

/**
 * The JSON Schema of the answer, built from the offered case types: every part is one of the
 * offered values or null. Written for OpenAI's strict structured outputs (every property required,
 * no extra ones); which queue belongs to which type is checked after, by `suggestionOf`.
 */
export function answerSchema(caseTypes: readonly CaseTypeChoice[]): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['caseType', 'queue', 'priority', 'intent', 'confidence', 'evidence'],
    properties: {
      caseType: oneOf(caseTypes.map((t) => t.key)),
      queue: oneOf(caseTypes.flatMap((t) => t.queues)),
      priority: oneOf(caseTypes.flatMap((t) => t.priorities)),
      intent: oneOf(caseTypes.flatMap((t) => t.intents ?? [])),
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      evidence: {
        type: 'array',
        maxItems: MAX_EVIDENCE,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['feature', 'weight'],
          properties: { feature: { type: 'string', minLength: 1, maxLength: MAX_FEATURE }, weight: { type: 'number' } },
        },
      },
    },
  };
}

const ajv = newAjv();
/** Compiled validators by schema: the offered choices rarely change, and compiling costs milliseconds. */
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 32;

function validatorFor(caseTypes: readonly CaseTypeChoice[]): ValidateFunction {
  const schema = answerSchema(caseTypes);
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

const invalid = (why: string) => new IntelligenceProviderError('INTELLIGENCE_INVALID_OUTPUT', why);

/**
 * Turns a model's raw text into a Suggestion, or rejects it as INTELLIGENCE_INVALID_OUTPUT: not
 * JSON, not the schema, or a part the suggested case type does not offer. Strict on purpose: a
 * model that half-follows the schema is recorded as failing, not repaired.
 */
export function suggestionOf(raw: string | null | undefined, request: Pick<ClassifyRequest, 'caseTypes'>, model: Suggestion['model']): Suggestion {
  if (typeof raw !== 'string' || raw.trim() === '') throw invalid('the answer was empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid('the answer is not JSON');
  }
  const validate = validatorFor(request.caseTypes);
  if (!validate(parsed)) {
    const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw invalid(`the answer does not match the schema: ${problems.join('; ')}`);
  }
  const answer = parsed as ModelAnswer;
  const parts = {
    ...(answer.caseType !== null ? { caseType: answer.caseType } : {}),
    ...(answer.queue !== null ? { queue: answer.queue } : {}),
    ...(answer.priority !== null ? { priority: answer.priority } : {}),
    ...(answer.intent !== null ? { intent: answer.intent } : {}),
  };
  const problems = choiceProblems(request, parts);
  if (problems.length > 0) throw invalid(`the answer names what was not offered: ${problems.join('; ')}`);
  const explanation: Evidence[] = answer.evidence.map((e) => ({ feature: e.feature, weight: e.weight }));
  return { ...parts, confidence: answer.confidence, explanation, model };
}
