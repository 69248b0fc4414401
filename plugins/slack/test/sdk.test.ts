import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runConformance } from '@latch/protocol';
import { RpcErrorCode, testPlugin, validateSchema, type JsonSchema } from '@latch/plugin-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackServer, type SlackServer } from '../../../packages/server/test/fakes/slack-server.js';
import { parsePostMessageInput, parseSlackSettings } from '../src/config.js';
import { createSlackPlugin, manifest } from '../src/plugin.js';

const TOKEN = 'xoxb-sdk-very-secret';
const PLUGIN_DIR = fileURLToPath(new URL('..', import.meta.url));
let slack: SlackServer;
beforeEach(async () => {
  slack = await startSlackServer({ tokens: [TOKEN] });
});
afterEach(async () => slack.close());

const host = (config: Record<string, unknown> = {}) => testPlugin(createSlackPlugin(), { config: { apiBase: `${slack.url}/api/`, ...config }, secrets: { botToken: TOKEN } });

describe('slack plugin through the SDK', () => {
  it('declares what the host needs', () => {
    expect(manifest).toMatchObject({ id: 'slack', command: ['node', 'dist/main.js'], caseTypes: ['*'], caseFields: [] });
    expect(manifest.config.map((c) => [c.name, c.required, c.secret])).toEqual([
      ['apiBase', false, false],
      ['botToken', true, true],
      ['defaultChannel', false, false],
    ]);
    expect(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version).toBe(manifest.version);
  });

  it('offers post_message on any case', async () => {
    const h = host();
    expect(await h.listActions({ type: 'anything' })).toEqual([{ name: 'post_message', title: 'Post a Slack message' }]);
    await h.close();
  });

  it('posts to the default channel with the idempotency key as metadata, never logging the token', async () => {
    const h = host({ defaultChannel: 'C0DEFAULT1' });
    const result = await h.execute({ action: 'post_message', input: { text: 'Refund approved' }, idempotencyKey: 'latch-r9-1' });
    expect(result).toMatchObject({ status: 'succeeded', output: { channel: 'C0DEFAULT1', ts: slack.messages[0]?.ts } });
    expect(slack.messages[0]?.params.metadata).toContain('latch-r9-1');
    expect(JSON.stringify(result)).not.toContain('very-secret');
    expect(h.logs.join('\n')).not.toContain('very-secret');
    await h.close();
  });

  it('fails channel_not_found for good, and a 429 for a retry', async () => {
    const h = host();
    slack.inject({ kind: 'error', error: 'channel_not_found' });
    expect(await h.execute({ action: 'post_message', input: { channel: '#nope', text: 'x' } })).toMatchObject({ status: 'failed', retryable: false });
    slack.inject({ kind: 'ratelimit', retryAfter: 1 });
    const limited = await h.execute({ action: 'post_message', input: { channel: '#ops', text: 'x' } });
    expect(limited).toMatchObject({ status: 'failed', retryable: true, external: { response: { status: 429 } } });
    await h.close();
  });

  it('refuses a configuration without a usable bot token, never quoting it', async () => {
    const missing = testPlugin(createSlackPlugin(), { config: {}, secrets: {} });
    await expect(missing.initialize()).rejects.toThrow(/botToken/);
    await missing.close();
    const broken = testPlugin(createSlackPlugin(), { config: {}, secrets: { botToken: 'xoxb-very secret' } });
    await expect(broken.initialize()).rejects.toThrow(/^configuration refused: botToken must not contain whitespace$/);
    await broken.close();
  });

  it('has an inputSchema that refuses what the code refuses', async () => {
    const schema = manifest.actions[0]!.inputSchema as JsonSchema;
    const settings = parseSlackSettings({ defaultChannel: '#ops' }, { botToken: TOKEN });
    const inputs = [{ text: 'ok' }, { text: '' }, { text: ' \t' }, { text: 'x'.repeat(3000) }, { text: 'x'.repeat(3001) }, { text: '🚀'.repeat(3000) }];
    const more = [{ text: 'x', channel: '#a b' }, { text: 'x', channel: 'C012345' }, { text: 'x', blocks: [] }, { channel: '#ops' }];
    for (const input of [...inputs, ...more]) {
      const codeAccepts = (() => {
        try {
          return Boolean(parsePostMessageInput(input, settings));
        } catch {
          return false;
        }
      })();
      expect([input, validateSchema(schema, input).length === 0]).toEqual([input, codeAccepts]);
    }
    const h = host();
    await expect(h.execute({ action: 'post_message', input: { text: 'x'.repeat(3001) } })).rejects.toMatchObject({ code: RpcErrorCode.INVALID_INPUT });
    await h.close();
  });

  it('passes the protocol conformance suite as a process (node dist/main.js) against the fake', async () => {
    const report = await runConformance(['node', 'dist/main.js'], PLUGIN_DIR, {
      action: 'post_message',
      input: { channel: '#ops', text: 'conformance' },
      config: { apiBase: `${slack.url}/api/` },
      secrets: { botToken: TOKEN },
    });
    expect(report.failed).toEqual([]);
    expect(slack.messages.length).toBeGreaterThan(0);
  });
});
