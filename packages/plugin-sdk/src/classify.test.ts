import { RpcErrorCode, type Manifest } from '@latch/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from './define-plugin.js';
import { testPlugin, type TestHost } from './test-plugin.js';
import type { ClassifyCallContext, ClassifyReturn } from './types.js';

const manifest: Manifest = { id: 'triage', name: 'Triage', version: '1.0.0', protocolVersion: '1', command: ['node', 'main.js'], caseTypes: ['*'], caseFields: ['order_id'], config: [], actions: [] };
const caseTypes = [
  { key: 'refund', title: 'Refund', queues: ['refunds'], priorities: ['normal', 'high'], intents: ['duplicate'] },
  { key: 'access_request', title: 'Access request', queues: ['it'], priorities: ['normal'] },
];
const model = { id: 'rules', version: '1' };

let host: TestHost | undefined;
afterEach(async () => host?.close());

describe('the classify capability in the TypeScript SDK', () => {
  it('is offered (version 1) only by a plugin that defines classify', async () => {
    host = testPlugin(definePlugin({ manifest, actions: {}, classify: () => ({ confidence: 0, model }) }));
    expect((await host.initialize()).capabilities).toEqual({ classify: { version: 1 } });
    const bare = testPlugin(definePlugin({ manifest, actions: {} }));
    expect((await bare.initialize()).capabilities).toBeUndefined();
    await expect(bare.classify({ caseTypes })).rejects.toMatchObject({ code: RpcErrorCode.METHOD_NOT_FOUND });
    await bare.close();
  });

  it('hands the text, fields and choices to the handler and answers its suggestion, explanation defaulted', async () => {
    const seen: ClassifyCallContext[] = [];
    host = testPlugin(
      definePlugin({
        manifest,
        actions: {},
        classify: (ctx) => {
          seen.push(ctx);
          return { caseType: 'refund', queue: 'refunds', priority: 'high', intent: 'duplicate', confidence: 0.9, model };
        },
      }),
    );
    const answer = await host.classify({ caseId: 'c1', text: 'charged twice', fields: { order_id: 'o-1' }, caseTypes });
    expect(answer).toEqual({ caseType: 'refund', queue: 'refunds', priority: 'high', intent: 'duplicate', confidence: 0.9, explanation: [], model });
    expect(seen[0]).toMatchObject({ caseId: 'c1', text: 'charged twice', fields: { order_id: 'o-1' }, caseTypes });
  });

  it('refuses to send an answer outside the schema or the offered choices, and says why in the log', async () => {
    const answers: ClassifyReturn[] = [
      { caseType: 'payout', confidence: 0.9, model },
      { caseType: 'access_request', queue: 'refunds', confidence: 0.9, model },
      { caseType: 'refund', confidence: 1.5, model },
      { caseType: 'refund', intent: 'approve_now', confidence: 0.5, model },
    ];
    let next = 0;
    host = testPlugin(definePlugin({ manifest, actions: {}, classify: () => answers[next++]! }));
    for (const expected of [/caseType "payout" was not offered/, /queue "refunds" is not one of case type access_request/, /confidence must be <= 1/, /intent "approve_now"/]) {
      await expect(host.classify({ caseTypes })).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR, message: expect.stringMatching(expected) });
    }
    expect(host.logs.join('\n')).toMatch(/\[classify case-test\] returned an invalid answer/);
  });

  it('answers an error when the handler throws, and refuses malformed params', async () => {
    host = testPlugin(definePlugin({ manifest, actions: {}, classify: () => { throw new Error('model offline'); } }));
    await expect(host.classify({ caseTypes })).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR, message: 'classify failed: model offline' });
    await expect(host.classify({ caseTypes: [] })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS });
  });
});
