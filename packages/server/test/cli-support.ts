import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { LATCH_BIN } from './process.js';
import type { TestLatch } from './harness.js';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `latch` without blocking this process (the server under test runs in it), with
 * its own config home (where `latch login` keeps sessions) and only the LATCH_* variables given.
 */
export function runCli(args: string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LATCH_') && key !== 'NO_COLOR'));
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, ...args], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A person at their own terminal: a config home of their own, talking to the server at `url`. */
export function personAt(url: string): Record<string, string> {
  return { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'latch-cli-home-')), LATCH_URL: url };
}

/** Serves the test Latch's API on a free port of 127.0.0.1 and returns its base URL. */
export async function listen(t: TestLatch): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

/**
 * Runs `latch` on a pseudo-terminal (util-linux `script`), answering each prompt once it has
 * appeared: `answers` maps the text a prompt ends with to what is typed (then Enter).
 */
export function runOnTerminal(args: string[], env: Record<string, string>, answers: [prompt: string, typed: string][]): Promise<{ status: number | null; output: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LATCH_') && key !== 'NO_COLOR'));
  const quoted = [process.execPath, ...TEST_NODE_FLAGS, LATCH_BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', quoted, '/dev/null'], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    while (answered < answers.length && output.includes(answers[answered]![0])) child.stdin.write(`${answers[answered++]![1]}\r`);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output }));
  });
}
