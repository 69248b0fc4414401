import { BlockList, isIPv4, isIPv6 } from 'node:net';

// Ranges a request from Latch must not reach unless the deployment opts in: the machine itself, the
// private networks behind it, link-local (cloud metadata at 169.254.169.254) and addresses no
// single host answers for.
const V4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['192.0.2.0', 24, 'documentation'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];
const V6_RANGES: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  // Forms that carry an IPv4 address we judge by that address are in embeddedIPv4; these are
  // refused whole: a NAT64 local-use prefix leads only to the site's own translator, and a
  // Teredo address tunnels to a client whose IPv4 address nobody here can vouch for.
  ['64:ff9b:1::', 48, 'NAT64 local-use (RFC 8215)'],
  ['2001::', 32, 'Teredo tunnel'],
  ['100::', 64, 'discard-only'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

const v4 = new BlockList();
const v6 = new BlockList();
for (const [address, prefix] of V4_RANGES) v4.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of V6_RANGES) v6.addSubnet(address, prefix, 'ipv6');

/** Why `address` (an IP literal) must not be contacted, or undefined when it is a public address. */
export function forbiddenReason(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets and an IPv6 zone id
  if (isIPv4(ip)) return reasonIn(V4_RANGES, v4, ip, 'ipv4');
  if (!isIPv6(ip)) return 'not an IP address';
  // IPv6 forms that carry an IPv4 address reach that IPv4 host: judge the embedded address.
  const embedded = embeddedIPv4(ip);
  if (embedded) return forbiddenReason(embedded);
  return reasonIn(V6_RANGES, v6, ip, 'ipv6');
}

function reasonIn(ranges: [string, number, string][], list: BlockList, ip: string, family: 'ipv4' | 'ipv6'): string | undefined {
  if (!list.check(ip, family)) return undefined;
  const probe = new BlockList();
  // Most specific first, so ::1 reads "loopback" rather than "IPv4-compatible".
  for (const [address, prefix, reason] of [...ranges].sort((a, b) => b[1] - a[1])) {
    probe.addSubnet(address, prefix, family);
    if (probe.check(ip, family)) return reason;
  }
  return 'forbidden';
}

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96),
 * NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address.
 */
export function embeddedIPv4(ip: string): string | undefined {
  const words = ipv6Words(ip);
  if (!words) return undefined;
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  if (zeros(0, 5) && words[5] === 0xffff) return quad(words[6]!, words[7]!);
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) return quad(words[6]!, words[7]!);
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return quad(words[6]!, words[7]!);
  if (words[0] === 0x2002) return quad(words[1]!, words[2]!);
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (with '::' and a trailing dotted quad expanded). */
export function ipv6Words(ip: string): number[] | undefined {
  if (!isIPv6(ip)) return undefined;
  let text = ip.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const words = [...left, ...fill, ...right];
  return words.length === 8 ? words : undefined;
}
