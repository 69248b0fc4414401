import { describe, expect, it } from 'vitest';
import { embeddedIPv4, forbiddenReason, ipv6Words } from '../src/address-policy.js';

// Classification only: nothing here opens a connection.
describe('forbiddenReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'unique local (private)'],
    ['fd12:3456::1', 'unique local (private)'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved or broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local (cloud metadata)'],
    ['64:ff9b::a9fe:a9fe', 'link-local (cloud metadata)'],
    ['2002:7f00:1::', 'loopback'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['::a9fe:a9fe', 'IPv4-compatible (deprecated)'],
    // IPv4-mapped, in every spelling, and IPv4-translated (::ffff:0:0:0/96).
    ['::ffff:10.0.0.1', 'private'],
    ['0:0:0:0:0:ffff:a00:1', 'private'],
    ['::FFFF:7F00:0001', 'loopback'],
    ['::ffff:0.0.0.0', 'unspecified ("this network")'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::ffff:0:a9fe:a9fe', 'link-local (cloud metadata)'],
    ['::ffff:0:c0a8:101', 'private'],
    // NAT64: the well-known prefix is judged by its IPv4 address, the local-use prefix refused whole.
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b:1::a9fe:a9fe', 'NAT64 local-use (RFC 8215)'],
    ['64:ff9b:1:ffff::808:808', 'NAT64 local-use (RFC 8215)'],
    // 6to4 judged by its IPv4 address; Teredo refused whole (its client address is XOR-ed in).
    ['2002:a9fe:a9fe::1', 'link-local (cloud metadata)'],
    ['2002:c0a8:0101:1::1', 'private'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo tunnel'],
    ['2001::ffff:ffff', 'Teredo tunnel'],
    ['100::1', 'discard-only'],
    ['2001:db8::1', 'documentation'],
    ['fec0::1', 'site-local (deprecated)'],
    ['192.0.2.1', 'documentation'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(forbiddenReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '192.169.0.1', '100.128.0.1', '169.255.0.1', '2001:4860:4860::8888', '2606:4700::1111', '::ffff:8.8.8.8', '2a00::1', '::ffff:0:8.8.8.8', '64:ff9b::8.8.8.8', '2002:808:808::1', '2001:4860::1', '2001:1::1'])(
    'allows public %s',
    (address) => {
      expect(forbiddenReason(address)).toBeUndefined();
    },
  );

  it('refuses what is not an IP address', () => {
    expect(forbiddenReason('localhost')).toBe('not an IP address');
    expect(forbiddenReason('2130706433')).toBe('not an IP address');
  });
});

describe('IPv6 parsing', () => {
  it('expands :: and dotted quads', () => {
    expect(ipv6Words('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Words('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Words('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(ipv6Words('1.2.3.4')).toBeUndefined();
  });

  it('finds IPv4 addresses inside mapped, NAT64 and 6to4 forms only', () => {
    expect(embeddedIPv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIPv4('64:ff9b::0a00:0001')).toBe('10.0.0.1');
    expect(embeddedIPv4('2002:0a00:0001::1')).toBe('10.0.0.1');
    expect(embeddedIPv4('::ffff:0:10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIPv4('64:ff9b:1::10.0.0.1')).toBeUndefined(); // refused by range instead
    expect(embeddedIPv4('2001:db8::1')).toBeUndefined();
  });
});
