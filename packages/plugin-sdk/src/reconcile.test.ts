import { RpcErrorCode, type Manifest } from '@latch/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { action, definePlugin } from './define-plugin.js';
import { ActionFailure } from './failure.js';
import { testPlugin, type TestHost } from './test-plugin.js';
import type { ActionReturn, ReconcileReturn } from './types.js';

const input = { type: 'object', required: ['amount'], properties: { amount: { type: 'integer', minimum: 1 } } } as const;
const manifest: Manifest = {
  id: 'ledger',
  name: 'Ledger',
  version: '1.0.0',
  protocolVersion: '1',
  command: ['node', 'main.js'],
  caseTypes: ['*'],
  caseFields: [],
  config: [],
  actions: [
    { name: 'pay', title: 'Pay', inputSchema: input },
    { name: 'note', title: 'Note', inputSchema: {} },
  ],
};

/** A ledger that remembers what it did, by request id, like an external system would. */
function ledgerPlugin(options: { pending?: boolean } = {}) {
  const booked = new Map<string, ActionReturn>();
  let reconcileFails = false;
  const plugin = definePlugin({
    manifest,
    actions: {
      pay: action({
        inputSchema: input,
        execute: ({ input: i, requestId }) => {
          const result: ActionReturn = { status: options.pending ? 'pending' : 'succeeded', summary: `Paid ${i.amount}` };
          booked.set(requestId, result);
          return result;
        },
        reconcile: ({ requestId }): ReconcileReturn => {
          if (reconcileFails) throw new Error('ledger unreachable');
          const found = booked.get(requestId);
          return found ? { found: true, result: found } : { found: false };
        },
      }),
      note: action({
        execute: () => {
          throw new ActionFailure('The ledger refused the note', { retryable: false, effect: 'none' });
        },
      }),
    },
  });
  return { plugin, failReconcile: () => (reconcileFails = true) };
}

let host: TestHost | undefined;
afterEach(async () => host?.close());

describe('the reconcile capability', () => {
  it('is offered at initialize for the actions that implement reconcile', async () => {
    host = testPlugin(ledgerPlugin().plugin);
    expect((await host.initialize()).capabilities).toEqual({ reconcile: { version: 1, actions: ['pay'] } });
  });

  it('finds an executed request and not another one', async () => {
    host = testPlugin(ledgerPlugin().plugin);
    await host.execute({ action: 'pay', input: { amount: 5 }, requestId: 'req-1' });
    await expect(host.reconcile({ action: 'pay', input: { amount: 5 }, requestId: 'req-1' })).resolves.toEqual({ found: true, result: { status: 'succeeded', summary: 'Paid 5' } });
    await expect(host.reconcile({ action: 'pay', input: { amount: 5 }, requestId: 'req-2' })).resolves.toEqual({ found: false });
  });

  it('answers an error, never "not found", when the external system cannot be asked', async () => {
    const ledger = ledgerPlugin();
    host = testPlugin(ledger.plugin);
    ledger.failReconcile();
    await expect(host.reconcile({ action: 'pay', input: { amount: 5 }, requestId: 'req-1' })).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR, message: 'reconcile failed: ledger unreachable' });
  });

  it('refuses reconcile for an action without it, and checks the input like execute', async () => {
    host = testPlugin(ledgerPlugin().plugin);
    await expect(host.reconcile({ action: 'note', input: {} })).rejects.toMatchObject({ code: RpcErrorCode.METHOD_NOT_FOUND });
    await expect(host.reconcile({ action: 'pay', input: { amount: 0 } })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_INPUT });
  });

  it('passes pending through for a reconcilable action, and says whether a failure had an effect', async () => {
    host = testPlugin(ledgerPlugin({ pending: true }).plugin);
    await expect(host.execute({ action: 'pay', input: { amount: 5 } })).resolves.toEqual({ status: 'pending', summary: 'Paid 5' });
    await expect(host.execute({ action: 'note', input: {} })).resolves.toEqual({ status: 'failed', retryable: false, effect: 'none', summary: 'The ledger refused the note' });
  });

  it('turns pending from an action that cannot be followed into a permanent failure of unknown effect', async () => {
    const plugin = definePlugin({ manifest, actions: { pay: action({ inputSchema: input, execute: () => ({ status: 'pending', summary: 'Later' }) }), note: action({ execute: () => ({ summary: 'ok' }) }) } });
    host = testPlugin(plugin);
    await expect(host.execute({ action: 'pay', input: { amount: 5 } })).resolves.toMatchObject({ status: 'failed', retryable: false, effect: 'unknown' });
    expect((await host.initialize()).capabilities).toBeUndefined();
  });
});
