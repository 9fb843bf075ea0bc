import ipaddr from 'ipaddr.js';

/** The proxies the environment asks for, read once: HTTP_PROXY / HTTPS_PROXY / NO_PROXY, lower-case first. */
export interface ProxySettings {
  /** For http:// targets. */
  http: URL | null;
  /** For https:// targets (through a CONNECT tunnel). */
  https: URL | null;
  noProxy: NoProxyRule[];
}

type NoProxyRule =
  | { kind: 'all' }
  | { kind: 'cidr'; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; port: number | null }
  | { kind: 'ip'; address: string; port: number | null }
  | { kind: 'domain'; name: string; port: number | null };

/**
 * The proxy settings of `env`, or null when no proxy variable is set (the common case, which then costs nothing
 * per call). Lower-case names win over upper-case, as in curl and most tools. Only http:// proxies are
 * supported (what corporate proxies speak, also for https targets through CONNECT); a value without a scheme
 * means http://.
 */
export function proxySettingsFrom(env: NodeJS.ProcessEnv): ProxySettings | null {
  const http = proxyUrl(env, 'http_proxy');
  const https = proxyUrl(env, 'https_proxy');
  if (!http && !https) return null;
  return { http, https, noProxy: parseNoProxy(env.no_proxy ?? env.NO_PROXY ?? '') };
}

/**
 * The proxy for `target`, or null for a direct connection: no proxy for its scheme, a NO_PROXY rule matches,
 * or the target is on loopback. Loopback is always direct (as in Go's net/http): a proxy elsewhere cannot reach
 * this host's 127.0.0.1, where Ollama, Docker Model Runner or a llama.cpp server usually listen.
 */
export function proxyFor(target: URL, settings: ProxySettings): URL | null {
  const proxy = target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : null;
  if (!proxy) return null;
  const host = bareHost(target.hostname);
  if (isLoopback(host)) return null;
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return settings.noProxy.some((rule) => matches(rule, host, port)) ? null : proxy;
}

function proxyUrl(env: NodeJS.ProcessEnv, name: string): URL | null {
  const value = (env[name] ?? env[name.toUpperCase()] ?? '').trim();
  if (value === '') return null;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new Error(`${name.toUpperCase()} is not a URL (expected http://host:port)`);
  }
  if (url.protocol !== 'http:') throw new Error(`${name.toUpperCase()} uses ${url.protocol}//; only http:// proxies are supported`);
  return url;
}

/** NO_PROXY: entries separated by commas or spaces; `*`, a domain (`example.com`, `.example.com`, `*.example.com`), an IP or a CIDR, each optionally with `:port`. */
function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of value.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') {
      rules.push({ kind: 'all' });
      continue;
    }
    if (ipaddr.isValidCIDR(entry)) {
      rules.push({ kind: 'cidr', range: ipaddr.parseCIDR(entry), port: null });
      continue;
    }
    const { host, port } = splitPort(entry);
    if (ipaddr.isValid(host)) {
      rules.push({ kind: 'ip', address: ipaddr.process(host).toNormalizedString(), port });
      continue;
    }
    const name = host.replace(/^\*?\./, '');
    if (name !== '') rules.push({ kind: 'domain', name, port });
  }
  return rules;
}

function splitPort(entry: string): { host: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ? Number(bracketed[2]) : null };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort) return { host: withPort[1] ?? '', port: Number(withPort[2]) };
  return { host: entry, port: null };
}

function matches(rule: NoProxyRule, host: string, port: number): boolean {
  switch (rule.kind) {
    case 'all':
      return true;
    case 'cidr': {
      if (!ipaddr.isValid(host)) return false;
      const address = ipaddr.process(host);
      return address.kind() === rule.range[0].kind() && (address as ipaddr.IPv4).match(rule.range as [ipaddr.IPv4, number]);
    }
    case 'ip':
      return (rule.port === null || rule.port === port) && ipaddr.isValid(host) && ipaddr.process(host).toNormalizedString() === rule.address;
    case 'domain':
      return (rule.port === null || rule.port === port) && (host === rule.name || host.endsWith(`.${rule.name}`));
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
}

/** URL.hostname keeps IPv6 literals in brackets and may end in a dot. */
function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}
