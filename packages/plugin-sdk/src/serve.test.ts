import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runConformance } from '@latch/protocol';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('../test/fixtures/noisy-plugin/', import.meta.url));

describe('plugin.serve()', () => {
  it('keeps console output off stdout and exits on stdin close despite open handles', async () => {
    // The fixture imports the built SDK, as a real plugin does.
    if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) throw new Error('@latch/plugin-sdk is not built: run `npx tsc -b` first');
    const report = await runConformance(['node', 'main.js'], fixture, { config: {}, secrets: {}, action: 'shout', input: { text: 'hi' } });
    expect(report.failed).toEqual([]);
    expect(report.passed).toContain('stdout carries nothing but protocol lines');
    expect(report.passed).toContain('exits within 5 s of stdin closing (exit code 0)');
  });
});
