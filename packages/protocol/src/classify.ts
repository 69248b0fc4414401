import type { ClassifyResult } from './types.js';

/** The choices `choiceProblems` reads: a `case.classify` call's `caseTypes` (or a host's own, read-only, copy). */
export interface OfferedChoices {
  readonly caseTypes: readonly { readonly key: string; readonly queues: readonly string[]; readonly priorities: readonly string[]; readonly intents?: readonly string[] | undefined }[];
}

/**
 * Where a `case.classify` answer strays from what it was offered: a case type not offered, or a
 * queue, priority or intent that the suggested case type (or, with no case type suggested, none of
 * the offered ones) declares. Empty when every suggested part is a choice it was given.
 */
export function choiceProblems(offered: OfferedChoices, answer: Pick<ClassifyResult, 'caseType' | 'queue' | 'priority' | 'intent'>): string[] {
  const chosen = answer.caseType === undefined ? offered.caseTypes : offered.caseTypes.filter((t) => t.key === answer.caseType);
  if (chosen.length === 0) return [`caseType ${JSON.stringify(answer.caseType)} was not offered`];
  const where = answer.caseType === undefined ? 'any offered case type' : `case type ${answer.caseType}`;
  const problems: string[] = [];
  const check = (part: 'queue' | 'priority' | 'intent', options: readonly string[]) => {
    const value = answer[part];
    if (value !== undefined && !options.includes(value)) problems.push(`${part} ${JSON.stringify(value)} is not one of ${where}`);
  };
  check('queue', chosen.flatMap((t) => t.queues));
  check('priority', chosen.flatMap((t) => t.priorities));
  check('intent', chosen.flatMap((t) => t.intents ?? []));
  return problems;
}
