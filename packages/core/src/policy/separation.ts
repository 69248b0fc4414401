/**
 * Separation-of-duties rules a policy step may add to the engine's own (the proposer never approves,
 * one person counts once, admins are not exempt). Declared in YAML as a list:
 *
 *   separation: [notRequester, notAssignee, { notEditorsOf: [new_iban] }, differentTeamFromProposer]
 */
export type SeparationDeclaration = 'notRequester' | 'notAssignee' | 'differentTeamFromProposer' | { readonly notEditorsOf: readonly string[] };

/** The rules of one step, normalised; frozen into the action when it is proposed. */
export interface SeparationRules {
  readonly notRequester: boolean;
  readonly notAssignee: boolean;
  /** Case fields (keys of the case type's `fields`) whose editors may not approve. */
  readonly notEditorsOf: readonly string[];
  readonly differentTeamFromProposer: boolean;
}

const FLAGS = ['notRequester', 'notAssignee', 'differentTeamFromProposer'] as const;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const HINT = `use ${FLAGS.join(', ')} or { notEditorsOf: [field, …] }`;

/** What is wrong with a step's `separation` list (empty when it is usable). */
export function separationProblems(declared: unknown): string[] {
  if (declared === undefined) return [];
  if (!Array.isArray(declared)) return [`separation must be a list of rules (${HINT})`];
  const problems: string[] = [];
  const seen = new Set<string>();
  declared.forEach((rule: unknown, index) => {
    const at = `separation[${index}]`;
    const name = typeof rule === 'string' ? rule : isObject(rule) && Object.keys(rule).length === 1 ? Object.keys(rule)[0]! : undefined;
    if (name === undefined || !(FLAGS as readonly string[]).concat('notEditorsOf').includes(name) || (name === 'notEditorsOf') === (typeof rule === 'string')) {
      problems.push(`${at}: unknown rule ${JSON.stringify(rule)}; ${HINT}`);
      return;
    }
    if (seen.has(name)) problems.push(`${at}: ${name} is listed twice`);
    seen.add(name);
    if (name !== 'notEditorsOf') return;
    const fields = (rule as Record<string, unknown>).notEditorsOf;
    if (!Array.isArray(fields) || fields.length === 0) {
      problems.push(`${at}: notEditorsOf needs a non-empty list of case field names`);
      return;
    }
    for (const field of fields) {
      if (typeof field !== 'string' || !FIELD_NAME.test(field)) problems.push(`${at}: notEditorsOf names ${JSON.stringify(field)}, which is not a field name`);
    }
  });
  return problems;
}

/** The fields `notEditorsOf` names that the case type does not have. */
export function unknownSeparationFields(declared: readonly SeparationDeclaration[] | undefined, fieldNames: readonly string[]): string[] {
  // Runs beside separationProblems, so a malformed list is skipped here rather than reported twice.
  if (!Array.isArray(declared)) return [];
  const named = declared.flatMap((rule: unknown) => (isObject(rule) && Array.isArray(rule.notEditorsOf) ? (rule.notEditorsOf as unknown[]) : []));
  return [...new Set(named.filter((field): field is string => typeof field === 'string' && !fieldNames.includes(field)))];
}

/** The normalised rules of a step that declares any; undefined when it declares none. */
export function separationRulesOf(declared: readonly SeparationDeclaration[] | undefined): SeparationRules | undefined {
  if (declared === undefined || declared.length === 0) return undefined;
  const has = (flag: (typeof FLAGS)[number]) => declared.includes(flag);
  return {
    notRequester: has('notRequester'),
    notAssignee: has('notAssignee'),
    notEditorsOf: [...new Set(declared.flatMap((rule) => (typeof rule === 'object' ? rule.notEditorsOf : [])))],
    differentTeamFromProposer: has('differentTeamFromProposer'),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
