import { personalFields, PRIORITIES, type Json } from '@latch/core';
import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { CaseRow } from '../cases/case-access.js';
import { minimisationFor, BUILTIN, type IntelligenceConfig } from './intelligence-config.js';
import type { CaseTypeChoice, ClassifyRequest, Evidence, Suggestion } from './provider.js';
import { textOf } from './train-builtin.js';

const MAX_EXPLANATION = 10;
const MAX_FEATURE_LENGTH = 80;

/** The newest version of every case type, with the queues and priorities a suggestion may name. */
export function caseTypeChoices(registry: CaseTypeRegistry, queuesInUse: readonly string[]): CaseTypeChoice[] {
  const latest = new Map(registry.list().map((type) => [type.definition.key, type.definition]));
  const queues = [...new Set([...[...latest.values()].map((d) => d.defaultQueue), ...queuesInUse])].sort();
  return [...latest.values()].map((definition) => ({ key: definition.key, title: definition.name, queues, priorities: [...PRIORITIES] }));
}

/**
 * The request one provider is sent: the built-in model (local) reads the case's text and fields;
 * any other provider only what intelligence.yaml's `minimise` allows for the case's type.
 */
export function classifyRequest(config: IntelligenceConfig, registry: CaseTypeRegistry, row: CaseRow, provider: string, choices: readonly CaseTypeChoice[]): ClassifyRequest {
  const personal = personalFields(registry.get(row.typeKey, row.typeVersion).definition);
  const fields = row.fields as Record<string, Json>;
  if (provider === BUILTIN) {
    return { caseId: row.id, text: textOf(row), fields, caseTypes: choices, personalData: true };
  }
  const allowed = minimisationFor(config, row.typeKey);
  const sent = Object.fromEntries(Object.entries(fields).filter(([name]) => allowed.fields.includes(name)));
  const text = allowed.text ? textOf(row) : '';
  return { caseId: row.id, text, fields: sent, caseTypes: choices, personalData: text !== '' || Object.keys(sent).some((name) => personal.has(name)) };
}

/** Why an answer was discarded. */
export class InvalidSuggestion extends Error {}

/**
 * Checks an answer against what was offered: a known type, and a queue, priority and intent that
 * type offers; a confidence in [0, 1]; a short explanation. Anything else discards the answer.
 */
export function validSuggestion(answer: Suggestion, choices: readonly CaseTypeChoice[]): Suggestion {
  if (typeof answer !== 'object' || answer === null) throw new InvalidSuggestion('not an object');
  const { caseType, queue, priority, intent, confidence, explanation, model } = answer;
  if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) throw new InvalidSuggestion('confidence is not a number in [0, 1]');
  if (typeof model?.id !== 'string' || typeof model?.version !== 'string') throw new InvalidSuggestion('model id and version are missing');
  const type = caseType === undefined ? undefined : choices.find((c) => c.key === caseType);
  if (caseType !== undefined && !type) throw new InvalidSuggestion('the case type is not one offered');
  const offered = type ?? { queues: [...new Set(choices.flatMap((c) => c.queues))], priorities: [...new Set(choices.flatMap((c) => c.priorities))], intents: undefined };
  if (queue !== undefined && !offered.queues.includes(queue)) throw new InvalidSuggestion('the queue is not one offered');
  if (priority !== undefined && !offered.priorities.includes(priority)) throw new InvalidSuggestion('the priority is not one offered');
  if (intent !== undefined && !(offered.intents ?? []).includes(intent)) throw new InvalidSuggestion('the intent is not one offered');
  if (!Array.isArray(explanation)) throw new InvalidSuggestion('explanation is not a list');
  const evidence: Evidence[] = explanation.slice(0, MAX_EXPLANATION).map((e) => {
    if (typeof e?.feature !== 'string' || typeof e.weight !== 'number' || !Number.isFinite(e.weight)) throw new InvalidSuggestion('an explanation entry is malformed');
    return { feature: e.feature.slice(0, MAX_FEATURE_LENGTH), weight: e.weight };
  });
  return {
    ...(caseType !== undefined ? { caseType } : {}),
    ...(queue !== undefined ? { queue } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(intent !== undefined ? { intent } : {}),
    confidence,
    explanation: evidence,
    model: { id: model.id.slice(0, 200), version: model.version.slice(0, 200) },
  };
}
