import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('..', import.meta.url));

describe('the latch bin (what npm links as node_modules/.bin/latch)', () => {
  it('is a committed file, so npm links it at install, before anything is built', () => {
    const bin = JSON.parse(readFileSync(join(SERVER, 'package.json'), 'utf8')).bin.latch as string;
    expect(bin).toBe('./bin/latch.js');
    expect(readFileSync(join(SERVER, bin), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('runs the built CLI', () => {
    const run = spawnSync(process.execPath, [join(SERVER, 'bin/latch.js'), '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: latch');
  });

  it('says how to build when the CLI is not built yet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latch-bin-'));
    try {
      mkdirSync(join(dir, 'bin'));
      cpSync(join(SERVER, 'bin/latch.js'), join(dir, 'bin/latch.js'));
      const run = spawnSync(process.execPath, [join(dir, 'bin/latch.js'), '--help'], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('Run `npm run build`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
