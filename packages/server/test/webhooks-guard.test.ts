import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWebhookConfig } from '../src/webhooks/webhook-config.js';
import { postWebhook } from '../src/webhooks/post-webhook.js';
import { forbiddenRange, urlProblem } from '../src/webhooks/target-guard.js';
import { startWebhookReceiver, type WebhookReceiver } from './fakes/webhook-receiver.js';

describe('webhook target guard', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => receiver?.close());

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
  ])('refuses %s (%s) unless private networks are allowed', (address, range) => {
    expect(forbiddenRange(address)).toBe(range);
  });

  it('lets public unicast addresses through', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(forbiddenRange(address)).toBeUndefined();
  });

  it('judges URLs: http(s) only, no credentials, no private literal unless allowed', () => {
    expect(urlProblem('https://hooks.example.com/latch', false)).toBeUndefined();
    expect(urlProblem('ftp://hooks.example.com/latch', true)).toMatch(/http/);
    expect(urlProblem('javascript:alert(1)', true)).toMatch(/http/);
    expect(urlProblem('https://u:p@hooks.example.com/', true)).toMatch(/credentials/);
    expect(urlProblem('http://127.0.0.1:8080/hook', false)).toMatch(/loopback.*LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS/);
    expect(urlProblem('http://[::1]/hook', false)).toMatch(/loopback/);
    expect(urlProblem('http://0x7f000001/hook', false)).toMatch(/loopback/);
    expect(urlProblem('http://localhost:3000/hook', false)).toMatch(/this machine/);
    expect(urlProblem('http://127.0.0.1:8080/hook', true)).toBeUndefined();
  });

  it('refuses at connect time a name that resolves to a private address, and sends nothing', async () => {
    const before = receiver.received.length;
    const name = receiver.url.replace('127.0.0.1', 'localhost'); // a name: only its resolved address can tell
    const refused = await postWebhook(`${name}/hook`, {}, '{}', { timeoutMs: 2000, allowPrivateNetworks: false });
    expect(refused).toMatchObject({ errorCode: 'TARGET_FORBIDDEN' });
    expect(receiver.received.length).toBe(before);
    const allowed = await postWebhook(`${receiver.url}/hook`, {}, '{}', { timeoutMs: 2000, allowPrivateNetworks: true });
    expect(allowed).toMatchObject({ status: 204 });
  });

  it('times out a receiver that never answers, and cuts off an endless answer', async () => {
    receiver.on('/silent', () => undefined);
    expect(await postWebhook(`${receiver.url}/silent`, {}, '{}', { timeoutMs: 300, allowPrivateNetworks: true })).toMatchObject({ errorCode: 'TIMEOUT' });
    receiver.on('/endless', (_n, _req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      pump();
    });
    expect(await postWebhook(`${receiver.url}/endless`, {}, '{}', { timeoutMs: 5000, allowPrivateNetworks: true })).toMatchObject({ status: 200 });
  });

  it('reads LATCH_WEBHOOK_* with safe defaults and refuses malformed values', () => {
    expect(readWebhookConfig({})).toEqual({ allowPrivateNetworks: false, timeoutMs: 10_000, maxAttempts: 8, retryDelaySeconds: 30, intervalMs: 1000 });
    expect(() => readWebhookConfig({ LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes' })).toThrow(/true or false/);
    expect(() => readWebhookConfig({ LATCH_WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/at least 1/);
    expect(() => readWebhookConfig({ LATCH_WEBHOOK_TIMEOUT_MS: '10s' })).toThrow(/whole number/);
  });
});
