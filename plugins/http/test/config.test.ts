import { describe, expect, it } from 'vitest';
import { InvalidError, parseHttpSettings, parseRequestInput, targetUrl } from '../src/config.js';

describe('parseHttpSettings', () => {
  it('requires an http(s) baseUrl without credentials', () => {
    expect(() => parseHttpSettings({}, {})).toThrow(InvalidError);
    expect(() => parseHttpSettings({ baseUrl: 'file:///etc' }, {})).toThrow('http(s)');
    expect(() => parseHttpSettings({ baseUrl: 'https://u:p@api.internal' }, {})).toThrow('credentials');
    expect(() => parseHttpSettings({ baseUrl: 'https://api.internal/?x=1' }, {})).toThrow('query');
  });

  it('keeps origin and base path apart, private networks off by default', () => {
    expect(parseHttpSettings({ baseUrl: 'https://api.internal:8443/v1/' }, { authHeader: 'Bearer s' })).toEqual({
      origin: 'https://api.internal:8443',
      basePath: '/v1',
      authHeader: 'Bearer s',
      allowPrivateNetworks: false,
    });
    expect(parseHttpSettings({ baseUrl: 'http://[::1]:81' }, {})).toMatchObject({ origin: 'http://[::1]:81', basePath: '', authHeader: undefined });
    expect(parseHttpSettings({ baseUrl: 'http://x', allowPrivateNetworks: 'true' }, {}).allowPrivateNetworks).toBe(true);
    expect(() => parseHttpSettings({ baseUrl: 'http://x', allowPrivateNetworks: 'yes' }, {})).toThrow('allowPrivateNetworks');
    expect(() => parseHttpSettings({ baseUrl: 'http://x' }, { authHeader: 'Bearer a\r\nX-Evil: 1' })).toThrow('single-line');
  });
});

describe('parseRequestInput', () => {
  it('accepts the documented shape and sends objects as JSON', () => {
    expect(parseRequestInput({ method: 'POST', path: '/refunds?dry_run=1', body: { amount: 5 }, headers: { 'X-Request-Id': 'r1' } })).toEqual({
      method: 'POST',
      path: '/refunds?dry_run=1',
      body: '{"amount":5}',
      headers: { 'x-request-id': 'r1', 'content-type': 'application/json' },
    });
    expect(parseRequestInput({ method: 'PUT', path: '/a', body: 'raw', headers: { 'Content-Type': 'text/plain' } })).toMatchObject({ body: 'raw', headers: { 'content-type': 'text/plain' } });
  });

  it('refuses other methods, extra fields and GET bodies', () => {
    expect(() => parseRequestInput({ method: 'TRACE', path: '/' })).toThrow('method');
    expect(() => parseRequestInput({ method: 'get', path: '/' })).toThrow('method');
    expect(() => parseRequestInput({ method: 'GET', path: '/', url: 'http://x' })).toThrow('"url"');
    expect(() => parseRequestInput({ method: 'GET', path: '/', body: {} })).toThrow('no body');
  });

  it.each([
    'relative',
    '',
    'http://169.254.169.254/latest',
    '//evil.example/x',
    '/../etc/passwd',
    '/a/../../b',
    '/a/%2e%2e/b',
    '/a/%2E%2E',
    '/a/.%2e/b',
    '/./a',
    '/a/..%2fb',
    '/a%2f..%2f..',
    '/a\\..\\b',
    '/a b',
    '/a\r\nHost: evil',
    '/a#frag',
    '/%zz',
    // Semicolon path parameters: Tomcat and Spring read /x/..;/secret as /x/../secret.
    '/x/..;/secret',
    '/x/..%3b/secret',
    '/x;jsessionid=1/y',
    '/.;/secret',
    // Encoded more than once, for a proxy and a backend that each decode.
    '/%252e%252e/secret',
    '/a/%252e%252e%252fsecret',
    '/a/%25252e%25252e/b',
    '/a/%2e%252e/b',
    '/a/..%255c..%255csecret',
    '/a/%252f',
    '/a/%25%32%65%25%32%65/b',
    '/a/%255c',
    '/a/%2500',
    '/a/%250d%250a',
    '/a/%2525252525252e',
  ])('refuses path %j', (path) => {
    expect(() => parseRequestInput({ method: 'GET', path })).toThrow(InvalidError);
  });

  it('allows dots that are not segments, and literal percent signs', () => {
    expect(parseRequestInput({ method: 'GET', path: '/files/report..v2.txt?q=../x' }).path).toBe('/files/report..v2.txt?q=../x');
    expect(parseRequestInput({ method: 'GET', path: '/discounts/100%25' }).path).toBe('/discounts/100%25');
    expect(parseRequestInput({ method: 'GET', path: '/names/caf%C3%A9' }).path).toBe('/names/caf%C3%A9');
  });

  it.each(['Authorization', 'Host', 'Cookie', 'Proxy-Authorization', 'X-Forwarded-For', 'Transfer-Encoding', 'Content-Length', 'Idempotency-Key'])(
    'refuses header %s',
    (name) => {
      expect(() => parseRequestInput({ method: 'GET', path: '/', headers: { [name]: 'x' } })).toThrow('is not allowed');
    },
  );

  it('refuses header values that could split the request', () => {
    expect(() => parseRequestInput({ method: 'GET', path: '/', headers: { accept: 'a\r\nX: y' } })).toThrow('single-line');
    expect(() => parseRequestInput({ method: 'GET', path: '/', headers: { accept: 5 } })).toThrow('single-line');
  });
});

describe('targetUrl', () => {
  it('stays below the base path', () => {
    const settings = parseHttpSettings({ baseUrl: 'https://api.internal/v1' }, {});
    expect(targetUrl(settings, '/orders/1?x=2').href).toBe('https://api.internal/v1/orders/1?x=2');
    expect(targetUrl(parseHttpSettings({ baseUrl: 'https://api.internal/' }, {}), '/a').href).toBe('https://api.internal/a');
    // Only reachable if parseRequestInput were skipped: the URL check is a second line.
    expect(() => targetUrl(settings, '/../admin')).toThrow('leaves baseUrl');
    expect(() => targetUrl(settings, '@evil.example/')).toThrow(InvalidError);
    expect(() => targetUrl(parseHttpSettings({ baseUrl: 'https://api.internal' }, {}), '@evil.example/')).toThrow('leaves baseUrl');
  });
});
