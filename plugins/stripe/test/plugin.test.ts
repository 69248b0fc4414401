import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiVersionOf, createStripeClient, formBody, parseSettings, PINNED_API_VERSION, urlFor } from '../src/client.js';
import { formatMinor } from '../src/money.js';
import { suggestActions } from '../src/suggest.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const manifest = JSON.parse(read('../latch-plugin.json'));

describe('stripe plugin pieces', () => {
  it('accepts every refund the refund case type allows (and charges too)', () => {
    expect(manifest).toMatchObject({ id: 'stripe', protocolVersion: '1', command: ['node', 'dist/main.js'], caseTypes: ['refund'], caseFields: ['order_id', 'payment_intent', 'charge', 'amount_minor', 'currency'] });
    const caseType = parse(read('../../../config/case-types/refund.v3.yaml'));
    const action = caseType.actions.find((a: { plugin: string; action: string }) => a.plugin === 'stripe' && a.action === 'refund');
    const accepted = manifest.actions[0].inputSchema;
    for (const [name, schema] of Object.entries(action.input.properties)) expect(accepted.properties[name], name).toEqual(schema);
    for (const name of accepted.required) expect(action.input.required).toContain(name);
    expect(accepted.properties.charge).toEqual({ type: 'string', pattern: '^(ch|py)_[A-Za-z0-9]{1,64}$' });
    expect(action.input.oneOf).toEqual([{ required: ['payment_intent'] }, { required: ['charge'] }]);
    expect(caseType.fields.properties.charge).toMatchObject({ pattern: '^(ch|py)_[A-Za-z0-9]{1,64}$' });
    expect(JSON.parse(read('../package.json')).version).toBe(manifest.version);
  });

  it('suggests a prefilled refund only for cases with a payment intent or a charge', () => {
    expect(suggestActions({ fields: { order_id: 'A1', payment_intent: 'pi_123', amount_minor: 60_000, currency: 'usd' } })).toEqual([
      { name: 'refund', title: 'Refund a payment', suggestedInput: { payment_intent: 'pi_123', amount_minor: 60_000, currency: 'usd', reason: 'requested_by_customer' } },
    ]);
    expect(suggestActions({ fields: { order_id: 'A1', amount_minor: 60_000, currency: 'usd' } })).toEqual([]);
    expect(suggestActions({ fields: { payment_intent: 'ch_123' } })).toEqual([]);
    expect(suggestActions({ fields: { charge: 'ch_123', amount_minor: 500, currency: 'eur' } })).toEqual([
      { name: 'refund', title: 'Refund a payment', suggestedInput: { charge: 'ch_123', amount_minor: 500, currency: 'eur', reason: 'requested_by_customer' } },
    ]);
  });

  it('checks settings and points the client at apiBase', () => {
    expect(() => parseSettings({}, {})).toThrow(/apiKey/);
    expect(() => parseSettings({ apiBase: 'ftp://x' }, { apiKey: 'sk_test_1' })).toThrow(/http/);
    expect(() => parseSettings({ apiBase: 'http://127.0.0.1:1/v1' }, { apiKey: 'sk_test_1' })).toThrow(/origin/);
    expect(urlFor(createStripeClient(parseSettings({}, { apiKey: 'sk_test_1' })), '/v1/refunds')).toBe('https://api.stripe.com/v1/refunds');
    expect(urlFor(createStripeClient(parseSettings({ apiBase: 'http://127.0.0.1:4242' }, { apiKey: 'rk_test_1' })), '/v1/x')).toBe('http://127.0.0.1:4242/v1/x');
  });

  it('pins the API version itself, whatever the stripe package defaults to; a deployment may set another', () => {
    expect(PINNED_API_VERSION).toBe('2023-08-16');
    expect(apiVersionOf(createStripeClient(parseSettings({}, { apiKey: 'sk_test_1' })))).toBe(PINNED_API_VERSION);
    expect(apiVersionOf(createStripeClient(parseSettings({ apiVersion: '2024-06-20' }, { apiKey: 'sk_test_1' })))).toBe('2024-06-20');
    expect(() => parseSettings({ apiVersion: 'latest' }, { apiKey: 'sk_test_1' })).toThrow(/apiVersion/);
  });

  it('formats amounts and form bodies like Stripe', () => {
    expect(formatMinor(60_000, 'usd')).toBe('600.00 USD');
    expect(formatMinor(500, 'jpy')).toBe('500 JPY');
    expect(formBody({ a: 1, b: undefined, metadata: { k: 'x y&z' } })).toBe('a=1&metadata[k]=x%20y%26z');
  });
});
