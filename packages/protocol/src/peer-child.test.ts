import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionClosedError, RpcError } from './errors.js';
import { JsonRpcPeer } from './peer.js';
import { stdioTransport } from './stdio-transport.js';

const script = fileURLToPath(new URL('../test/fixtures/echo-child.js', import.meta.url));
const children: ReturnType<typeof spawn>[] = [];

function start() {
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const peer = new JsonRpcPeer(stdioTransport(child.stdout, child.stdin), { defaultTimeoutMs: 10_000 });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, peer, exited, stderr: () => stderr };
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('JsonRpcPeer with a real child process', () => {
  it('round-trips requests, including large and non-ASCII params', async () => {
    const { peer } = start();
    const params = { text: 'héllo €'.repeat(100_000) };
    expect(await peer.request('echo', params)).toEqual(params);
  });

  it('matches out-of-order answers to 50 concurrent requests', async () => {
    const { peer } = start();
    const calls = Array.from({ length: 50 }, (_, i) => peer.request('sleep', { ms: (50 - i) % 7, i }));
    const results = (await Promise.all(calls)) as { i: number }[];
    expect(results.map((r) => r.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('surfaces error answers as RpcError and keeps stderr apart from the protocol', async () => {
    const { peer, stderr } = start();
    await expect(peer.request('fail')).rejects.toEqual(new RpcError(-32002, 'bad input', { field: 'x' }));
    expect(await peer.request('log')).toBeNull();
    // stderr is a separate pipe: it may arrive after the answer.
    await vi.waitFor(() => expect(stderr()).toBe('a log line\n'));
  });

  it('fails pending requests when the child exits', async () => {
    const { peer, exited } = start();
    const pending = peer.request('sleep', { ms: 60_000 });
    void peer.request('exit').catch(() => undefined);
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(await exited).toBe(3);
  });

  it('ends the child stdin on close, so a well-behaved child exits', async () => {
    const { peer, exited } = start();
    await peer.request('echo', {});
    peer.close();
    expect(await exited).toBe(0);
  });
});
