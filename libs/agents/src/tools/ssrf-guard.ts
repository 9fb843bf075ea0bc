import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
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
  const literal = isIP(hostname);
  const addresses: ResolvedAddress[] =
    literal !== 0 ? [{ address: hostname, family: literal === 6 ? 6 : 4 }] : await resolve(hostname, lookup, signal);
  if (!trusted) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason === undefined) continue;
      const via = literal !== 0 ? '' : ` resolves to ${address}, which`;
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

/** A host name for comparison: lower case, no IPv6 brackets, no trailing dot of a fully qualified name. */
function bareHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/**
 * Why an address must not be fetched ("a loopback", "a private", ...), or undefined for a public one.
 * Everything that is not globally routable unicast is refused, including ranges no one should serve web pages
 * from (documentation, benchmarking, reserved), since refusing them costs nothing.
 */
export function blockedAddressReason(address: string): string | undefined {
  const bare = address.replace(/%.*$/, ''); // an IPv6 zone id ("fe80::1%eth0") names an interface, not an address
  if (isIPv4(bare)) return ipv4Reason(bare.split('.').map(Number));
  const bytes = parseIPv6(bare);
  if (!bytes) return 'an unparsable';
  return ipv6Reason(bytes);
}

/** IPv4 ranges that are not public (IANA special-purpose registry), most specific first. */
const IPV4_BLOCKED: ReadonlyArray<[number[], number, string]> = [
  [[169, 254, 169, 254], 32, 'the cloud metadata'],
  [[255, 255, 255, 255], 32, 'the broadcast'],
  [[0, 0, 0, 0], 8, 'an unspecified ("this network")'],
  [[10, 0, 0, 0], 8, 'a private'],
  [[100, 64, 0, 0], 10, 'a shared (carrier-grade NAT)'],
  [[127, 0, 0, 0], 8, 'a loopback'],
  [[169, 254, 0, 0], 16, 'a link-local'],
  [[172, 16, 0, 0], 12, 'a private'],
  [[192, 0, 0, 0], 24, 'a reserved (IETF protocol assignments)'],
  [[192, 0, 2, 0], 24, 'a documentation'],
  [[192, 88, 99, 0], 24, 'a reserved (6to4 relay)'],
  [[192, 168, 0, 0], 16, 'a private'],
  [[198, 18, 0, 0], 15, 'a benchmarking'],
  [[198, 51, 100, 0], 24, 'a documentation'],
  [[203, 0, 113, 0], 24, 'a documentation'],
  [[224, 0, 0, 0], 4, 'a multicast'],
  [[240, 0, 0, 0], 4, 'a reserved'],
];

function ipv4Reason(octets: number[]): string | undefined {
  for (const [prefix, bits, reason] of IPV4_BLOCKED) if (matches(octets, prefix, bits)) return reason;
  return undefined;
}

function ipv6Reason(b: number[]): string | undefined {
  const v4 = (from: number): number[] => b.slice(from, from + 4);
  if (b.every((x) => x === 0)) return 'an unspecified';
  if (matches(b, [...zeros(15), 1], 128)) return 'a loopback';
  // ::ffff:a.b.c.d reaches the IPv4 address a.b.c.d: judge that address.
  if (matches(b, [...zeros(10), 0xff, 0xff], 96)) return mapped(ipv4Reason(v4(12)));
  // NAT64 (64:ff9b::/96) also reaches the embedded IPv4 address through the gateway.
  if (matches(b, [0, 0x64, 0xff, 0x9b, ...zeros(8)], 96)) return mapped(ipv4Reason(v4(12)));
  // 6to4 (2002::/16) embeds the IPv4 address of the far end.
  if (matches(b, [0x20, 0x02], 16)) return mapped(ipv4Reason(v4(2)));
  if (matches(b, [0xfc], 7)) return 'a unique local (private)';
  if (matches(b, [0xfe, 0x80], 10)) return 'a link-local';
  if (matches(b, [0xfe, 0xc0], 10)) return 'a site-local';
  if (matches(b, [0xff], 8)) return 'a multicast';
  if (matches(b, [0x20, 0x01, 0x0d, 0xb8], 32) || matches(b, [0x3f, 0xff], 20)) return 'a documentation';
  // 2001::/23 holds IETF protocol assignments (Teredo, ORCHID, ...), none a web server.
  if (matches(b, [0x20, 0x01], 23)) return 'a reserved (IETF protocol assignments)';
  // Everything outside 2000::/3 (global unicast) is reserved: IPv4-compatible ::/96, discard 100::/64, ...
  if (!matches(b, [0x20], 3)) return 'a reserved';
  return undefined;
}

function mapped(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : `${reason} (IPv4 inside IPv6)`;
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/** Whether the first `bits` bits of `bytes` equal those of `prefix` (missing prefix bytes are 0). */
function matches(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i += 1) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The 16 bytes of an IPv6 address ("::" and an embedded dotted IPv4 tail allowed), or undefined when malformed. */
export function parseIPv6(text: string): number[] | undefined {
  // Rewrite a dotted IPv4 tail ("::ffff:1.2.3.4") as its two hex groups, so one parser handles both forms.
  const source = text.toLowerCase().replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (quad: string, a: string, b: string, c: string, d: string) =>
    isIPv4(quad) ? `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}` : 'invalid',
  );
  const halves = source.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
      const value = parseInt(group, 16);
      out.push(value >> 8, value & 0xff);
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const fill = 16 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 2) return undefined;
  return [...head, ...zeros(halves.length === 2 ? fill : 0), ...rest];
}
