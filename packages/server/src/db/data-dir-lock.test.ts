import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, acquireDataDirLock } from './data-dir-lock.js';

let scratch: string;
let childScript: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'latch-lock-'));
  // The child must run the real module; it only imports node: builtins, so plain transpilation suffices.
  const src = readFileSync(new URL('./data-dir-lock.ts', import.meta.url), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(join(scratch, 'lock.mjs'), js.outputText);
  childScript = join(scratch, 'child.mjs');
  writeFileSync(
    childScript,
    `import { acquireDataDirLock } from './lock.mjs';
try { acquireDataDirLock(process.argv[2]).release(); console.log('ACQUIRED'); }
catch (e) { console.log(e.name + ': ' + e.message); process.exitCode = 3; }`,
  );
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function freshDir(): string {
  return join(mkdtempSync(join(scratch, 'd-')), 'latch-data');
}

function runChild(dataDir: string) {
  return spawnSync(process.execPath, [childScript, dataDir], { encoding: 'utf8' });
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid ?? 999_999;
}

describe('acquireDataDirLock', () => {
  it('creates the directory and a lock file naming this process', () => {
    const dir = freshDir();
    const lock = acquireDataDirLock(dir);
    expect(lock.path).toBe(join(dir, 'latch.lock'));
    const owner = JSON.parse(readFileSync(lock.path, 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(typeof owner.startedAt).toBe('string');
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('makes a second Latch process on the same directory fail with a clear message', () => {
    const dir = freshDir();
    const lock = acquireDataDirLock(dir);
    try {
      const child = runChild(dir);
      expect(child.status).toBe(3);
      expect(child.stdout).toContain('DataDirLockedError');
      expect(child.stdout).toContain(`Data directory ${dir} is in use by another Latch process (pid ${process.pid}`);
      expect(child.stdout).toContain('LATCH_DATA_DIR');
    } finally {
      lock.release();
    }
    expect(runChild(dir).stdout.trim()).toBe('ACQUIRED');
  });

  it('takes over a stale lock left by a dead process', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const stale = { pid: deadPid(), hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, 'latch.lock'), JSON.stringify(stale));
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(['latch.lock']); // no temp or mutex files left behind
    lock.release();
  });

  it('takes over a truncated lock file (crash while writing it)', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'latch.lock'), '');
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('refuses a lock held by a live pid on this host, via the exported error type', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const live = { pid: process.ppid, hostname: hostname(), startedAt: 'x' };
    writeFileSync(join(dir, 'latch.lock'), JSON.stringify(live));
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
    expect(JSON.parse(readFileSync(join(dir, 'latch.lock'), 'utf8'))).toEqual(live);
  });

  it('release is idempotent and never removes a lock someone else now holds', () => {
    const dir = freshDir();
    const lock = acquireDataDirLock(dir);
    lock.release();
    expect(() => lock.release()).not.toThrow();
    const next = acquireDataDirLock(dir);
    lock.release(); // stale handle: must not delete next's file
    expect(existsSync(next.path)).toBe(true);
    next.release();
    expect(existsSync(next.path)).toBe(false);
  });
});
