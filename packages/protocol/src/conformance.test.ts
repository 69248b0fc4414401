import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runConformance, type ConformanceOptions } from './conformance.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const echo: ConformanceOptions = { config: { greeting: 'Hello' }, secrets: { token: 'conformance-token' }, action: 'echo', input: { message: 'hi' } };
const CHECKS = 21;

const goDir = join(root, 'sdk/go');
const goOnPath = spawnSync('go', ['version']).status === 0;
const goExample = existsSync(join(goDir, 'examples/echo'));
const goSkipReason = !goOnPath ? 'go is not on PATH' : !goExample ? 'sdk/go/examples/echo does not exist' : '';
if (goSkipReason) console.warn(`conformance: Go example plugin NOT RUN (${goSkipReason}); this is not a pass`);

describe('conformance suite', () => {
  it('passes plugins/echo (the TypeScript SDK example, built by tsc -b)', async () => {
    const dir = join(root, 'plugins/echo');
    if (!existsSync(join(dir, 'dist/main.js'))) throw new Error('plugins/echo is not built: run `npx tsc -b` first');
    const report = await runConformance(['node', 'dist/main.js'], dir, echo);
    expect(report.failed).toEqual([]);
    expect(report.passed).toHaveLength(CHECKS);
    expect(report.passed).toContain('malformed lines (stays alive; answers -32600 where the id is known)');
    expect(report.passed).toContain('capabilities name only declared actions (reconcile v1 for echo, noop; context v1 for *)');
    expect(report.passed.find((c) => c.startsWith('case.context'))).toBe('case.context answers with valid facts (context v1: 3 fact(s) for a conformance case)');
    expect(report.passed.find((c) => c.startsWith('action.reconcile finds what was executed, and nothing else'))).toMatch(/finds request conformance-.* \(succeeded\) and not one that never ran/);
  });

  it('passes plugins/keyword-classify (a TypeScript classify plugin without actions)', async () => {
    const dir = join(root, 'plugins/keyword-classify');
    if (!existsSync(join(dir, 'dist/main.js'))) throw new Error('plugins/keyword-classify is not built: run `npx tsc -b` first');
    const report = await runConformance(['node', 'dist/main.js'], dir, { config: { keywords: { refund: ['charged'] } }, secrets: {}, action: '', input: {} });
    expect(report.failed).toEqual([]);
    expect(report.passed).toHaveLength(CHECKS);
    expect(report.passed).toContain('case.classify suggests only offered choices (classify v1: refund at 0.5 by keyword-classify)');
    expect(report.passed).toContain('case.classify keeps to the offered choices whatever the text says (stayed within refund)');
    expect(report.passed).toContain('20 concurrent executes are all answered with matching ids (no actions declared: actions.list instead)');
  });

  it('passes a hand-written plugin that exits on malformed input, once it restarts cleanly', async () => {
    const report = await runConformance(['node', 'main.js'], join(fixtures, 'strict-plugin'), { config: {}, secrets: {}, action: 'echo', input: { message: 'hi' } });
    expect(report.failed).toEqual([]);
    expect(report.passed).toContain('malformed lines (exits, and restarts cleanly)');
  });

  it('fails a plugin that breaks the protocol, check by check', async () => {
    const report = await runConformance(['node', 'main.js'], join(fixtures, 'bad-plugin'), { config: {}, secrets: {}, action: 'echo', input: { message: 'hi' } });
    expect(report.failed.map((f) => f.check)).toEqual([
      'initialize answers within the deadline with protocolVersion "1"',
      'initialize manifest matches latch-plugin.json (id, version, protocolVersion)',
      'unknown method answers -32601',
      'actions.list returns a valid result',
      'unknown action answers -32001',
      'invalid input answers -32002',
      'a valid execute returns a valid result',
      '20 concurrent executes are all answered with matching ids',
      'malformed lines',
      'exits within 5 s of stdin closing',
      'stdout carries nothing but protocol lines',
    ]);
    expect(report.passed).toHaveLength(CHECKS - 11);
  }, 30_000);

  it('says once, plainly, that a command cannot start (an unbuilt plugin), not once per check', async () => {
    const report = await runConformance(['./echo'], join(fixtures, 'bad-plugin'), { config: {}, secrets: {}, action: 'echo', input: {} });
    expect(report.failed).toEqual([{ check: 'the plugin process starts', error: 'could not start ./echo: no such file' }]);
  });

  it.skipIf(goSkipReason !== '')(`passes sdk/go/examples/echo${goSkipReason ? ` — NOT RUN: ${goSkipReason}` : ''}`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'latch-go-echo-'));
    try {
      execFileSync('go', ['build', '-o', join(out, 'echo'), './examples/echo'], { cwd: goDir, stdio: 'inherit' });
      const report = await runConformance([join(out, 'echo')], join(goDir, 'examples/echo'), echo);
      expect(report.failed).toEqual([]);
      expect(report.passed).toHaveLength(CHECKS);
      expect(report.passed).toContain('capabilities name only declared actions (reconcile v1 for echo, noop; context v1 for *)');
      expect(report.passed.find((c) => c.startsWith('case.context'))).toBe('case.context answers with valid facts (context v1: 3 fact(s) for a conformance case)');
      expect(report.passed.find((c) => c.startsWith('action.reconcile'))).toMatch(/\(succeeded\) and not one that never ran/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);

  it.skipIf(goSkipReason !== '')(`passes sdk/go/examples/classify (a Go classify plugin without actions)${goSkipReason ? ` — NOT RUN: ${goSkipReason}` : ''}`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'latch-go-classify-'));
    try {
      execFileSync('go', ['build', '-o', join(out, 'classify'), './examples/classify'], { cwd: goDir, stdio: 'inherit' });
      const report = await runConformance([join(out, 'classify')], join(goDir, 'examples/classify'), { config: {}, secrets: {}, action: '', input: {} });
      expect(report.failed).toEqual([]);
      expect(report.passed).toHaveLength(CHECKS);
      expect(report.passed).toContain('case.classify suggests only offered choices (classify v1: refund at 0.5 by keyword-classify-go)');
      expect(report.passed).toContain('case.classify keeps to the offered choices whatever the text says (stayed within refund)');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
