#!/usr/bin/env node
// Regenerates test-fixtures/ from the full public data sets in ../shared/data (see its README):
// the tests read only these trimmed copies, so `npm test` passes on a clone with nothing beside it.
//   node scripts/vendor-test-data.mjs [path/to/shared/data]
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(process.argv[2] ?? join(root, '..', 'shared', 'data'));
const out = join(root, 'test-fixtures');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 1)}\n`);

// Stripe: the endpoints the fake Stripe server and the plugin use, and the three resources it builds on.
const STRIPE_PATHS = ['/v1/refunds', '/v1/refunds/{refund}', '/v1/payment_intents/{intent}', '/v1/charges/{charge}'];
const STRIPE_RESOURCES = ['refund', 'charge', 'payment_intent'];
const spec = readJson(join(shared, 'stripe', 'spec3.json'));
const fixtures = readJson(join(shared, 'stripe', 'fixtures3.json'));
rmSync(join(out, 'stripe'), { recursive: true, force: true });
mkdirSync(join(out, 'stripe'), { recursive: true });
writeJson(join(out, 'stripe', 'spec3.json'), {
  openapi: spec.openapi,
  info: spec.info,
  'x-trimmed': `Only ${STRIPE_PATHS.join(', ')} of Stripe's spec; references to components are left unresolved.`,
  paths: Object.fromEntries(STRIPE_PATHS.map((path) => [path, spec.paths[path]])),
});
writeJson(join(out, 'stripe', 'fixtures3.json'), { resources: Object.fromEntries(STRIPE_RESOURCES.map((name) => [name, fixtures.resources[name]])) });

// Merkle vectors: copied whole (about 2 MB in 500 small files), with their licence.
rmSync(join(out, 'merkle-vectors'), { recursive: true, force: true });
cpSync(join(shared, 'merkle-vectors'), join(out, 'merkle-vectors'), { recursive: true });
// The shared copy is read-only; ours must stay writable so the next run can replace it.
for (const entry of readdirSync(join(out, 'merkle-vectors'), { recursive: true, withFileTypes: true })) {
  chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
}
chmodSync(join(out, 'merkle-vectors'), 0o755);
// BANKING77: a slice for the classifier's unit and CLI tests (bench/intelligence.mjs reads the full set).
// Every seventh intent, the first 30 training and 10 test rows of each, rewritten as RFC 4180 CSV.
const csvField = (value) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
function banking77Slice(file, perLabel) {
  const rows = parseCsv(readFileSync(join(shared, 'banking77', file)), { from_line: 2 });
  const intents = readJson(join(shared, 'banking77', 'categories.json')).filter((_, i) => i % 7 === 0);
  const kept = intents.flatMap((intent) => rows.filter(([, category]) => category === intent).slice(0, perLabel));
  writeFileSync(join(out, `banking77-${file}`), `text,category\n${kept.map((row) => row.map(csvField).join(',')).join('\n')}\n`);
}
banking77Slice('train.csv', 30);
banking77Slice('test.csv', 10);
cpSync(join(shared, 'banking77', 'LICENSE'), join(out, 'banking77-LICENSE'));
chmodSync(join(out, 'banking77-LICENSE'), 0o644);
console.log(`test-fixtures/ regenerated from ${shared}`);
