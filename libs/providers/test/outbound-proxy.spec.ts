import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeUpstream, type ForwardProxy, startFakeUpstream, startForwardProxy } from '@switchboard/testing';

/**
 * Provider calls behind a company proxy. Proxies are a process's environment, read once, so each case runs
 * the provider in a child process (probes/proxy.probe.ts) with its own HTTP_PROXY / HTTPS_PROXY / NO_PROXY.
 * The upstreams are reached by a name only the test proxy resolves (`upstream.test`): an answer proves the
 * call went through the proxy, a DNS failure that it did not.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const probe = fileURLToPath(new URL('./probes/proxy.probe.ts', import.meta.url));
const NAME = 'upstream.test';
const ANSWER = 'Hello from the fake upstream.';

type ProbeResults = Record<string, { streamed?: string; generated?: string; error?: string }>;

let dir: string;
let plain: FakeUpstream;
let secure: FakeUpstream;
let proxy: ForwardProxy;
let guarded: ForwardProxy;

function runProbe(env: Record<string, string>, urls: string[]): Promise<ProbeResults> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', probe, JSON.stringify(urls)],
      { cwd: root, timeout: 25_000, env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'), ...env } },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`probe failed: ${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ProbeResults);
      },
    );
  });
}

const named = (upstream: FakeUpstream): string => upstream.url.replace('127.0.0.1', NAME);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sb-proxy-'));
  // A certificate for upstream.test, trusted by the probe through NODE_EXTRA_CA_CERTS.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME}`,
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const tls = { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  plain = await startFakeUpstream({ models: ['m1'] });
  secure = await startFakeUpstream({ models: ['m1'], tls });
  proxy = await startForwardProxy({ hosts: { [NAME]: '127.0.0.1' } });
  guarded = await startForwardProxy({ hosts: { [NAME]: '127.0.0.1' }, requireAuthorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` });
});

beforeEach(() => {
  proxy.requests.length = 0;
  guarded.requests.length = 0;
});

afterAll(async () => {
  await Promise.all([plain?.close(), secure?.close(), proxy?.close(), guarded?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('provider calls through HTTP_PROXY / HTTPS_PROXY', () => {
  it('sends http:// providers to HTTP_PROXY as absolute-URI requests, streamed and not', async () => {
    const url = named(plain);
    const results = await runProbe({ HTTP_PROXY: proxy.url }, [url]);
    expect(results[url]).toEqual({ streamed: ANSWER, generated: ANSWER });
    expect(proxy.requests).toEqual([
      { method: 'POST', target: `${url}/chat/completions`, proxyAuthorization: undefined },
      { method: 'POST', target: `${url}/chat/completions`, proxyAuthorization: undefined },
    ]);
  });

  it('tunnels https:// providers through HTTPS_PROXY with CONNECT, sending the credentials of the proxy URL', async () => {
    const url = named(secure);
    const results = await runProbe({ HTTPS_PROXY: guarded.url.replace('//', '//alice:s3cret@') }, [url]);
    expect(results[url]).toEqual({ streamed: ANSWER, generated: ANSWER });
    expect(guarded.requests.length).toBeGreaterThanOrEqual(1);
    for (const r of guarded.requests) {
      expect(r).toEqual({ method: 'CONNECT', target: `${NAME}:${secure.port}`, proxyAuthorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` });
    }
    // The credentials are the proxy's: the provider never sees them.
    expect(secure.requests.every((r) => r.headers['proxy-authorization'] === undefined)).toBe(true);
  });

  it('says which proxy refused a tunnel, without its credentials', async () => {
    const url = named(secure);
    const results = await runProbe({ HTTPS_PROXY: guarded.url.replace('//', '//alice:wrong@') }, [url]);
    expect(results[url]?.error).toContain(`proxy ${guarded.url} answered 407 to CONNECT ${NAME}:${secure.port}`);
    expect(results[url]?.error).not.toContain('wrong');
  });

  it('prefers the lower-case variables', async () => {
    const url = named(plain);
    const results = await runProbe({ http_proxy: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9' }, [url]);
    expect(results[url]).toEqual({ streamed: ANSWER, generated: ANSWER });
    expect(proxy.requests).toHaveLength(2);
  });

  it('goes direct to loopback and to NO_PROXY hosts', async () => {
    const localhost = plain.url.replace('127.0.0.1', 'localhost');
    const excluded = named(plain);
    const results = await runProbe({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com, .test' }, [plain.url, localhost, excluded]);
    expect(results[plain.url]).toEqual({ streamed: ANSWER, generated: ANSWER });
    expect(results[localhost]).toEqual({ streamed: ANSWER, generated: ANSWER });
    // Direct, so the name only the proxy knows does not resolve.
    expect(results[excluded]?.error).toMatch(/ENOTFOUND|getaddrinfo/);
    expect(proxy.requests).toEqual([]);
  });

  it('leaves calls direct when no proxy variable is set (NO_PROXY alone changes nothing)', async () => {
    const results = await runProbe({ NO_PROXY: '*' }, [plain.url, named(plain)]);
    expect(results[plain.url]).toEqual({ streamed: ANSWER, generated: ANSWER });
    expect(results[named(plain)]?.error).toMatch(/ENOTFOUND|getaddrinfo/);
    expect(proxy.requests).toEqual([]);
  });
});
