import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runConformance } from './conformance.js';
import type { Manifest } from './types.js';

// Runs the conformance suite against a plugin directory from the command line, so a plugin in
// any language can be checked without writing a test:
//   node packages/protocol/dist/conformance-cli.js <plugin dir> --action echo --input '{"message":"hi"}'
//     [--config '{...}'] [--secrets '{...}'] [--command '["./echo"]']
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    action: { type: 'string' },
    input: { type: 'string', default: '{}' },
    config: { type: 'string', default: '{}' },
    secrets: { type: 'string', default: '{}' },
    command: { type: 'string' },
  },
});
const dir = resolve(positionals[0] ?? '.');
const manifest = JSON.parse(readFileSync(resolve(dir, 'latch-plugin.json'), 'utf8')) as Manifest;
const command = values.command ? (JSON.parse(values.command) as string[]) : manifest.command;
const action = values.action ?? manifest.actions[0]?.name ?? '';
const report = await runConformance(command, dir, {
  action,
  input: JSON.parse(values.input),
  config: JSON.parse(values.config) as Record<string, unknown>,
  secrets: JSON.parse(values.secrets) as Record<string, string>,
});
for (const check of report.passed) console.log(`pass  ${check}`);
for (const { check, error } of report.failed) console.log(`FAIL  ${check}: ${error}`);
console.log(`${report.passed.length} passed, ${report.failed.length} failed`);
process.exitCode = report.failed.length > 0 ? 1 : 0;
