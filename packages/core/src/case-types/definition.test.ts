import { describe, expect, it } from 'vitest';
import { assertTransition, definitionProblems, durationMillis, type CaseTypeDefinition } from './definition.js';

const definition: CaseTypeDefinition = {
  key: 'refund',
  version: 1,
  name: 'Refund',
  fields: { type: 'object' },
  statuses: [{ key: 'new', name: 'New' }, { key: 'done', name: 'Done', final: true }],
  initialStatus: 'new',
  transitions: [{ from: 'new', to: ['done'] }],
  defaultQueue: 'refunds',
  defaultPriority: 'normal',
};

describe('case type definitions', () => {
  it('allow only declared transitions', () => {
    expect(() => assertTransition(definition, 'new', 'done')).not.toThrow();
    expect(() => assertTransition(definition, 'done', 'new')).toThrow(/cannot change/);
  });

  it('report references to unknown statuses', () => {
    expect(definitionProblems(definition)).toEqual([]);
    expect(definitionProblems({ ...definition, initialStatus: 'open', transitions: [{ from: 'new', to: ['gone'] }] })).toHaveLength(2);
  });

  it('parse SLA durations', () => {
    expect(durationMillis('PT48H')).toBe(48 * 3_600_000);
    expect(durationMillis('P1DT30M')).toBe(24 * 3_600_000 + 30 * 60_000);
    expect(durationMillis('P')).toBeUndefined();
    expect(durationMillis('48h')).toBeUndefined();
  });
});
