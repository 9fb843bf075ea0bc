import { describe, expect, it } from '@jest/globals';
import { proxyFor, proxySettingsFrom } from './proxy-env.js';

const route = (target: string, env: NodeJS.ProcessEnv): string | null => {
  const settings = proxySettingsFrom(env);
  return settings ? (proxyFor(new URL(target), settings)?.host ?? null) : null;
};

describe('proxy settings from the environment', () => {
  it('is null without HTTP_PROXY / HTTPS_PROXY, whatever NO_PROXY says', () => {
    expect(proxySettingsFrom({})).toBeNull();
    expect(proxySettingsFrom({ NO_PROXY: '*', http_proxy: ' ' })).toBeNull();
  });

  it('picks the proxy by the target scheme, lower-case names first, http:// when no scheme is given', () => {
    const env = { HTTP_PROXY: 'http://upper:1', http_proxy: 'lower:2', HTTPS_PROXY: 'http://secure:3' };
    expect(route('http://api.example.com/v1', env)).toBe('lower:2');
    expect(route('https://api.example.com/v1', env)).toBe('secure:3');
    expect(route('https://api.example.com/v1', { HTTP_PROXY: 'http://p:1' })).toBeNull();
  });

  it('refuses proxies it cannot speak, naming the variable', () => {
    expect(() => proxySettingsFrom({ HTTPS_PROXY: 'https://proxy:443' })).toThrow('HTTPS_PROXY uses https://; only http:// proxies are supported');
    expect(() => proxySettingsFrom({ HTTP_PROXY: 'http://[bad' })).toThrow('HTTP_PROXY is not a URL');
  });

  it('always goes direct to loopback', () => {
    const env = { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1' };
    for (const target of ['http://localhost:11434/v1', 'http://127.0.0.1:8080', 'http://127.1.2.3', 'https://[::1]:8443', 'http://model.localhost']) {
      expect(route(target, env)).toBeNull();
    }
    expect(route('http://10.0.0.5:8000', env)).toBe('p:1');
  });

  it('honours NO_PROXY: *, domains and their subdomains, IPs, CIDRs and ports', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'internal.corp, .svc.local,*.example.org 10.0.0.0/8, 192.168.1.7, [fd00::1], api.other.com:8443' };
    expect(route('https://internal.corp/v1', env)).toBeNull();
    expect(route('https://llm.internal.corp/v1', env)).toBeNull();
    expect(route('https://notinternal.corp/v1', env)).toBe('p:1');
    expect(route('https://vllm.svc.local', env)).toBeNull();
    expect(route('https://svc.local', env)).toBeNull();
    expect(route('https://a.example.org', env)).toBeNull();
    expect(route('https://10.20.30.40', env)).toBeNull();
    expect(route('https://11.0.0.1', env)).toBe('p:1');
    expect(route('https://192.168.1.7', env)).toBeNull();
    expect(route('https://192.168.1.8', env)).toBe('p:1');
    expect(route('https://[fd00::1]:443', env)).toBeNull();
    expect(route('https://api.other.com:8443', env)).toBeNull();
    expect(route('https://api.other.com', env)).toBe('p:1');
    expect(route('https://INTERNAL.corp./x', env)).toBeNull();
    expect(route('https://anything.at.all', { HTTPS_PROXY: 'http://p:1', no_proxy: '*' })).toBeNull();
  });
});
