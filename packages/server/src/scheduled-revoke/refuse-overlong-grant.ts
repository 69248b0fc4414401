import { durationProblem, findAction, ValidationError, type CaseTypeDefinition } from '@latch/core';

/** Refuses a time-bounded grant that asks for no duration, or longer than its case type allows (400 `VALIDATION_FAILED`). */
export function refuseOverlongGrant(definition: CaseTypeDefinition, plugin: string, action: string, input: unknown): void {
  const revoke = findAction(definition, plugin, action)?.revokeAfter;
  if (!revoke) return;
  const problem = durationProblem(revoke, input);
  if (problem) throw new ValidationError(`The input does not match ${plugin}.${action}`, { errors: [{ path: `/${revoke.durationFrom.replaceAll('.', '/')}`, message: problem }] });
}
