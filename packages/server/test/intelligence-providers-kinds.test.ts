import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PROVIDER_KINDS } from '../src/intelligence/provider-kinds.js';
import { OpenAiProvider, PluginProvider } from '../src/intelligence/providers/index.js';
import { PluginHost } from '../src/plugin-host/plugin-host.js';
import { StartupError } from '../src/startup-error.js';

// intelligence.yaml's `kind: openai` and `kind: plugin`, as the runtime builds them at startup.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const hosts: PluginHost[] = [];
afterAll(() => Promise.all(hosts.map((h) => h.stop())));

const build = (kind: string, id: string, settings: Record<string, unknown>, plugins?: PluginHost) => PROVIDER_KINDS.get(kind)!({ id, kind, settings }, { configDir: root, plugins });
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StartupError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('the provider kinds providers/ registers', () => {
  it('are openai and plugin', () => {
    expect([...PROVIDER_KINDS.keys()]).toEqual(expect.arrayContaining(['openai', 'plugin']));
  });

  it('kind openai builds an endpoint provider under the configured id, reading its key at startup', () => {
    process.env.LATCH_TEST_LLM_KEY = 'sk-kinds-test';
    const provider = build('openai', 'local-llm', { url: 'http://127.0.0.1:11434/v1', model: 'llama3.1:8b', apiKey: { env: 'LATCH_TEST_LLM_KEY' } });
    expect(provider).toBeInstanceOf(OpenAiProvider);
    expect(provider.id).toBe('local-llm');
    expect(refusal(() => build('openai', 'local-llm', { url: 'http://x/v1', model: 'm', apiKey: { env: 'LATCH_TEST_LLM_KEY_UNSET' } }))).toBe(
      "intelligence.yaml: provider 'local-llm': apiKey is not set (environment variable LATCH_TEST_LLM_KEY_UNSET)",
    );
  });

  it('kind plugin needs a plugins.yaml plugin that offers classify, and then serves through it', async () => {
    const keywords = join(root, 'plugins/keyword-classify');
    const plugins = await PluginHost.start([{ id: 'keyword-classify', dir: keywords, config: {}, secrets: {} }], () => undefined);
    hosts.push(plugins);
    expect(refusal(() => build('plugin', 'keywords', { plugin: 'keyword-classify' }))).toBe("intelligence.yaml: provider 'keywords': plugin 'keyword-classify' is not configured in plugins.yaml");
    expect(refusal(() => build('plugin', 'keywords', { plugin: 'nope' }, plugins))).toBe("intelligence.yaml: provider 'keywords': plugin 'nope' is not configured in plugins.yaml");
    expect(refusal(() => build('plugin', 'keywords', { plugins: 'keyword-classify' }, plugins))).toMatch(/\/providers\/keywords must have required property 'plugin'/);
    const provider = build('plugin', 'keywords', { plugin: 'keyword-classify', timeoutMs: 2000 }, plugins);
    expect(provider).toBeInstanceOf(PluginProvider);
    const caseTypes = [{ key: 'refund', title: 'Refund', queues: ['refunds'], priorities: ['normal', 'high'] }];
    expect(await provider.suggest({ caseId: 'c1', text: 'please refund me', fields: {}, caseTypes, personalData: true }, AbortSignal.timeout(10_000))).toMatchObject({ caseType: 'refund', queue: 'refunds' });

    process.env.LATCH_TEST_ECHO_TOKEN = 'echo-token';
    const echo = await PluginHost.start([{ id: 'echo', dir: join(root, 'plugins/echo'), config: {}, secrets: { token: { env: 'LATCH_TEST_ECHO_TOKEN' } } }], () => undefined);
    hosts.push(echo);
    expect(refusal(() => build('plugin', 'echoes', { plugin: 'echo' }, echo))).toBe("intelligence.yaml: provider 'echoes': plugin 'echo' does not offer the classify capability");
  });
});
