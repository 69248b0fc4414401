import { spawn, type ChildProcess } from 'node:child_process';
import { JsonRpcPeer } from './peer.js';
import { stdioTransport } from './stdio-transport.js';
import type { Transport } from './transport.js';
import { PROTOCOL_VERSION } from './version.js';

/** A plugin process under test, with everything it wrote recorded for the checks. */
export interface ProcessUnderTest {
  readonly child: ChildProcess;
  readonly peer: JsonRpcPeer;
  /** Request lines sent through the peer, in order. */
  readonly sent: string[];
  /** Every line the plugin wrote to stdout. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves when the process has exited (or failed to start). */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  readonly hasExited: () => boolean;
  /** Resolves once the process is running (undefined), or with why it could not be started. */
  readonly started: Promise<string | undefined>;
  /** Writes bytes to stdin, bypassing the peer (for malformed input). */
  writeRaw(text: string): void;
  /** Ends stdin, as a host does after `shutdown`. */
  closeStdin(): void;
  kill(): void;
}

/** Starts `command` in `cwd` the way the host does: clean environment, stdio pipes. */
export function startProcess(command: readonly string[], cwd: string): ProcessUnderTest {
  const [file, ...args] = command;
  if (!file) throw new Error('empty plugin command');
  const child = spawn(file, args, {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', LANG: process.env.LANG ?? 'C.UTF-8', TZ: 'UTC', LATCH_PLUGIN_PROTOCOL: PROTOCOL_VERSION },
  });
  let done = false;
  const started = new Promise<string | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error: NodeJS.ErrnoException) => resolve(`could not start ${file}: ${startProblem(error)}`));
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => stderr.push(...chunk.split('\n').filter((l) => l !== '')));

  const sent: string[] = [];
  const stdout: string[] = [];
  const inner = stdioTransport(child.stdout!, child.stdin!);
  // Observe both directions: the checks need raw ids and raw stdout, not just the peer's view.
  const transport: Transport = {
    send: (line) => {
      sent.push(line);
      inner.send(line);
    },
    onLine: (handler) => inner.onLine(handler),
    onClose: (handler) => inner.onClose(handler),
    close: () => inner.close(),
  };
  inner.onLine((line) => stdout.push(line));
  const peer = new JsonRpcPeer(transport);
  return {
    child,
    peer,
    sent,
    stdout,
    stderr,
    exited,
    hasExited: () => done,
    started,
    writeRaw: (text) => {
      if (!done) child.stdin!.write(text);
    },
    closeStdin: () => transport.close(),
    kill: () => {
      if (!done) child.kill('SIGKILL');
    },
  };
}

/** Why spawn failed, in words (ENOENT from an unbuilt plugin is the usual one). */
function startProblem(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file';
  if (error.code === 'EACCES') return 'permission denied (is it executable?)';
  return error.message;
}

/** Whether a stdout line is a JSON-RPC 2.0 response (the only thing a plugin may write there). */
export function isProtocolLine(line: string): boolean {
  try {
    const m: unknown = JSON.parse(line);
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
    const { jsonrpc, id } = m as Record<string, unknown>;
    const idOk = typeof id === 'string' || typeof id === 'number' || id === null;
    return jsonrpc === '2.0' && idOk && ('result' in m) !== ('error' in m);
  } catch {
    return false;
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
