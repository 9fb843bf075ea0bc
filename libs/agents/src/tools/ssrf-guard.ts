import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { ToolError } from '../tool.js';

/**
 * The SSRF guard of http_fetch. A model steered by a web page or a user could otherwise make the worker read
 * its own network: cloud metadata (169.254.169.254), Redis and the database on loopback, admin panels on the
 * LAN. Every address a host resolves to is checked, and the connection then goes to a checked address (see
 * http-fetch.tool.ts), so a second DNS answer cannot swap in an internal one (DNS rebinding).
 */

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (dns.lookup with `all: true` by default; injectable for tests). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: HostLookup = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export interface SsrfPolicy {
  /** Every address is allowed (a trusted network, tests). */
  allowPrivate: boolean;
  /** Host names (or literal IPs) that may be internal; compared without case, brackets or a trailing dot. */
  allowedHosts: readonly string[];
}

/** A URL's host with the addresses the request must connect to, and only to. */
export interface VettedTarget {
  hostname: string;
  addresses: ResolvedAddress[];
}

/**
 * Checks a URL before any connection: scheme, then every address of its host. The URL must come from the
 * WHATWG parser, which already turned the odd spellings of an IPv4 address (2130706433, 0x7f.1, 017700000001)
 * into dotted form, so a literal address is recognised whatever way it was written.
 */
export async function vetTarget(url: URL, policy: SsrfPolicy, lookup: HostLookup, signal: AbortSignal): Promise<VettedTarget> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolError(`only http and https URLs can be fetched, not ${url.protocol.replace(/:$/, '')}:`);
  }
  const hostname = bareHost(url.hostname);
  const trusted = policy.allowPrivate || policy.allowedHosts.some((allowed) => bareHost(allowed) === hostname);
  const literal = literalFamily(hostname);
  const addresses: ResolvedAddress[] = literal ? [{ address: hostname, family: literal }] : await resolve(hostname, lookup, signal);
  if (!trusted) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason === undefined) continue;
      const via = literal ? '' : ` resolves to ${address}, which`;
      throw new ToolError(
        `refused to fetch ${url.origin}: ${hostname}${via} is ${reason} address. Internal addresses are off limits ` +
          '(an admin can allow a host with tools.http_fetch.allowed_hosts).',
      );
    }
  }
  return { hostname, addresses };
}

async function resolve(hostname: string, lookup: HostLookup, signal: AbortSignal): Promise<ResolvedAddress[]> {
  signal.throwIfAborted();
  // dns.lookup cannot be cancelled; stop waiting for it when the call is aborted.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const addresses = await Promise.race([lookup(hostname), aborted]);
    if (addresses.length === 0) throw new ToolError(`the host ${hostname} has no address`);
    return addresses;
  } catch (error) {
    if (signal.aborted || error instanceof ToolError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOTFOUND' || code === 'ENODATA' ? 'no such host' : code === 'EAI_AGAIN' ? 'DNS lookup timed out' : (code ?? String(error));
    throw new ToolError(`could not resolve the host ${hostname} (${why})`);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** 4 or 6 when the host is a literal address (the URL parser has already normalised IPv4 to dotted form), else undefined. */
function literalFamily(hostname: string): 4 | 6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) return 4;
  return parsedIPv6(hostname) ? 6 : undefined;
}

/** A host name for comparison: lower case, no IPv6 brackets, no trailing dot of a fully qualified name. */
function bareHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/**
 * Why an address must not be fetched ("a loopback", "a private", ...), or undefined for a public one.
 * Everything that is not globally routable unicast is refused, including ranges no one should serve web pages
 * from (documentation, benchmarking, reserved), since refusing them costs nothing. ipaddr.js parses the
 * address (every IPv6 spelling, zone ids, embedded IPv4); the ranges and their wording are ours.
 */
export function blockedAddressReason(address: string): string | undefined {
  const bare = address.replace(/%.*$/, ''); // an IPv6 zone id ("fe80::1%eth0") names an interface, not an address
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipv4Reason(ipaddr.IPv4.parse(bare));
  const parsed = parsedIPv6(bare);
  return parsed ? ipv6Reason(parsed) : 'an unparsable';
}

/**
 * ipaddr.js reads any dotted IPv4 tail as IPv4-mapped (`::127.0.0.1` as `::ffff:127.0.0.1`); the tail is
 * rewritten as its two hex groups first, so every address keeps its own bytes.
 */
function parsedIPv6(text: string): ipaddr.IPv6 | undefined {
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  let hex = text;
  if (tail) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(tail)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(tail).octets;
    hex = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  return ipaddr.IPv6.isValid(hex) ? ipaddr.IPv6.parse(hex) : undefined;
}

type Ranges<T> = ReadonlyArray<readonly [[T, number], string]>;

const v4 = (cidr: string): [ipaddr.IPv4, number] => ipaddr.IPv4.parseCIDR(cidr);
const v6 = (cidr: string): [ipaddr.IPv6, number] => ipaddr.IPv6.parseCIDR(cidr);

/** IPv4 ranges that are not public (IANA special-purpose registry), most specific first. */
const IPV4_BLOCKED: Ranges<ipaddr.IPv4> = [
  [v4('169.254.169.254/32'), 'the cloud metadata'],
  [v4('255.255.255.255/32'), 'the broadcast'],
  [v4('0.0.0.0/8'), 'an unspecified ("this network")'],
  [v4('10.0.0.0/8'), 'a private'],
  [v4('100.64.0.0/10'), 'a shared (carrier-grade NAT)'],
  [v4('127.0.0.0/8'), 'a loopback'],
  [v4('169.254.0.0/16'), 'a link-local'],
  [v4('172.16.0.0/12'), 'a private'],
  [v4('192.0.0.0/24'), 'a reserved (IETF protocol assignments)'],
  [v4('192.0.2.0/24'), 'a documentation'],
  [v4('192.88.99.0/24'), 'a reserved (6to4 relay)'],
  [v4('192.168.0.0/16'), 'a private'],
  [v4('198.18.0.0/15'), 'a benchmarking'],
  [v4('198.51.100.0/24'), 'a documentation'],
  [v4('203.0.113.0/24'), 'a documentation'],
  [v4('224.0.0.0/4'), 'a multicast'],
  [v4('240.0.0.0/4'), 'a reserved'],
];

/** IPv6 ranges refused outright; those that embed an IPv4 address are judged by that address (ipv6Reason). */
const IPV6_BLOCKED: Ranges<ipaddr.IPv6> = [
  [v6('fc00::/7'), 'a unique local (private)'],
  [v6('fe80::/10'), 'a link-local'],
  [v6('fec0::/10'), 'a site-local'],
  [v6('ff00::/8'), 'a multicast'],
  [v6('2001:db8::/32'), 'a documentation'],
  [v6('3fff::/20'), 'a documentation'],
  // 2001::/23 holds IETF protocol assignments (Teredo, ORCHID, ...), none a web server.
  [v6('2001::/23'), 'a reserved (IETF protocol assignments)'],
];

/** Ranges whose addresses carry an IPv4 address at a byte offset, which is where the packet really goes. */
const IPV6_EMBEDDING: ReadonlyArray<readonly [[ipaddr.IPv6, number], number]> = [
  [v6('::ffff:0:0/96'), 12], // IPv4-mapped
  [v6('64:ff9b::/96'), 12], // NAT64, through the gateway
  [v6('2002::/16'), 2], // 6to4: the IPv4 address of the far end
];

const GLOBAL_UNICAST = v6('2000::/3');

function ipv4Reason(address: ipaddr.IPv4): string | undefined {
  return IPV4_BLOCKED.find(([range]) => address.match(range))?.[1];
}

function ipv6Reason(address: ipaddr.IPv6): string | undefined {
  const bytes = address.toByteArray();
  if (bytes.every((b) => b === 0)) return 'an unspecified';
  if (address.match(v6('::1/128'))) return 'a loopback';
  for (const [range, offset] of IPV6_EMBEDDING) {
    if (!address.match(range)) continue;
    const reason = ipv4Reason(ipaddr.fromByteArray(bytes.slice(offset, offset + 4)) as ipaddr.IPv4);
    return reason === undefined ? undefined : `${reason} (IPv4 inside IPv6)`;
  }
  const blocked = IPV6_BLOCKED.find(([range]) => address.match(range))?.[1];
  if (blocked) return blocked;
  // Everything outside 2000::/3 (global unicast) is reserved: IPv4-compatible ::/96, discard 100::/64, ...
  return address.match(GLOBAL_UNICAST) ? undefined : 'a reserved';
}

/** The 16 bytes of an IPv6 address ("::" and an embedded dotted IPv4 tail allowed), or undefined when malformed. */
export function parseIPv6(text: string): number[] | undefined {
  return parsedIPv6(text)?.toByteArray();
}
