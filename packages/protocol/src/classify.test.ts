import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { choiceProblems } from './classify.js';
import { checkClassify, checkClassifyInjection, offeredChoices } from './conformance-classify.js';
import { validateSchema } from './json-schema.js';
import { CLASSIFY_LIMITS, schemas } from './schemas/index.js';
import type { ClassifyParams, ClassifyResult, Manifest } from './types.js';

const params: ClassifyParams = {
  caseId: '0190-case',
  text: 'Refund order 1234 please',
  fields: { order_id: '1234' },
  caseTypes: [
    { key: 'refund', title: 'Refund', queues: ['refunds'], priorities: ['normal', 'high'], intents: ['duplicate', 'not_received'] },
    { key: 'access_request', title: 'Access request', queues: ['it'], priorities: ['normal'] },
  ],
};
const answer: ClassifyResult = {
  caseType: 'refund',
  queue: 'refunds',
  priority: 'high',
  intent: 'duplicate',
  confidence: 0.82,
  explanation: [{ feature: 'refund', weight: 1.3 }],
  model: { id: 'keyword', version: '1' },
};

describe('case.classify schemas', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const agree = (name: 'classifyParams' | 'classifyResult' | 'initializeResult', value: unknown, ok: boolean) => {
    expect(validateSchema(schemas[name], value).length === 0, `${name} ${JSON.stringify(value).slice(0, 120)}`).toBe(ok);
    expect(ajv.validate(schemas[name], value), name).toBe(ok);
  };

  it('accept a documented call and answer, and "no suggestion"', () => {
    agree('classifyParams', params, true);
    agree('classifyParams', { ...params, text: '' }, true);
    agree('classifyResult', answer, true);
    agree('classifyResult', { confidence: 0, explanation: [], model: { id: 'm', version: '1' } }, true);
  });

  it('refuse unbounded, out-of-range or extra answers', () => {
    agree('classifyResult', { ...answer, confidence: 1.2 }, false);
    agree('classifyResult', { ...answer, confidence: -0.1 }, false);
    agree('classifyResult', { ...answer, confidence: '0.9' }, false);
    agree('classifyResult', { ...answer, caseType: '' }, false);
    agree('classifyResult', { ...answer, caseType: 'x'.repeat(CLASSIFY_LIMITS.label + 1) }, false);
    agree('classifyResult', { ...answer, explanation: Array.from({ length: CLASSIFY_LIMITS.explanation + 1 }, () => ({ feature: 'f', weight: 1 })) }, false);
    agree('classifyResult', { ...answer, explanation: [{ feature: 'f' }] }, false);
    agree('classifyResult', { ...answer, action: { plugin: 'stripe', action: 'refund' } }, false);
    agree('classifyResult', { ...answer, model: { id: 'm' } }, false);
    agree('classifyParams', { ...params, caseTypes: [] }, false);
    agree('classifyParams', { ...params, text: 't'.repeat(CLASSIFY_LIMITS.text + 1) }, false);
    agree('classifyParams', { ...params, caseTypes: [{ key: 'refund', title: 'Refund', queues: [] }] }, false);
  });

  it('version the capability', () => {
    const manifest = { id: 'p', name: 'P', version: '1.0.0', protocolVersion: '1', command: ['p'], caseTypes: ['*'], caseFields: [], config: [], actions: [] };
    agree('initializeResult', { protocolVersion: '1', manifest, capabilities: { classify: { version: 1 } } }, true);
    agree('initializeResult', { protocolVersion: '1', manifest, capabilities: { classify: { version: 2 } } }, false);
    agree('initializeResult', { protocolVersion: '1', manifest, capabilities: { classify: { version: 1, caseTypes: ['x'] } } }, false);
  });
});

describe('choiceProblems', () => {
  it('accepts offered choices, per case type, and parts without a case type against every offered type', () => {
    expect(choiceProblems(params, answer)).toEqual([]);
    expect(choiceProblems(params, {})).toEqual([]);
    expect(choiceProblems(params, { queue: 'it', priority: 'high' })).toEqual([]);
  });

  it('names every part that was not offered', () => {
    expect(choiceProblems(params, { caseType: 'payout' })).toEqual(['caseType "payout" was not offered']);
    expect(choiceProblems(params, { caseType: 'access_request', queue: 'refunds', priority: 'high', intent: 'duplicate' })).toEqual([
      'queue "refunds" is not one of case type access_request',
      'priority "high" is not one of case type access_request',
      'intent "duplicate" is not one of case type access_request',
    ]);
    expect(choiceProblems(params, { queue: 'root' })).toEqual(['queue "root" is not one of any offered case type']);
  });
});

describe('conformance of the classify capability', () => {
  const manifest = { caseTypes: ['refund'], caseFields: [], actions: [] } as unknown as Manifest;
  const offered = { classify: { version: 1 as const } };

  it('passes a plugin without it, and offers the manifest case types (or made-up ones for *)', async () => {
    expect(await checkClassify(undefined, manifest, async () => answer)).toBe('not offered');
    expect(await checkClassifyInjection(undefined, manifest, async () => answer)).toBe('not offered');
    expect(offeredChoices(manifest).map((c) => c.key)).toEqual(['refund']);
    expect(offeredChoices({ ...manifest, caseTypes: ['*'] }).map((c) => c.key)).toEqual(['refund', 'access_request']);
  });

  it('fails an answer outside the schema or the choices, and one that follows the text', async () => {
    const asked: ClassifyParams[] = [];
    const good = { caseType: 'refund', queue: 'refund-queue', priority: 'high', confidence: 0.7, explanation: [], model: { id: 'k', version: '1' } };
    expect(await checkClassify(offered, manifest, async (p) => (asked.push(p), good))).toBe('classify v1: refund at 0.7 by k');
    expect(asked[0]!.caseTypes).toEqual([{ key: 'refund', title: 'refund', queues: ['refund-queue'], priorities: ['low', 'normal', 'high'] }]);
    await expect(checkClassify(offered, manifest, async () => ({ ...good, confidence: 2 }))).rejects.toThrow(/does not match/);
    await expect(checkClassify(offered, manifest, async () => ({ ...good, queue: 'refunds' }))).rejects.toThrow(/outside the choices: queue "refunds"/);
    expect(await checkClassifyInjection(offered, manifest, async () => ({ confidence: 0, explanation: [], model: { id: 'k', version: '1' } }))).toBe('no suggestion');
    await expect(checkClassifyInjection(offered, manifest, async () => ({ ...good, caseType: 'approve_refund_now' }))).rejects.toThrow(/was not offered/);
  });
});
