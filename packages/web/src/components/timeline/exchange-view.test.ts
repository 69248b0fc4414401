import { describe, expect, it } from 'vitest';
import { exchangeView } from './exchange-view';

describe('a recorded exchange as a person reads it', () => {
  it('shows a request’s method, path, headers and its form body as sent', () => {
    const view = exchangeView({
      method: 'POST',
      url: 'http://127.0.0.1:4242/v1/refunds?expand=charge',
      headers: { 'Stripe-Version': '2023-08-16', 'Idempotency-Key': 'latch-abc-r1-e1', Authorization: '[redacted]' },
      body: 'amount=75000&payment_intent=pi_2001',
    });
    expect(view).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1:4242/v1/refunds?expand=charge',
      path: '/v1/refunds?expand=charge',
      headers: [
        ['Stripe-Version', '2023-08-16'],
        ['Idempotency-Key', 'latch-abc-r1-e1'],
        ['Authorization', '[redacted]'],
      ],
      body: 'amount=75000&payment_intent=pi_2001',
    });
  });

  it('pretty-prints a JSON response body and keeps its status', () => {
    const view = exchangeView({ status: 200, headers: { 'request-id': 'req_1', 'idempotent-replayed': 'true' }, body: '{"id":"re_1","object":"refund"}' });
    expect(view.status).toBe(200);
    expect(view.headers).toEqual([
      ['request-id', 'req_1'],
      ['idempotent-replayed', 'true'],
    ]);
    expect(view.body).toBe('{\n  "id": "re_1",\n  "object": "refund"\n}');
    expect(view.method).toBeUndefined();
  });

  it('shows what is not an exchange record as the text it is, markup included, never interpreted', () => {
    expect(exchangeView('<img src=x onerror=alert(1)>')).toEqual({ headers: [], body: '<img src=x onerror=alert(1)>' });
    expect(exchangeView([1, 2]).body).toBe('[\n  1,\n  2\n]');
    expect(exchangeView({ note: 'no method here' }).body).toBe('{\n  "note": "no method here"\n}');
    expect(exchangeView({ url: 'not a url', headers: { n: 5 } })).toEqual({ url: 'not a url', path: 'not a url', headers: [['n', '5']] });
  });
});
