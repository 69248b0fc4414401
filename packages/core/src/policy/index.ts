export { PolicyError } from './policy.js';
export type { ApprovalPolicy, ApprovalStep, HistorySettings, HistoryTotals, PolicyContext, PolicyHistory, RequiredStep } from './policy.js';
export { HISTORY_STATUSES, historySettings, matchValues, readsHistory, totalHistory, type CurrentAction, type EarlierAction, type ResolvedHistorySettings } from './history.js';
export { compileCondition, evaluateCondition, MAX_CONDITION_LENGTH, type CompiledCondition } from './cel.js';
export { checkPolicy, requiredSteps } from './evaluate-policy.js';
export { describeRequirements } from './describe-requirements.js';
export { separationProblems, separationRulesOf, unknownSeparationFields, type SeparationDeclaration, type SeparationRules } from './separation.js';
