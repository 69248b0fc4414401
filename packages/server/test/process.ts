import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TEST_CONFIG_DIR } from './harness.js';
import { TEST_NODE_FLAGS } from './node-flags.js';

/** The built CLI: process-level tests run what a user runs (npm test builds first). */
export const LATCH_BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export function latchEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, LATCH_DATA_DIR: dataDir, LATCH_CONFIG_DIR: TEST_CONFIG_DIR, LATCH_LOG: 'off', ...extra };
}

/** Runs `latch …` to completion. */
export function runLatch(env: NodeJS.ProcessEnv, args: string[], input = '') {
  return spawnSync(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, ...args], { env, encoding: 'utf8', input, timeout: 60_000 });
}

/** A port nothing listens on now (tests never use fixed ports: another run may hold them). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `latch serve` (on a free port unless given one) and waits until /readyz answers 200. */
export async function startServer(env: NodeJS.ProcessEnv, port?: number): Promise<{ child: ChildProcess; base: string; stderr: () => string }> {
  port ??= await freePort();
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, 'serve'], { env: { ...env, LATCH_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`latch serve exited ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return { child, base, stderr: () => stderr };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`latch serve never became ready: ${stderr}`);
}

/** Resolves with the exit code (null when killed by a signal) once the process has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
