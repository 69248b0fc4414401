import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClassifyRequest } from '../src/intelligence/provider.js';
import { PluginProvider } from '../src/intelligence/providers/plugin-provider.js';
import { IntelligenceProviderError } from '../src/intelligence/providers/provider-error.js';
import { PluginHost } from '../src/plugin-host/plugin-host.js';

// Classify plugins as providers through the real plugin host: the TypeScript and Go examples, and a
// hand-written plugin that answers what its mode says.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ROGUE = fileURLToPath(new URL('./fixtures/classify-rogue.mjs', import.meta.url));
const dirs: string[] = [];
const hosts: PluginHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const request: ClassifyRequest = {
  caseId: '0190-case-1',
  text: 'URGENT: I was charged twice, duplicate charge. Please refund order 1234.',
  fields: { order_id: '1234', customer_email: 'a@b.example' },
  caseTypes: [
    { key: 'refund', title: 'Refund', queues: ['refunds'], priorities: ['low', 'normal', 'high'], intents: ['duplicate_charge'] },
    { key: 'access_request', title: 'Access request', queues: ['it'], priorities: ['normal', 'high'] },
  ],
  personalData: true,
};
const signal = (ms = 10_000) => AbortSignal.timeout(ms);

async function host(id: string, dir: string, config: Record<string, unknown> = {}): Promise<PluginHost> {
  const started = await PluginHost.start([{ id, dir, config, secrets: {} }], () => undefined);
  hosts.push(started);
  return started;
}

/** A plugin directory running the classify-rogue fixture in `mode`. */
function rogue(mode: string, manifest: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-classify-'));
  dirs.push(dir);
  const full = { id: 'rogue', name: 'Rogue', version: '1.0.0', protocolVersion: '1', command: ['node', ROGUE, mode], caseTypes: ['*'], caseFields: ['order_id'], config: [], actions: [], ...manifest };
  writeFileSync(join(dir, 'latch-plugin.json'), JSON.stringify(full));
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<IntelligenceProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntelligenceProviderError);
  return error as IntelligenceProviderError;
}

describe('a classify plugin as a provider', () => {
  it('serves the TypeScript example (plugins/keyword-classify) through the host', async () => {
    const dir = join(root, 'plugins/keyword-classify');
    const plugins = await host('keyword-classify', dir, { keywords: { refund: ['charged'] } });
    expect(plugins.classifies('keyword-classify')).toBe(true);
    const suggestion = await new PluginProvider('keywords', plugins, 'keyword-classify').suggest(request, signal());
    expect(suggestion).toMatchObject({ caseType: 'refund', queue: 'refunds', priority: 'high', intent: 'duplicate_charge', model: { id: 'keyword-classify', version: '0.1.0' } });
    expect(suggestion.confidence).toBeGreaterThan(0.5);
    expect(suggestion.explanation.map((e) => e.feature)).toContain('charged');
  });

  // Go is part of the toolchain (.ci/run installs it): without it this fails rather than skips.
  it('serves the Go example (sdk/go/examples/classify) through the host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latch-go-classify-'));
    dirs.push(dir);
    const goDir = join(root, 'sdk/go');
    execFileSync('go', ['build', '-o', join(dir, 'classify'), './examples/classify'], { cwd: goDir, stdio: 'inherit' });
    writeFileSync(join(dir, 'latch-plugin.json'), readFileSync(join(goDir, 'examples/classify/latch-plugin.json')));
    const plugins = await host('keyword-classify-go', dir);
    const suggestion = await new PluginProvider('keywords-go', plugins, 'keyword-classify-go').suggest(request, signal());
    expect(suggestion).toMatchObject({ caseType: 'refund', queue: 'refunds', priority: 'high', model: { id: 'keyword-classify-go', version: '0.1.0' } });
  }, 120_000);

  it("offers only the case types the manifest sees and sends only its caseFields", async () => {
    const plugins = await host('rogue', rogue('echo', { caseTypes: ['refund', 'payout'] }));
    const suggestion = await new PluginProvider('rogue', plugins, 'rogue').suggest(request, signal());
    expect(suggestion.explanation).toEqual([
      { feature: 'type:refund', weight: 1 },
      { feature: 'field:order_id', weight: 1 },
      { feature: 'text', weight: request.text.length },
    ]);
  });

  it('is unavailable for a plugin that sees none of the offered types, or does not offer classify', async () => {
    const blind = await host('rogue', rogue('echo', { caseTypes: ['payout'] }));
    expect(await failure(new PluginProvider('rogue', blind, 'rogue').suggest(request, signal()))).toMatchObject({ code: 'INTELLIGENCE_UNAVAILABLE', message: 'plugin rogue sees none of the offered case types' });
    const bare = await host('bare', rogue('no-capability', { id: 'bare' }));
    expect(bare.classifies('bare')).toBe(false);
    expect(await failure(new PluginProvider('bare', bare, 'bare').suggest(request, signal()))).toMatchObject({ code: 'INTELLIGENCE_UNAVAILABLE', message: 'plugin bare does not offer classify' });
  });

  it.each([
    ['unoffered', /answered what was not offered: caseType "approve_refund_now" was not offered/],
    ['wrong-queue', /answered what was not offered: queue "root" is not one of case type refund/],
    ['off-schema', /answered outside the schema/],
  ])('rejects a plugin answering %s as INTELLIGENCE_INVALID_OUTPUT', async (mode, why) => {
    const plugins = await host('rogue', rogue(mode));
    const error = await failure(new PluginProvider('rogue', plugins, 'rogue').suggest(request, signal()));
    expect(error.code).toBe('INTELLIGENCE_INVALID_OUTPUT');
    expect(error.message).toMatch(why);
  });

  it('rejects an error answer as INTELLIGENCE_UNAVAILABLE, and silence as INTELLIGENCE_TIMEOUT (the signal, or its own deadline)', async () => {
    const failing = await host('rogue', rogue('error'));
    expect(await failure(new PluginProvider('rogue', failing, 'rogue').suggest(request, signal()))).toMatchObject({ code: 'INTELLIGENCE_UNAVAILABLE', message: 'plugin rogue answered an error (-32603)' });
    const silent = await host('silent', rogue('silent', { id: 'silent' }));
    expect((await failure(new PluginProvider('silent', silent, 'silent').suggest(request, signal(200)))).code).toBe('INTELLIGENCE_TIMEOUT');
    expect(await failure(new PluginProvider('silent', silent, 'silent', 200).suggest(request, signal()))).toMatchObject({ code: 'INTELLIGENCE_TIMEOUT', message: 'plugin silent: no answer within 200 ms' });
  });

  it('is unavailable while the plugin is stopped', async () => {
    const plugins = await host('rogue', rogue('echo'));
    await plugins.stop();
    expect(await failure(new PluginProvider('rogue', plugins, 'rogue').suggest(request, signal()))).toMatchObject({ code: 'INTELLIGENCE_UNAVAILABLE', message: 'plugin rogue could not be asked' });
  });
});
