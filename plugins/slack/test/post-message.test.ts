import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackServer, type SlackServer } from '../../../packages/server/test/fakes/slack-server.js';
import { parseSlackSettings, type SlackSettings } from '../src/config.js';
import { postMessage } from '../src/post-message.js';

const TOKEN = 'xoxb-1234-very-secret-token';

describe('postMessage against the fake Slack', () => {
  let slack: SlackServer;
  let settings: SlackSettings;
  beforeEach(async () => {
    slack = await startSlackServer({ tokens: [TOKEN] });
    settings = parseSlackSettings({ apiBase: `${slack.url}/api/` }, { botToken: TOKEN });
  });
  afterEach(async () => {
    await slack.close();
  });

  const post = (text = 'hello', options = {}) => postMessage(settings, { channel: 'C0123456789', text }, options);

  it('posts plain text and reports channel and ts', async () => {
    const result = await post('Refund done for <!channel> & <https://evil.example|click>', { idempotencyKey: 'latch-1-1' });
    expect(result).toMatchObject({ status: 'succeeded', output: { channel: 'C0123456789', ts: slack.messages[0]?.ts } });
    const sent = slack.messages[0]!;
    expect(sent.text).toBe('Refund done for &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(sent.params).toMatchObject({ mrkdwn: 'false', parse: 'none', link_names: 'false', unfurl_links: 'false' });
    expect(JSON.parse(String(sent.params.metadata))).toEqual({ event_type: 'latch_action', event_payload: { idempotency_key: 'latch-1-1' } });
  });

  it('records the exchange without the token', async () => {
    const result = await post();
    expect(result.external.request).toMatchObject({ method: 'POST', url: `${slack.url}/api/chat.postMessage` });
    expect(result.external.request?.body).toContain('text=hello');
    expect(Object.keys(result.external.request?.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('authorization');
    expect(result.external.response).toMatchObject({ status: 200, headers: { 'content-type': expect.stringContaining('json') } });
    expect(JSON.parse(result.external.response?.body ?? '')).toMatchObject({ ok: true, ts: slack.messages[0]?.ts });
    expect(JSON.stringify(result)).not.toContain('very-secret');
  });

  it.each([
    ['channel_not_found', false],
    ['not_in_channel', false],
    ['invalid_auth', false],
    ['ratelimited', true],
    ['internal_error', true],
  ])('ok:false %s → failed, retryable %s', async (error, retryable) => {
    slack.inject({ kind: 'error', error });
    const result = await post();
    expect(result).toMatchObject({ status: 'failed', retryable, summary: `Slack refused the message: ${error}` });
    expect(result.external.response?.status).toBe(200);
  });

  it('maps a wrong token to invalid_auth, not retryable', async () => {
    const wrong = parseSlackSettings({ apiBase: `${slack.url}/api/` }, { botToken: 'xoxb-wrong' });
    const result = await postMessage(wrong, { channel: 'C0123456789', text: 'x' });
    expect(result).toMatchObject({ status: 'failed', retryable: false, summary: 'Slack refused the message: invalid_auth' });
  });

  it('fails fast and retryable on HTTP 429, without sleeping Retry-After', async () => {
    slack.inject({ kind: 'ratelimit', retryAfter: 30 });
    const started = Date.now();
    const result = await post();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ status: 'failed', retryable: true, summary: 'Slack rate limit: retry after 30 s' });
    expect(result.external.response).toMatchObject({ status: 429, headers: { 'retry-after': '30' } });
  });

  it('is retryable on 5xx, dropped connections and timeouts; not on 404', async () => {
    slack.inject({ kind: 'http', status: 503 });
    expect(await post()).toMatchObject({ status: 'failed', retryable: true, summary: 'Slack answered HTTP 503' });
    slack.inject({ kind: 'http', status: 404 });
    expect(await post()).toMatchObject({ status: 'failed', retryable: false, summary: 'Slack answered HTTP 404' });
    slack.inject({ kind: 'disconnect' });
    expect(await post()).toMatchObject({ status: 'failed', retryable: true, summary: expect.stringMatching(/^Could not reach Slack/) });
    slack.inject({ kind: 'hang' });
    expect(await post('x', { timeoutMs: 200 })).toMatchObject({ status: 'failed', retryable: true });
    expect(slack.messages).toHaveLength(0);
  });

  it('is retryable when nothing listens', async () => {
    await slack.close();
    expect(await post()).toMatchObject({ status: 'failed', retryable: true });
    slack = await startSlackServer();
  });
});
