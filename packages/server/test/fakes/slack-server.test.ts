import { ErrorCode, WebClient, type WebAPICallError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackServer, type SlackServer } from './slack-server.js';

const TOKEN = 'xoxb-test-token';

describe('fake Slack Web API', () => {
  let slack: SlackServer;
  beforeEach(async () => {
    slack = await startSlackServer();
  });
  afterEach(async () => {
    await slack.close();
  });

  // retries: 0 and rejectRateLimitedCalls: otherwise the client sleeps Retry-After and retries itself.
  const client = (token: string | undefined) =>
    new WebClient(token, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

  const failure = async (promise: Promise<unknown>): Promise<WebAPICallError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    return error as WebAPICallError;
  };

  it('posts a message with the official client (form body, bearer token)', async () => {
    const result = await client(TOKEN).chat.postMessage({ channel: '#ops', text: 'hello <world>' });
    expect(result.ok).toBe(true);
    expect(result.channel).toMatch(/^C[0-9A-F]{10}$/);
    expect(result.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(result.message?.text).toBe('hello <world>');
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]).toMatchObject({ channel: result.channel, text: 'hello <world>', token: TOKEN, contentType: 'application/x-www-form-urlencoded' });
    expect(slack.messages[0]?.params).not.toHaveProperty('token');
  });

  it('keeps channel IDs and gives each message a new ts', async () => {
    const a = await client(TOKEN).chat.postMessage({ channel: 'C0123456789', text: 'one' });
    const b = await client(TOKEN).chat.postMessage({ channel: 'C0123456789', text: 'two' });
    expect(a.channel).toBe('C0123456789');
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
  });

  it('accepts a JSON body', async () => {
    const res = await fetch(`${slack.url}/api/chat.postMessage`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0123456789', text: 'json', mrkdwn: false }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0123456789', message: { text: 'json' } });
    expect(slack.messages[0]?.params).toMatchObject({ mrkdwn: false });
  });

  it('answers not_authed and invalid_auth with HTTP 200 and ok:false', async () => {
    const missing = await failure(client(undefined).chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(missing.code).toBe(ErrorCode.PlatformError);
    expect(missing.code === ErrorCode.PlatformError && missing.data.error).toBe('not_authed');
    const wrong = await failure(client('xoxp-user-token').chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(wrong.code === ErrorCode.PlatformError && wrong.data.error).toBe('invalid_auth');
    expect(slack.messages).toHaveLength(0);
  });

  it('answers channel_not_found for channels it does not know', async () => {
    const strict = await startSlackServer({ channels: ['C0123456789'] });
    try {
      const c = new WebClient(TOKEN, { slackApiUrl: `${strict.url}/api/`, retryConfig: { retries: 0 } });
      const error = await failure(c.chat.postMessage({ channel: '#nowhere', text: 'x' }));
      expect(error.code === ErrorCode.PlatformError && error.data.error).toBe('channel_not_found');
      await expect(c.chat.postMessage({ channel: 'C0123456789', text: 'x' })).resolves.toMatchObject({ ok: true });
    } finally {
      await strict.close();
    }
  });

  it('plays injected faults once each, in order', async () => {
    slack.inject({ kind: 'error', error: 'channel_not_found' });
    slack.inject({ kind: 'ratelimit', retryAfter: 7 });
    slack.inject({ kind: 'http', status: 500 });
    slack.inject({ kind: 'disconnect' });

    const notFound = await failure(client(TOKEN).chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(notFound.code === ErrorCode.PlatformError && notFound.data.error).toBe('channel_not_found');
    const limited = await failure(client(TOKEN).chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(limited.code === ErrorCode.RateLimitedError && limited.retryAfter).toBe(7);
    const http = await failure(client(TOKEN).chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(http.code === ErrorCode.HTTPError && http.statusCode).toBe(500);
    const network = await failure(client(TOKEN).chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(network.code).toBe(ErrorCode.RequestError);

    await expect(client(TOKEN).chat.postMessage({ channel: 'C0123456789', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(slack.messages).toHaveLength(1);
    expect(slack.requests).toHaveLength(5);
  });

  it('hangs on request, until the client gives up', async () => {
    slack.inject({ kind: 'hang' });
    const c = new WebClient(TOKEN, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 }, timeout: 200 });
    const error = await failure(c.chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(error.code).toBe(ErrorCode.RequestError);
    expect(slack.messages).toHaveLength(0);
  });

  it('answers 429 with a Retry-After header', async () => {
    slack.inject({ kind: 'ratelimit', retryAfter: 3 });
    const res = await fetch(`${slack.url}/api/chat.postMessage`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: 'channel=C1&text=x' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
  });
});
