import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The endpoint's address is one Latch may not reach (LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS is off). */
export class ForbiddenTargetError extends Error {
  override readonly name = 'ForbiddenTargetError';
}

/**
 * Why an address must not be contacted unless private networks are allowed, or undefined for a
 * public unicast address. ipaddr.js names every special-purpose range (loopback, private,
 * link-local, carrier-grade NAT, unique local, multicast, 6to4, Teredo, NAT64, …); an IPv4-mapped
 * IPv6 address is judged by its IPv4 address.
 */
export function forbiddenRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

/** Why a URL given for an endpoint is refused, or undefined. A host name is checked again at each delivery, once resolved. */
export function urlProblem(raw: string, allowPrivateNetworks: boolean): string | undefined {
  if (!URL.canParse(raw)) return 'is not a URL';
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username || url.password) return 'must not carry credentials (the signature authenticates Latch)';
  if (url.hash) return 'must not have a #fragment';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivateNetworks && isIP(host)) {
    const range = forbiddenRange(host);
    if (range) return `points at a ${range} address; set LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow private receivers`;
  }
  if (!allowPrivateNetworks && (host === 'localhost' || host.endsWith('.localhost'))) return 'points at this machine; set LATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow private receivers';
  return undefined;
}

/**
 * A `lookup` for node:http that refuses forbidden addresses. The check is made on the very
 * addresses the socket then connects to, so a DNS answer that changes between a check and the
 * connect (rebinding) cannot slip through. Every address of the name must pass, not only the first.
 */
export function guardedLookup(allowPrivateNetworks: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const forbidden = allowPrivateNetworks ? undefined : addresses.find((a) => forbiddenRange(a.address) !== undefined);
      if (forbidden) return callback(new ForbiddenTargetError(`${hostname} resolves to a ${forbiddenRange(forbidden.address)} address`), '', 4);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' }), '', 4);
      // Node's typings know only the single-address form; with {all: true} it is called with the list.
      if (options.all) (callback as unknown as (error: null, list: LookupAddress[]) => void)(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
