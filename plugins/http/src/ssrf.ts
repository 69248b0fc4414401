import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { forbiddenReason } from './address-policy.js';

/** The target resolves to an address Latch may not reach: never retried. */
export class ForbiddenTargetError extends Error {
  override readonly name = 'ForbiddenTargetError';
}

/** Resolves every address of a hostname, as `dns.lookup(host, {all: true})` does. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address, in the resolver's order. */
export const systemResolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/**
 * The addresses `hostname` (a URL's hostname) may be reached at. Every resolved address must pass,
 * not just the first: a name that also resolves to 127.0.0.1 could otherwise be raced to it.
 */
export async function resolveTarget(hostname: string, allowPrivateNetworks: boolean, resolveAll: ResolveAll = systemResolveAll): Promise<LookupAddress[]> {
  const literal = hostname.replace(/^\[|\]$/g, '');
  const addresses: LookupAddress[] = isIP(literal) ? [{ address: literal, family: isIP(literal) }] : await resolveAll(hostname);
  if (addresses.length === 0) throw new Error(`${hostname} resolved to no address`);
  if (!allowPrivateNetworks) {
    for (const { address } of addresses) {
      const reason = forbiddenReason(address);
      if (reason) throw new ForbiddenTargetError(`${hostname} resolves to ${address} (${reason}); set allowPrivateNetworks to reach it`);
    }
  }
  return addresses;
}

/**
 * A connection pool that connects `hostname` only to the already checked `addresses`, so a DNS
 * answer that changes between the check and the connect (rebinding) is never used. The URL keeps
 * the hostname, so the Host header and TLS SNI and certificate checks are unchanged.
 */
export function pinnedAgent(hostname: string, addresses: readonly LookupAddress[]): Agent {
  const expected = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const lookup: LookupFunction = (host, options, callback) => {
    if (host.toLowerCase() !== expected) {
      callback(Object.assign(new Error(`refusing to resolve ${host}: only ${expected} is pinned`), { code: 'ENOTFOUND' }), '', 4);
      return;
    }
    const usable = options.family ? addresses.filter((a) => a.family === options.family) : [...addresses];
    const first = usable[0];
    if (!first) {
      callback(Object.assign(new Error(`${host} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 4);
    } else if (options.all) {
      // Node's typings only know the single-address form; with {all: true} it is called with the list.
      (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
  return new Agent({ connect: { lookup }, connections: 1 });
}
