import { RpcErrorCode, type Manifest } from '@latch/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { action, definePlugin } from './define-plugin.js';
import { ActionFailure } from './failure.js';
import { testCase, testPlugin, type TestHost } from './test-plugin.js';

const refundInput = {
  type: 'object',
  additionalProperties: false,
  required: ['payment_intent', 'amount_minor', 'currency'],
  properties: {
    payment_intent: { type: 'string', pattern: '^pi_' },
    amount_minor: { type: 'integer', minimum: 1 },
    currency: { enum: ['usd', 'eur'] },
    mode: { type: 'string' },
  },
} as const;

const manifest: Manifest = {
  id: 'shop',
  name: 'Shop',
  version: '1.2.3',
  protocolVersion: '1',
  command: ['node', 'dist/main.js'],
  caseTypes: ['refund'],
  caseFields: ['payment_intent'],
  config: [
    { name: 'apiBase', description: 'API base', required: false, secret: false },
    { name: 'apiKey', description: 'API key', required: true, secret: true },
  ],
  actions: [
    { name: 'refund', title: 'Refund', inputSchema: refundInput, outputSchema: { type: 'object', required: ['refund_id'] } },
    { name: 'slow', title: 'Slow', inputSchema: { type: 'object', properties: { ms: { type: 'integer' } } } },
  ],
};

const seen: unknown[] = [];
const plugin = definePlugin({
  manifest,
  configure(config) {
    if (config.apiBase === 'bad') throw new Error('apiBase must be a URL');
  },
  listActions: (c) => [{ name: 'refund', title: 'Refund', suggestedInput: { payment_intent: c.fields.payment_intent } }],
  actions: {
    refund: action({
      inputSchema: refundInput,
      async execute(ctx) {
        const { input } = ctx;
        seen.push({ key: ctx.idempotencyKey, attempt: ctx.attempt, secrets: ctx.secrets, config: ctx.config, case: ctx.case.id });
        ctx.log(`refunding ${input.amount_minor} ${input.currency}`);
        if (input.mode === 'declined') throw new ActionFailure('Card declined', { retryable: false, external: { response: { status: 402 } } });
        if (input.mode === 'flaky') throw new Error('upstream 503');
        if (input.mode === 'bad-output') return { summary: 'ok', output: { nope: 1 } };
        if (input.mode === 'garbage') return undefined as never;
        return { summary: `Refunded ${input.amount_minor}`, output: { refund_id: 're_1' } };
      },
    }),
    slow: action<{ ms?: number }>({
      async execute({ input }) {
        await new Promise((resolve) => setTimeout(resolve, input.ms ?? 0));
        return { summary: `slept ${input.ms}`, output: input.ms };
      },
    }),
  },
});

const refund = (extra: Record<string, unknown> = {}) => ({ action: 'refund', input: { payment_intent: 'pi_1', amount_minor: 500, currency: 'usd', ...extra } });
let host: TestHost;
afterEach(async () => {
  await host?.close();
  seen.length = 0;
});

describe('a plugin under testPlugin', () => {
  it('initializes with its manifest and lists actions for a case', async () => {
    host = testPlugin(plugin, { secrets: { apiKey: 'sk_test' } });
    expect(await host.initialize()).toEqual({ protocolVersion: '1', manifest });
    expect(await host.listActions({ fields: { payment_intent: 'pi_9' } })).toEqual([{ name: 'refund', title: 'Refund', suggestedInput: { payment_intent: 'pi_9' } }]);
  });

  it('executes with the full context and returns a succeeded result', async () => {
    host = testPlugin(plugin, { config: { apiBase: 'https://x' }, secrets: { apiKey: 'sk_test' } });
    const result = await host.execute({ ...refund(), idempotencyKey: 'idem-1', attempt: 2, case: testCase({ id: 'case-7' }) });
    expect(result).toEqual({ status: 'succeeded', summary: 'Refunded 500', output: { refund_id: 're_1' } });
    expect(seen).toEqual([{ key: 'idem-1', attempt: 2, secrets: { apiKey: 'sk_test' }, config: { apiBase: 'https://x' }, case: 'case-7' }]);
    expect(host.logs).toContain('[refund test-1] refunding 500 usd');
  });

  it('answers -32001 for an unknown action and -32002 with the problems for invalid input', async () => {
    host = testPlugin(plugin, { secrets: { apiKey: 'k' } });
    await expect(host.execute({ action: 'nope', input: {} })).rejects.toMatchObject({ code: RpcErrorCode.UNKNOWN_ACTION });
    await expect(host.execute({ action: 'refund', input: { payment_intent: 'ch_1', amount_minor: 0, currency: 'gbp', x: 1 } })).rejects.toMatchObject({
      code: RpcErrorCode.INVALID_INPUT,
      data: {
        problems: [
          { path: '/payment_intent', message: 'must match ^pi_' },
          { path: '/amount_minor', message: 'must be >= 1' },
          { path: '/currency', message: 'must be one of "usd", "eur"' },
          { path: '/x', message: 'is not an allowed property' },
        ],
      },
    });
    expect(seen).toEqual([]);
  });

  it('turns thrown errors into retryable failures and ActionFailure into what it says', async () => {
    host = testPlugin(plugin, { secrets: { apiKey: 'k' } });
    expect(await host.execute(refund({ mode: 'flaky' }))).toEqual({ status: 'failed', retryable: true, summary: 'upstream 503' });
    expect(await host.execute(refund({ mode: 'declined' }))).toEqual({ status: 'failed', retryable: false, summary: 'Card declined', external: { response: { status: 402 } } });
    expect(await host.execute(refund({ mode: 'garbage' }))).toEqual({ status: 'failed', retryable: false, summary: 'The plugin returned an invalid result' });
  });

  it('fails a test loudly when the output does not match the outputSchema', async () => {
    host = testPlugin(plugin, { secrets: { apiKey: 'k' } });
    await expect(host.execute(refund({ mode: 'bad-output' }))).rejects.toThrow(/output of refund does not match its schema: \/refund_id is required/);
  });

  it('answers concurrent calls as they finish, not in arrival order', async () => {
    host = testPlugin(plugin, { secrets: { apiKey: 'k' } });
    const order: number[] = [];
    await Promise.all([40, 1, 20].map((ms) => host.execute({ action: 'slow', input: { ms } }).then(() => order.push(ms))));
    expect(order).toEqual([1, 20, 40]);
  });

  it('refuses a configuration without a required secret, or one its configure hook rejects', async () => {
    host = testPlugin(plugin);
    await expect(host.initialize()).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS, message: 'missing required configuration: apiKey' });
    await host.close();
    host = testPlugin(plugin, { config: { apiBase: 'bad' }, secrets: { apiKey: 'k' } });
    await expect(host.initialize()).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS, message: 'configuration refused: apiBase must be a URL' });
  });

  it('answers -32003 before configure, -32601 for unknown methods, -32602 for bad params', async () => {
    host = testPlugin(plugin, { secrets: { apiKey: 'k' } });
    const { peer } = host;
    const params = { requestId: 'r', idempotencyKey: 'k', case: testCase(), attempt: 1, ...refund() };
    await expect(peer.request('action.execute', params)).rejects.toMatchObject({ code: RpcErrorCode.NOT_CONFIGURED });
    await expect(peer.request('actions.list', { case: testCase() })).rejects.toMatchObject({ code: RpcErrorCode.NOT_CONFIGURED });
    await expect(peer.request('no.such.method', {})).rejects.toMatchObject({ code: RpcErrorCode.METHOD_NOT_FOUND });
    await expect(peer.request('action.execute', { ...params, attempt: 0 })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS });
    await expect(peer.request('configure', { config: {} })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_PARAMS });
  });

  it('runs calls pipelined behind configure once it succeeds, and refuses calls after shutdown', async () => {
    host = testPlugin(plugin, { secrets: { apiKey: 'k' } });
    const { peer } = host;
    const configure = peer.request('configure', { config: {}, secrets: { apiKey: 'k' } });
    const list = peer.request('actions.list', { case: testCase() });
    const shutdown = peer.request('shutdown', {});
    const late = peer.request('actions.list', { case: testCase() });
    expect(await configure).toEqual({});
    expect(await list).toMatchObject({ actions: [{ name: 'refund' }] });
    expect(await shutdown).toEqual({});
    await expect(late).rejects.toMatchObject({ message: 'plugin is shutting down' });
  });

  it('lists every action by default and runs the shutdown hook when the host disconnects', async () => {
    const events: string[] = [];
    const minimal = definePlugin({
      manifest: { ...manifest, config: [] },
      actions: { refund: action({ execute: () => ({ summary: 'ok', output: { refund_id: 'r' } }) }), slow: action({ execute: () => ({ summary: 'ok' }) }) },
      shutdown: () => void events.push('shutdown'),
    });
    host = testPlugin(minimal);
    expect(await host.listActions()).toEqual([{ name: 'refund', title: 'Refund' }, { name: 'slow', title: 'Slow' }]);
    await host.close();
    expect(events).toEqual(['shutdown']);
  });
});
