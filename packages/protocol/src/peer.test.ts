import { describe, expect, it, vi } from 'vitest';
import { ConnectionClosedError, RpcError, RpcErrorCode, TimeoutError } from './errors.js';
import { JsonRpcPeer } from './peer.js';
import { memoryTransportPair, type Transport } from './transport.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A peer and the raw other end, to send and inspect exact lines. */
function withRaw(options: ConstructorParameters<typeof JsonRpcPeer>[1] = {}) {
  const [mine, raw] = memoryTransportPair();
  const peer = new JsonRpcPeer(mine, options);
  const received: Record<string, unknown>[] = [];
  raw.onLine((line) => received.push(JSON.parse(line) as Record<string, unknown>));
  return { peer, raw, received };
}

function pair(): [JsonRpcPeer, JsonRpcPeer, Transport] {
  const [a, b] = memoryTransportPair();
  return [new JsonRpcPeer(a), new JsonRpcPeer(b), a];
}

describe('JsonRpcPeer', () => {
  it('answers requests with the handler result, concurrently and out of order', async () => {
    const [host, plugin] = pair();
    plugin.onRequest(async (method, params) => {
      const { ms } = params as { ms: number };
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { method, ms };
    });
    const order: number[] = [];
    const calls = [30, 1, 15].map((ms) => host.request('wait', { ms }).then((r) => (order.push(ms), r)));
    expect(await Promise.all(calls)).toEqual([30, 1, 15].map((ms) => ({ method: 'wait', ms })));
    expect(order).toEqual([1, 15, 30]);
  });

  it('maps a thrown RpcError to its code and data, anything else to -32603 without details', async () => {
    const handlerErrors: unknown[] = [];
    const [a, b] = memoryTransportPair();
    const host = new JsonRpcPeer(a);
    const plugin = new JsonRpcPeer(b, { onHandlerError: (error) => handlerErrors.push(error) });
    plugin.onRequest(async (method) => {
      if (method === 'typed') throw new RpcError(RpcErrorCode.INVALID_INPUT, 'bad input', { problems: [1] });
      throw new Error('secret path /etc/keys');
    });
    await expect(host.request('typed')).rejects.toMatchObject({ name: 'RpcError', code: -32002, message: 'bad input', data: { problems: [1] } });
    const internal = await host.request('other').catch((e: unknown) => e);
    expect(internal).toBeInstanceOf(RpcError);
    expect(internal).toMatchObject({ code: -32603, message: 'Internal error', data: undefined });
    expect(handlerErrors).toHaveLength(1);
  });

  it('answers -32601 when no handler is set, and null for an undefined result', async () => {
    const [host, plugin] = pair();
    await expect(host.request('anything')).rejects.toMatchObject({ code: RpcErrorCode.METHOD_NOT_FOUND });
    plugin.onRequest(async () => undefined);
    expect(await host.request('x')).toBeNull();
  });

  it('fails a call at its deadline with TimeoutError and ignores the late answer', async () => {
    const { peer, raw, received } = withRaw({ defaultTimeoutMs: 20 });
    const error = await peer.request('slow', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'TIMEOUT', method: 'slow', timeoutMs: 20 });
    raw.send(JSON.stringify({ jsonrpc: '2.0', id: received[0]!.id, result: 'late' }));
    await tick();
    const next = peer.request('fast', {}, { timeoutMs: 1000 });
    await tick();
    raw.send(JSON.stringify({ jsonrpc: '2.0', id: received[1]!.id, result: 'ok' }));
    expect(await next).toBe('ok');
  });

  it('fails every pending call when the transport closes, and later calls at once', async () => {
    const [host, , hostTransport] = pair();
    const calls = [host.request('a'), host.request('b', {}, { timeoutMs: 60_000 })];
    hostTransport.close();
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(host.request('c')).rejects.toMatchObject({ code: 'CLOSED' });
    expect(host.closed).toBe(true);
  });

  it('close() rejects pending calls and notifies onClose once', async () => {
    const { peer } = withRaw();
    const closed = vi.fn();
    peer.onClose(closed);
    const call = peer.request('a');
    peer.close();
    peer.close();
    await expect(call).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('ignores lines without a usable id, answers -32600 where the id is known, and keeps working', async () => {
    const protocolErrors: string[] = [];
    const { peer, raw, received } = withRaw({ onProtocolError: (e) => protocolErrors.push(e.message) });
    peer.onRequest(async (_method, params) => params);
    for (const line of [
      'not json',
      '[1,2]',
      '{"jsonrpc":"2.0","method":"m","id":null}',
      '{"jsonrpc":"2.0","id":7}',
      '{"jsonrpc":"1.0","id":8,"method":"m"}',
      '{"jsonrpc":"2.0","id":9,"method":"m","params":"scalar"}',
      '{"jsonrpc":"2.0","id":"unknown","result":1}',
      '{"jsonrpc":"2.0","method":"notified"}',
      '{"jsonrpc":"2.0","id":10,"method":"m","params":[1]}',
    ]) {
      raw.send(line);
    }
    await tick();
    expect(received).toEqual([
      { jsonrpc: '2.0', id: 7, error: { code: -32600, message: 'Invalid Request' } },
      { jsonrpc: '2.0', id: 8, error: { code: -32600, message: 'Invalid Request' } },
      { jsonrpc: '2.0', id: 9, error: { code: -32600, message: 'Invalid Request' } },
      { jsonrpc: '2.0', id: 10, result: [1] },
    ]);
    expect(protocolErrors).toHaveLength(6);
    expect(peer.closed).toBe(false);
  });

  it('rejects a call whose answer is malformed', async () => {
    const { peer, raw, received } = withRaw();
    const call = peer.request('m');
    await tick();
    raw.send(JSON.stringify({ jsonrpc: '2.0', id: received[0]!.id, error: { code: 'x' } }));
    await expect(call).rejects.toMatchObject({ code: RpcErrorCode.INTERNAL_ERROR });
  });

  it('rejects a request whose params cannot be serialized, without sending anything', async () => {
    const { peer, received } = withRaw();
    await expect(peer.request('m', { n: 1n })).rejects.toThrow(/BigInt/);
    await tick();
    expect(received).toEqual([]);
  });
});
