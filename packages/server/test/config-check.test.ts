import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../src/config-check/check-config.js';
import { formatProblem, type ConfigProblem } from '../src/config-check/problem.js';
import { readConfig } from '../src/config.js';
import { openLatch, StartupError } from '../src/runtime.js';
import { DB_KINDS, startTestLatch, TEST_CONFIG_DIR, TEST_LOG_KEY } from './harness.js';
import { latchEnv, runLatch } from './process.js';

const REPO_CONFIG = fileURLToPath(new URL('../../../config', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the test configuration with some files replaced or added. */
function configWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-config-check-'));
  dirs.push(dir);
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** file:line CODE, the way a reader scans the report. */
const placed = (problems: readonly ConfigProblem[]) => problems.map((p) => `${basename(p.file)}:${p.line} ${p.severity} ${p.code}`);

const BROKEN_TYPE = `key: demo
version: 1
name: Demo
defaultQueue: refunds
fields:
  type: object
  additionalProperties: false
  properties:
    amount_minor: { type: integer }
statuses:
  - { key: new, name: New }
  - { key: done, name: Done, final: true }
  - { key: limbo, name: Limbo }
initialStatus: new
transitions:
  - { from: new, to: [done] }
actions:
  - plugin: stripe
    action: refund
    name: Refund
    policy: p1
    input:
      type: object
      additionalProperties: false
      properties:
        amount_minor: { type: integer }
        currency: { type: string }
policies:
  - key: p1
    version: 1
    steps:
      - name: big
        when: "input.amount_mnor > 100 && input.currency == 5"
        role: vendor_approver
      - name: other
        when: "input.amount_minor + 1.5 > 2"
        team: nobody
  - key: p2
    version: 1
    steps:
      - name: s
        when: "input.amount_minor >"
        role: admin
`;

const BROKEN_INTAKE = `addresses:
  a@b.c: { type: refnud }
routes:
  - name: r
    when: { title: "([" }
    set: { priority: high }
`;

function brokenDir(): string {
  const roles = readFileSync(join(TEST_CONFIG_DIR, 'roles.yaml'), 'utf8').trimEnd();
  const extra = '\n  broken:\n    description: Broken\n    permissions: [case:read, vendor:approve]\n';
  return configWith({ 'case-types/demo.v1.yaml': BROKEN_TYPE, 'intake.yaml': BROKEN_INTAKE, 'roles.yaml': roles + extra });
}

describe('latch config check', () => {
  it('passes the configuration the repository ships (config/, whatever it holds now)', async () => {
    const report = await checkConfig(REPO_CONFIG);
    expect(report.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
    const run = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['config', 'check', REPO_CONFIG, '--no-database']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/: 0 error\(s\), \d+ warning\(s\)$/m);
  });

  it('reports each problem of broken files once, at its line and column, with a fix', async () => {
    const dir = brokenDir();
    const roleLine = readFileSync(join(dir, 'roles.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('vendor:approve')) + 1;
    const report = await checkConfig(dir);
    expect(placed(report.problems)).toEqual([
      'demo.v1.yaml:13 error CASE_TYPE_UNREACHABLE_STATUS',
      'demo.v1.yaml:33 error POLICY_CONDITION_TYPE',
      'demo.v1.yaml:33 error POLICY_CONDITION_TYPE',
      'demo.v1.yaml:34 error POLICY_ROLE_UNDEFINED',
      'demo.v1.yaml:36 error POLICY_CONDITION_TYPE',
      'demo.v1.yaml:37 error POLICY_TEAM_UNDEFINED',
      'demo.v1.yaml:38 warning POLICY_UNUSED',
      'demo.v1.yaml:42 error POLICY_CONDITION_INVALID',
      'intake.yaml:2 error INTAKE_UNKNOWN_CASE_TYPE',
      'intake.yaml:5 error INTAKE_INVALID',
      `roles.yaml:${roleLine} error ROLE_UNKNOWN_PERMISSION`,
    ]);
    const messages = report.problems.map((p) => p.message);
    expect(messages).toContain("policy p1: step 'big': input has no field 'amount_mnor' (it has: amount_minor, currency)");
    expect(messages).toContain("policy p1: step 'big': '==' compares string with int: they are never equal");
    expect(messages).toContain("policy p1: step 'other': '+' cannot combine int and double (CEL converts no number implicitly: use int() or double())");
    expect(messages.find((m) => m.includes('vendor_approver'))).toMatch(/names role 'vendor_approver', which .*roles\.yaml does not define/);
    // Columns point at the value: the condition starts after `when: ` (col 15), the role name after `role: `.
    expect(report.problems.find((p) => p.code === 'POLICY_ROLE_UNDEFINED')).toMatchObject({ line: 34, col: 15 });
    expect(report.problems.find((p) => p.code === 'ROLE_UNKNOWN_PERMISSION')!.col).toBe(readFileSync(join(dir, 'roles.yaml'), 'utf8').split('\n')[roleLine - 1]!.indexOf('vendor:approve') + 1);
    for (const problem of report.problems) expect(problem.hint, problem.code).toBeTruthy();

    const run = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['config', 'check', dir, '--no-database']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('');
    for (const problem of report.problems) {
      const line = formatProblem(problem).split('\n')[0]!;
      expect(run.stdout.split(line).length - 1, line).toBe(1);
    }
    expect(run.stdout).toContain(`${dir}: 10 error(s), 1 warning(s)`);
    const json = runLatch({ ...process.env, LATCH_LOG: 'off' }, ['config', 'check', dir, '--no-database', '--json']);
    expect(json.status).toBe(1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; errors: number; warnings: number; problems: ConfigProblem[] };
    expect(parsed).toMatchObject({ ok: false, errors: 10, warnings: 1 });
    expect(parsed.problems).toEqual(JSON.parse(JSON.stringify(report.problems)));
  });

  it('names the line of a YAML syntax error, a schema mistake and a duplicated version', async () => {
    const refund = readFileSync(join(TEST_CONFIG_DIR, 'case-types/refund.v5.yaml'), 'utf8');
    const dir = configWith({
      'teams.yaml': 'teams:\n  refunds:\n    queues: [refunds\n',
      'case-types/zz.v1.yaml': BROKEN_TYPE.replace('name: Demo\n', 'name: Demo\ncolour: blue\n').replace('key: demo', 'key: zz'),
      'case-types/refund.copy.yaml': refund,
    });
    const report = await checkConfig(dir);
    expect(placed(report.problems.filter((p) => p.severity === 'error'))).toEqual(['refund.v5.yaml:11 error CASE_TYPE_DUPLICATE_VERSION', 'zz.v1.yaml:4 error CASE_TYPE_SCHEMA', 'teams.yaml:4 error CONFIG_YAML_SYNTAX']);
    expect(report.problems.find((p) => p.code === 'CASE_TYPE_SCHEMA')).toMatchObject({ col: 1, message: '/colour is not a known setting here' });
  });

  it('refuses to start on a configuration that fails, with the lines the check prints, and no stack', async () => {
    const dir = brokenDir();
    const report = await checkConfig(dir);
    const failure = await openLatch(readConfig({ LATCH_CONFIG_DIR: dir, LATCH_LOG_KEY: TEST_LOG_KEY }), { inMemory: true, migrate: true, log: () => undefined }).then(
      async (latch) => (await latch.close(), undefined),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StartupError);
    for (const problem of report.problems.filter((p) => p.severity === 'error')) expect((failure as Error).message).toContain(formatProblem(problem));

    const data = mkdtempSync(join(tmpdir(), 'latch-config-serve-'));
    dirs.push(data);
    const serve = runLatch(latchEnv(data, { LATCH_CONFIG_DIR: dir, LATCH_PORT: '0' }), ['serve']);
    expect(serve.status).toBe(1);
    expect(serve.stderr).toContain('The configuration does not pass the check: 10 error(s)');
    expect(serve.stderr).toContain(formatProblem(report.problems.find((p) => p.code === 'ROLE_UNKNOWN_PERMISSION')!));
    expect(serve.stderr).not.toMatch(/\n\s+at /);
  });

  it.each(DB_KINDS)('checks against the database: an edited version in use, and roles no active user holds (%s)', async (kind) => {
    const t = await startTestLatch(kind);
    try {
      const refund = readFileSync(join(TEST_CONFIG_DIR, 'case-types/refund.v5.yaml'), 'utf8');
      const dir = configWith({
        'case-types/refund.v5.yaml': refund.replace('name: Refund request', 'name: Refund request (edited)'),
        'roles.yaml': `${readFileSync(join(TEST_CONFIG_DIR, 'roles.yaml'), 'utf8').trimEnd()}\n  vendor_approver:\n    description: Approves vendors\n    permissions: [case:read, action:decide]\n`,
      });
      const report = await checkConfig(dir, { db: t.ctx.database.db });
      expect(report.database).toBe('checked');
      const edited = report.problems.find((p) => p.code === 'CASE_TYPE_VERSION_EDITED')!;
      expect(edited).toMatchObject({ severity: 'error', line: 11, message: 'refund version 5 differs from the version already in use: cases in flight must not change under it' });
      expect(edited.hint).toMatch(/publish the change as version \d+/);
      const unused = report.problems.filter((p) => p.code === 'ROLE_UNUSED').map((p) => p.message);
      expect(unused).toContain("role 'vendor_approver' is held by no active user and named by no policy");
      expect(unused).toContain("role 'auditor' is held by no active user and named by no policy");
      expect(unused.join()).not.toContain("'admin'");
      // Without the database, the same files pass: the edit is only visible against what is in use.
      expect((await checkConfig(dir)).problems.filter((p) => p.severity === 'error')).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
