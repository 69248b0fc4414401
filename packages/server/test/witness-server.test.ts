import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  consistencyProof,
  formatAddCheckpoint,
  formatCheckpoint,
  generateSignerKey,
  generateWitnessKey,
  leafHash,
  parseSignerKeys,
  parseTrustFile,
  parseWitnessSigner,
  rootOf,
  signNote,
  signNoteWithKeys,
} from '@latch/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createWitnessServer, type WitnessServerOptions } from '../src/witness/witness-server.js';
import { WitnessStore } from '../src/witness/witness-store.js';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { plainRequest } from './http-support.js';
import { exited, freePort, LATCH_BIN } from './process.js';

/**
 * The witness against a hostile client: a real HTTP server on a free port over a real data
 * directory (and, for startup, the real `latch witness serve` process). Evidence is bounded and
 * deduplicated, a client's text is quoted short and inert, slow and idle connections are closed,
 * an oversized body is not read, and a witness whose state was lost refuses to start over.
 */
const root = mkdtempSync(join(tmpdir(), 'latch-witness-server-test-'));
const logKey = parseSignerKeys(generateSignerKey('log.test/hardening'))[0]!;
const logKeys = new Map([[logKey.name, parseTrustFile(logKey.verifierKey)]]);
const signer = parseWitnessSigner(generateWitnessKey('witness.test/hardening'));
const leaves = (n: number, tag = 'a') => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${tag}-${i}`)));
const noteOf = (tree: Buffer[], origin = logKey.name) => signNoteWithKeys(formatCheckpoint({ origin, size: tree.length, root: rootOf(tree) }), [logKey]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dirs = 0;
const newDir = () => join(root, `w${++dirs}`);

type Level = 'info' | 'warn' | 'error';
interface Running {
  port: number;
  dir: string;
  store: WitnessStore;
  logs: Array<[Level, string]>;
  close(): Promise<void>;
}
const running: Running[] = [];

async function startWitness(options: Partial<Omit<WitnessServerOptions, 'store' | 'log'>> & { dir?: string; maxEvidencePerLog?: number } = {}): Promise<Running> {
  const dir = options.dir ?? newDir();
  const store = new WitnessStore(dir, options.maxEvidencePerLog === undefined ? {} : { maxEvidencePerLog: options.maxEvidencePerLog });
  const logs: Array<[Level, string]> = [];
  const server = createWitnessServer({ signer, logKeys, ...options, store, log: (level, message) => logs.push([level, message]) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const w: Running = {
    port: (server.address() as { port: number }).port,
    dir,
    store,
    logs,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  running.push(w);
  return w;
}

const post = (port: number, body: string, path = '/add-checkpoint', method = 'POST') => plainRequest(port, body, path, method);

/** A raw TCP connection: what the server sent, and when (ms after connecting) it closed. */
function rawConnection(port: number, allowHalfOpen = false): { socket: Socket; received: () => string; closed: Promise<number>; isClosed: () => boolean } {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
  const start = Date.now();
  let received = '';
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => {
      isClosed = true;
      resolve(Date.now() - start);
    }),
  );
  return { socket, received: () => received, closed, isClosed: () => isClosed };
}

/** Resolves with the time it closed, or 'open' after `ms`. */
const closedWithin = (closed: Promise<number>, ms: number) => Promise.race([closed, sleep(ms).then(() => 'open' as const)]);

/** An unknown key's signature line: the kind anyone may append to a note. */
const junkLine = (i: number, nameLength: number) => `— junk${i}/${'x'.repeat(nameLength)} ${Buffer.alloc(68, i).toString('base64')}\n`;

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await Promise.all(running.map((w) => w.close()));
  rmSync(root, { recursive: true, force: true });
});

describe('witness evidence', () => {
  it('keeps a padded inconsistent checkpoint once, with only the trusted log signature, and under a few KiB', async () => {
    const w = await startWitness();
    const tree = leaves(8);
    expect((await post(w.port, formatAddCheckpoint({ oldSize: 0, proof: [], note: noteOf(tree.slice(0, 4)) }))).status).toBe(200);
    const published = noteOf(tree);
    const badProof = consistencyProof(leaves(8, 'other'), 4);
    for (let round = 0; round < 3; round++) {
      // ~250 KiB of signature lines by unknown keys, different each time: the same log-signed checkpoint.
      const padded = published + Array.from({ length: 99 }, (_, i) => junkLine(i + round * 99, 2400)).join('');
      const body = formatAddCheckpoint({ oldSize: 4, proof: badProof, note: padded });
      expect(body.length).toBeGreaterThan(240_000);
      const refused = await post(w.port, body);
      expect(refused.status).toBe(422);
      expect(refused.text).toBe('the consistency proof from size 4 to 8 does not verify\n');
    }
    const files = readdirSync(join(w.dir, 'evidence'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/-inconsistent-[0-9a-f]{16}-[0-9a-f]{64}\.txt$/);
    const kept = readFileSync(join(w.dir, 'evidence', files[0]!), 'utf8');
    expect(kept).toContain(published);
    expect(kept).not.toContain('junk');
    expect(kept.length).toBeLessThan(4096);
    expect(w.logs.filter(([, m]) => m.includes('already kept in'))).toHaveLength(2);
    // The state keeps only the trusted signatures of what was cosigned, too.
    const padded = noteOf(tree) + junkLine(1, 3000);
    expect((await post(w.port, formatAddCheckpoint({ oldSize: 4, proof: consistencyProof(tree, 4), note: padded }))).status).toBe(200);
    const state = readdirSync(join(w.dir, 'state'));
    expect(readFileSync(join(w.dir, 'state', state[0]!), 'utf8')).toBe(noteOf(tree));
  });

  it('keeps at most the limit of files per log and kind, logs reaching it once, and still keeps a fork', async () => {
    const w = await startWitness({ maxEvidencePerLog: 3 });
    const tree = leaves(20);
    expect((await post(w.port, formatAddCheckpoint({ oldSize: 0, proof: [], note: noteOf(tree.slice(0, 4)) }))).status).toBe(200);
    for (let size = 5; size <= 10; size++) {
      const refused = await post(w.port, formatAddCheckpoint({ oldSize: 4, proof: consistencyProof(leaves(size, 'other'), 4), note: noteOf(tree.slice(0, size)) }));
      expect(refused.status).toBe(422);
    }
    const evidence = () => readdirSync(join(w.dir, 'evidence'));
    expect(evidence().filter((f) => f.includes('-inconsistent-'))).toHaveLength(3);
    expect(w.logs.filter(([level, m]) => level === 'error' && m.includes('has 3 inconsistent evidence files'))).toHaveLength(1);
    // A fork is another kind: the junk above never crowds it out.
    const fork = await post(w.port, formatAddCheckpoint({ oldSize: 4, proof: [], note: noteOf(leaves(4, 'fork')) }));
    expect(fork.status).toBe(409);
    expect(evidence().filter((f) => f.includes('-fork-'))).toHaveLength(1);
    // The count and the checkpoints kept survive a restart.
    await w.close();
    const again = await startWitness({ dir: w.dir, maxEvidencePerLog: 3 });
    expect((await post(again.port, formatAddCheckpoint({ oldSize: 4, proof: [], note: noteOf(leaves(4, 'fork')) }))).status).toBe(409);
    expect((await post(again.port, formatAddCheckpoint({ oldSize: 4, proof: consistencyProof(leaves(11, 'x'), 4), note: noteOf(tree.slice(0, 11)) }))).status).toBe(422);
    expect(evidence()).toHaveLength(4);
    expect(again.logs.some(([, m]) => m.includes('already kept in'))).toBe(true);
    expect(again.logs.filter(([level, m]) => level === 'error' && m.includes('has 3 inconsistent evidence files'))).toHaveLength(1);
  });

  it('never overwrites one evidence file with another written in the same millisecond', () => {
    const store = new WitnessStore(newDir());
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z'));
    const a = store.keepEvidence('fork', logKey.name, noteOf(leaves(3, 'a')), undefined);
    const b = store.keepEvidence('fork', logKey.name, noteOf(leaves(3, 'b')), undefined);
    expect(a.kept).toBe('new');
    expect(b.kept).toBe('new');
    expect(readdirSync(join(store.dir, 'evidence'))).toHaveLength(2);
  });

  it('still answers a fork with 409 when the evidence cannot be written, and says so at error level', async () => {
    const w = await startWitness();
    expect((await post(w.port, formatAddCheckpoint({ oldSize: 0, proof: [], note: noteOf(leaves(4)) }))).status).toBe(200);
    rmSync(join(w.dir, 'evidence'), { recursive: true });
    writeFileSync(join(w.dir, 'evidence'), 'not a directory');
    const fork = await post(w.port, formatAddCheckpoint({ oldSize: 4, proof: [], note: noteOf(leaves(4, 'fork')) }));
    expect(fork.status).toBe(409);
    expect(fork.headers['x-latch-witness-refusal']).toBe('fork');
    expect(w.logs.some(([level, m]) => level === 'error' && m.includes('could not keep the fork evidence'))).toBe(true);
  });
});

describe("a client's text in replies and log lines", () => {
  const hostile = `\u202e\u2028\u0085\u001b[31m${'A'.repeat(200_000)}`;
  const assertBounded = (text: string) => {
    expect(text.length).toBeLessThan(1000);
    // eslint-disable-next-line no-control-regex -- no control character may get through
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e\u2028]/);
  };

  it('quotes an unknown origin, a size line, signer names and a path short and inert', async () => {
    const w = await startWitness();
    const someKey = parseSignerKeys(generateSignerKey('someone'))[0]!;
    const unknownOrigin = signNote(`x${hostile.replace('\u001b', '')}\n1\n${rootOf(leaves(1)).toString('base64')}\n`, someKey.name, someKey.privateKey);
    const badSize = `${logKey.name}\n1${'9'.repeat(200_000)}x\n${rootOf(leaves(1)).toString('base64')}\n\n${junkLine(0, 10)}`;
    const strangers = `${formatCheckpoint({ origin: logKey.name, size: 1, root: rootOf(leaves(1)) })}\n${Array.from({ length: 90 }, (_, i) => `— \u202e${'n'.repeat(2500)}${i} ${Buffer.alloc(68).toString('base64')}\n`).join('')}`;
    const cases: Array<[number, string, string]> = [
      [404, '/add-checkpoint', formatAddCheckpoint({ oldSize: 0, proof: [], note: unknownOrigin })],
      [400, '/add-checkpoint', `old 0\n\n${badSize}`],
      [403, '/add-checkpoint', `old 0\n\n${strangers}`],
      [404, `/${'%e2%80%ae'.repeat(10)}${'p'.repeat(10_000)}`, ''],
    ];
    for (const [status, path, body] of cases) {
      const before = w.logs.length;
      const answer = await post(w.port, body, path, status === 404 && body === '' ? 'GET' : 'POST');
      expect(answer.status).toBe(status);
      assertBounded(answer.text.slice(0, -1));
      for (const [, message] of w.logs.slice(before)) assertBounded(message);
    }
    const unknown = await post(w.port, formatAddCheckpoint({ oldSize: 0, proof: [], note: unknownOrigin }));
    expect(unknown.text).toMatch(/^unknown log x\\u202e\\u2028\\u0085\[31mA+…\n$/);
  });
});

describe('witness connections', () => {
  it('defaults to 10 s for headers, 30 s for a request and an idle connection, and 512 connections', async () => {
    const store = new WitnessStore(newDir());
    const server = createWitnessServer({ signer, store, logKeys, log: () => undefined });
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout, server.timeout, server.maxConnections]).toEqual([10_000, 30_000, 30_000, 30_000, 512]);
  });

  // Each test leaves the other limits long, so that only the one it names can close the connection.
  const long = { headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, idleTimeoutMs: 10_000 };

  it('closes a connection that never sends a byte after the idle timeout', async () => {
    const w = await startWitness({ ...long, idleTimeoutMs: 400 });
    const c = rawConnection(w.port);
    const when = await closedWithin(c.closed, 3000);
    expect(when).not.toBe('open');
    expect(when).toBeGreaterThanOrEqual(350);
  });

  it('closes a connection trickling its headers after the headers timeout', async () => {
    const w = await startWitness({ ...long, headersTimeoutMs: 300 });
    const c = rawConnection(w.port);
    c.socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const trickle = setInterval(() => !c.isClosed() && c.socket.write('a'), 100);
    const when = await closedWithin(c.closed, 3000);
    clearInterval(trickle);
    expect(when).not.toBe('open');
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection trickling its body after the request timeout, and logs it at info', async () => {
    const w = await startWitness({ ...long, headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const c = rawConnection(w.port);
    c.socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nold 0\n');
    const trickle = setInterval(() => !c.isClosed() && c.socket.write('a'), 100);
    const when = await closedWithin(c.closed, 4000);
    clearInterval(trickle);
    expect(when).not.toBe('open');
    expect(when).toBeGreaterThanOrEqual(550);
    await sleep(50);
    expect(w.logs).toEqual([['info', 'witness: a client went away before sending the whole request']]);
  });

  it('closes a kept-alive connection after the idle timeout', async () => {
    const w = await startWitness({ ...long, idleTimeoutMs: 400 });
    const c = rawConnection(w.port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    while (!c.received().includes(signer.verifierKey)) await sleep(10);
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    // Node adds a second to the keep-alive timeout (for the client's own timer to win the race).
    expect(await closedWithin(c.closed, 3000)).not.toBe('open');
  });

  it('closes connections beyond maxConnections as they are accepted', async () => {
    const w = await startWitness({ maxConnections: 2, idleTimeoutMs: 20_000, headersTimeoutMs: 20_000, requestTimeoutMs: 20_000 });
    const held = [rawConnection(w.port), rawConnection(w.port)];
    await Promise.all(held.map((c) => new Promise((r) => c.socket.once('connect', r))));
    await sleep(100);
    const third = rawConnection(w.port);
    expect(await closedWithin(third.closed, 2000)).not.toBe('open');
    expect(held.map((c) => c.isClosed())).toEqual([false, false]);
    held[0]!.socket.destroy();
    await sleep(100);
    expect((await post(w.port, '', '/', 'GET')).status).toBe(200);
  });

  it('answers 413 to a body declared too large, with Connection: close, and closes without reading it', async () => {
    const w = await startWitness();
    // A client that keeps sending and never closes its side itself.
    const c = rawConnection(w.port, true);
    c.socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n');
    const chunk = Buffer.alloc(256 * 1024, 'b');
    let sent = 0;
    const deadline = Date.now() + 4000;
    while (!c.isClosed() && Date.now() < deadline) {
      if (c.socket.write(chunk)) sent += chunk.length;
      else await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed, sleep(100)]);
    }
    expect(c.isClosed()).toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.received().toLowerCase()).toContain('connection: close');
    // Not read: the client could hand over no more than the socket buffers hold.
    expect(sent).toBeLessThan(32 * 1024 * 1024);
  });

  it('answers 413 to a chunked body that grows too large, and closes the connection', async () => {
    const w = await startWitness();
    const c = rawConnection(w.port, true);
    c.socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `10000\r\n${'b'.repeat(0x10000)}\r\n`;
    const deadline = Date.now() + 3000;
    while (!c.isClosed() && Date.now() < deadline) {
      if (!c.socket.write(chunk)) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed, sleep(100)]);
      await sleep(5);
    }
    expect(c.isClosed()).toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.received().toLowerCase()).toContain('connection: close');
  });

  it('logs a client that hangs up mid-body at info, not error', async () => {
    const w = await startWitness();
    const c = rawConnection(w.port);
    c.socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nold 0\n');
    await sleep(100);
    c.socket.destroy();
    await sleep(200);
    expect(w.logs).toEqual([['info', 'witness: a client went away before sending the whole request']]);
  });
});

describe('latch witness serve at startup', () => {
  const logsFile = join(root, 'logs.txt');
  writeFileSync(logsFile, `${logKey.verifierKey}\n`);
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGKILL');
      await exited(child);
    }
  });

  /** Starts the witness; resolves with its JSON line once listening, or its exit code and stderr. */
  async function serve(dir: string, port: number, env: NodeJS.ProcessEnv = {}, flags: string[] = []) {
    const args = [...TEST_NODE_FLAGS, LATCH_BIN, 'witness', 'serve', '--data-dir', dir, '--logs', logsFile, '--listen', `127.0.0.1:${port}`, '--json', ...flags];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const result = await new Promise<{ listening: true } | { listening: false; code: number | null }>((resolve) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve({ listening: true });
      });
      child.once('exit', (code) => resolve({ listening: false, code }));
    });
    return { child, result, stderr: () => stderr };
  }

  it('refuses to start when its key is there but its state is gone, unless told to start over', async () => {
    const dir = newDir();
    const first = await serve(dir, await freePort());
    expect(first.result.listening).toBe(true);
    first.child.kill('SIGTERM');
    await exited(first.child);
    expect(existsSync(join(dir, 'witness.key'))).toBe(true);
    rmSync(join(dir, 'state'), { recursive: true });

    const refused = await serve(dir, await freePort());
    expect(refused.result).toEqual({ listening: false, code: 1 });
    expect(refused.stderr()).toContain('state does not');
    expect(refused.stderr()).toContain('--fresh-state or set LATCH_WITNESS_FRESH_STATE=1');
    expect(existsSync(join(dir, 'state'))).toBe(false);
    expect(existsSync(join(dir, 'latch.lock')), 'the lock is released').toBe(false);

    // Told to start over, by the variable or the flag.
    for (const [env, flags] of [[{ LATCH_WITNESS_FRESH_STATE: '1' }, []], [{}, ['--fresh-state']]] as const) {
      rmSync(join(dir, 'state'), { recursive: true, force: true });
      const fresh = await serve(dir, await freePort(), env, [...flags]);
      expect(fresh.result.listening).toBe(true);
      await sleep(100);
      expect(fresh.stderr()).toMatch(/warn witness: its state in .* was lost and it starts over/);
      fresh.child.kill('SIGTERM');
      await exited(fresh.child);
    }
    // A first start (no key yet) needs no flag.
    const brandNew = await serve(newDir(), await freePort());
    expect(brandNew.result.listening).toBe(true);
    brandNew.child.kill('SIGTERM');
    await exited(brandNew.child);
  });

  it("names the witness's own --data-dir (LATCH_WITNESS_DIR) when another process holds its directory", async () => {
    const dir = newDir();
    const first = await serve(dir, await freePort());
    expect(first.result.listening).toBe(true);
    const second = await serve(dir, await freePort());
    expect(second.result).toEqual({ listening: false, code: 1 });
    expect(second.stderr()).toContain('give this witness another --data-dir (LATCH_WITNESS_DIR)');
    expect(second.stderr()).not.toContain('LATCH_DATA_DIR');
    first.child.kill('SIGTERM');
    await exited(first.child);
  });
});

