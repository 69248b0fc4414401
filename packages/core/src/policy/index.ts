export { PolicyError } from './policy.js';
export type { ApprovalPolicy, ApprovalStep, PolicyContext, RequiredStep } from './policy.js';
export { compileCondition, evaluateCondition, MAX_CONDITION_LENGTH, type CompiledCondition } from './cel.js';
export { checkPolicy, requiredSteps } from './evaluate-policy.js';
export { describeRequirements } from './describe-requirements.js';
export { separationProblems, separationRulesOf, unknownSeparationFields, type SeparationDeclaration, type SeparationRules } from './separation.js';
