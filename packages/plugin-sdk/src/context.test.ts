import { RpcErrorCode, type Manifest } from '@latch/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from './define-plugin.js';
import { testPlugin, type TestHost } from './test-plugin.js';
import type { ContextCallContext, ContextReturn, PluginDefinition } from './types.js';

const manifest: Manifest = {
  id: 'orders',
  name: 'Orders',
  version: '1.0.0',
  protocolVersion: '1',
  command: ['node', 'main.js'],
  caseTypes: ['refund', 'payout'],
  caseFields: ['order_id'],
  config: [{ name: 'apiKey', description: 'key', required: true, secret: true }],
  actions: [],
};

/** An order system that answers facts about the order a case names, remembering what it was asked. */
function ordersPlugin(fetch: (ctx: ContextCallContext) => ContextReturn | Promise<ContextReturn>, extra: Partial<PluginDefinition> = {}) {
  return definePlugin({ manifest, actions: {}, context: { caseTypes: ['refund'], fetch }, ...extra });
}

let host: TestHost | undefined;
afterEach(async () => host?.close());

describe('the context capability in the TypeScript SDK', () => {
  it('is offered (version 1, with its case types) only by a plugin that defines context', async () => {
    host = testPlugin(ordersPlugin(() => ({ facts: [] })), { secrets: { apiKey: 'k' } });
    expect((await host.initialize()).capabilities).toEqual({ context: { version: 1, caseTypes: ['refund'] } });
    const bare = testPlugin(definePlugin({ manifest, actions: {} }), { secrets: { apiKey: 'k' } });
    expect((await bare.initialize()).capabilities).toBeUndefined();
    await expect(bare.context({ caseType: 'refund' })).rejects.toMatchObject({ code: RpcErrorCode.METHOD_NOT_FOUND });
    await bare.close();
  });

  it('hands the case and the configuration to the handler and answers its facts, with fetchedAt filled in', async () => {
    const seen: ContextCallContext[] = [];
    host = testPlugin(
      ordersPlugin((ctx) => {
        seen.push(ctx);
        return { facts: [{ label: 'Order', value: String(ctx.fields.order_id), kind: 'id' }], summary: `Order ${String(ctx.fields.order_id)}` };
      }),
      { secrets: { apiKey: 'k-secret' } },
    );
    const before = Date.now();
    const answer = await host.context({ caseId: 'c-1', caseType: 'refund', fields: { order_id: 'A1' } });
    expect(answer).toEqual({ facts: [{ label: 'Order', value: 'A1', kind: 'id' }], summary: 'Order A1', fetchedAt: expect.any(String) });
    expect(Date.parse(answer.fetchedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(seen.map((c) => [c.caseId, c.caseType, c.fields, c.secrets.apiKey])).toEqual([['c-1', 'refund', { order_id: 'A1' }, 'k-secret']]);
  });

  it('refuses a case type it does not offer context for, and an answer outside the schema', async () => {
    host = testPlugin(ordersPlugin(() => ({ facts: [{ label: 'Amount', value: 600 as unknown as string }] })), { secrets: { apiKey: 'k' } });
    await expect(host.context({ caseType: 'payout' })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS });
    await expect(host.context({ caseType: 'refund' })).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR, message: expect.stringMatching(/invalid answer/) });
  });

  it('answers an error when the handler throws (the host retries), and logs why', async () => {
    host = testPlugin(ordersPlugin(() => Promise.reject(new Error('order system unreachable'))), { secrets: { apiKey: 'k' } });
    await expect(host.context({ caseId: 'c-9', caseType: 'refund' })).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR, message: 'context failed: order system unreachable' });
    expect(host.logs.join('\n')).toContain('[context c-9] failed: Error: order system unreachable');
  });

  it('waits for configure like every other call', async () => {
    host = testPlugin(ordersPlugin(() => ({ facts: [] })), { secrets: {} });
    await expect(host.context({ caseType: 'refund' })).rejects.toThrow(/apiKey/);
  });

  it('refuses at definition a context for case types the plugin does not see', () => {
    expect(() => definePlugin({ manifest, actions: {}, context: { caseTypes: ['access'], fetch: () => ({ facts: [] }) } })).toThrow(/access/);
    expect(() => definePlugin({ manifest, actions: {}, context: { caseTypes: [], fetch: () => ({ facts: [] }) } })).toThrow(/no case type/);
    expect(() => definePlugin({ manifest: { ...manifest, caseTypes: ['*'] }, actions: {}, context: { caseTypes: ['access'], fetch: () => ({ facts: [] }) } })).not.toThrow();
  });
});
