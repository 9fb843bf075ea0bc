import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { toolsConfigSchema, type ToolsConfig } from '@switchboard/contracts';
import { waitFor } from '@switchboard/testing';
import { createHttpFetchTool } from './http-fetch.tool.js';
import { runToolCall } from './run-tool-call.js';
import { blockedAddressReason, type HostLookup } from './ssrf-guard.js';
import { toolError } from '../../test/support/tool-error.js';

/** A real server on loopback; it records every connection and request, so a test can prove none was made. */
let server: Server;
let port: number;
let base: string;
let connections = 0;
let requests: string[] = [];

const PAGE = `<!doctype html><html><head><title>Test &amp; page</title><style>body { color: red }</style>
<script>alert("x")</script></head><body><h1>Hello world</h1><p>First&nbsp;para &lt;b&gt; &#169;</p>
<!-- a comment --><ul><li>one</li><li>two</li></ul><noscript>enable js</noscript></body></html>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"answer": 42}');
        return;
      case '/big':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('a'.repeat(5000));
        return;
      case '/exact':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('b'.repeat(1000));
        return;
      case '/gzip':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync('z'.repeat(100_000)));
        return;
      case '/latin1':
        res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
        return;
      case '/redirect':
        res.writeHead(302, { location: '/html' }).end();
        return;
      case '/loop':
        res.writeHead(301, { location: `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` }).end();
        return;
      case '/to-loopback':
        res.writeHead(307, { location: `http://127.0.0.1:${port}/html` }).end();
        return;
      case '/to-file':
        res.writeHead(302, { location: 'file:///etc/passwd' }).end();
        return;
      case '/image':
        res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]));
        return;
      case '/untyped-binary':
        res.end(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
        return;
      case '/untyped-html':
        res.end('<html><body><p>sniffed</p></body></html>');
        return;
      case '/empty':
        res.writeHead(200, { 'content-type': 'text/plain' }).end();
        return;
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>No such page</h1></body></html>');
        return;
      case '/broken':
        res.writeHead(503, { 'content-type': 'image/png' }).end(Buffer.alloc(10));
        return;
      case '/hang':
        return; // never answers: the caller's timeout must end the call
      default:
        res.writeHead(500).end();
    }
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  connections = 0;
  requests = [];
});

const defaults = toolsConfigSchema.parse({}).http_fetch;
const open: ToolsConfig['http_fetch'] = { ...defaults, allow_private: true, max_bytes: 1000, max_redirects: 2 };
const ctx = (signal = new AbortController().signal) => ({ signal, runId: 'r', depth: 0 });

describe('http_fetch against a loopback server (allow_private)', () => {
  const tool = createHttpFetchTool(open);

  it('returns status, URL, content type and HTML as readable text', async () => {
    const answer = await tool.execute({ url: `${base}/html` }, ctx());
    const [head, body] = answer.split('\n\n', 2) as [string, string];
    expect(head).toBe(`HTTP 200 OK\nURL: ${base}/html\nContent-Type: text/html; charset=utf-8`);
    expect(answer).toContain('Test & page');
    expect(answer).toContain('Hello world\n\nFirst para <b> ©');
    expect(answer).toContain('one\n\ntwo');
    expect(body).not.toMatch(/alert|color: red|a comment|enable js|<h1>|<\/p>/);
  });

  it('returns JSON and plain text as they are', async () => {
    await expect(tool.execute({ url: `${base}/json` }, ctx())).resolves.toMatch(/Content-Type: application\/json\n\n\{"answer": 42\}$/);
    await expect(tool.execute({ url: `${base}/latin1` }, ctx())).resolves.toMatch(/\n\ncafé$/);
    await expect(tool.execute({ url: `${base}/empty` }, ctx())).resolves.toMatch(/\n\n\(empty body\)$/);
  });

  it('cuts the body at max_bytes and says so', async () => {
    const answer = await tool.execute({ url: `${base}/big` }, ctx());
    expect(answer).toContain(`\n\n${'a'.repeat(1000)}\n[truncated after 1000 bytes]`);
    expect(answer).not.toContain('a'.repeat(1001));
    // A body of exactly max_bytes is whole, not truncated.
    await expect(tool.execute({ url: `${base}/exact` }, ctx())).resolves.toMatch(/\n\nb{1000}$/);
  });

  it('decompresses gzip and applies the limit to the decompressed bytes', async () => {
    const answer = await tool.execute({ url: `${base}/gzip` }, ctx());
    expect(answer).toContain(`${'z'.repeat(1000)}\n[truncated after 1000 bytes]`);
  });

  it('follows redirects, reporting the final URL', async () => {
    const answer = await tool.execute({ url: `${base}/redirect` }, ctx());
    expect(answer).toMatch(new RegExp(`^HTTP 200 OK\\nURL: ${base}/html\\n`));
    expect(requests).toEqual(['GET /redirect', 'GET /html']);
  });

  it('stops after max_redirects', async () => {
    expect(await toolError(tool.execute({ url: `${base}/loop` }, ctx()))).toBe('too many redirects (limit 2); the next one pointed to /loop?n=3');
    expect(requests).toHaveLength(3);
  });

  it('answers HEAD with the status line and headers only', async () => {
    const answer = await tool.execute({ url: `${base}/html`, method: 'HEAD' }, ctx());
    expect(answer).toMatch(/^HTTP 200 OK\nURL: .*\/html\nContent-Type: text\/html; charset=utf-8$/);
    expect(requests).toEqual(['HEAD /html']);
  });

  it('refuses binary content, by header or by sniffing', async () => {
    expect(await toolError(tool.execute({ url: `${base}/image` }, ctx()))).toBe(
      `${base}/image is image/png, a binary type: http_fetch reads only text, HTML, JSON and XML`,
    );
    expect(await toolError(tool.execute({ url: `${base}/untyped-binary` }, ctx()))).toMatch(/binary content without a content type/);
    await expect(tool.execute({ url: `${base}/untyped-html` }, ctx())).resolves.toMatch(/\n\nsniffed$/);
  });

  it('reports 4xx and 5xx as ToolErrors with the start of the error page', async () => {
    expect(await toolError(tool.execute({ url: `${base}/missing` }, ctx()))).toBe(`HTTP 404 Not Found from ${base}/missing\nNo such page`);
    expect(await toolError(tool.execute({ url: `${base}/broken` }, ctx()))).toBe(`HTTP 503 Service Unavailable from ${base}/broken`);
  });

  it('reports a refused connection and a bad URL as ToolErrors', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await toolError(tool.execute({ url: `http://127.0.0.1:${freePort}/` }, ctx()))).toBe(
      `could not connect to 127.0.0.1:${freePort}: connection refused`,
    );
    expect(await toolError(tool.execute({ url: 'example.com/page' }, ctx()))).toBe(
      '"example.com/page" is not an absolute URL (did you mean "https://example.com/page"?)',
    );
    expect(await toolError(tool.execute({ url: `${base}/x`, method: 'POST' }, ctx()))).toMatch(/invalid arguments for http_fetch: method:/);
  });

  it('times out through runToolCall on a server that never answers, and frees the connection', async () => {
    const started = Date.now();
    const result = await runToolCall(tool, JSON.stringify({ url: `${base}/hang` }), { runId: 'r', depth: 0 }, 300, new AbortController().signal);
    expect(result).toMatchObject({ ok: false, content: 'Error: http_fetch timed out after 300 ms' });
    // The server never answers: only the timeout can have ended it, and soon (room left for a busy machine).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(requests).toEqual(['GET /hang']);
    // The aborted request closed its socket: nothing is left open on the server.
    const open = (): Promise<number> => new Promise((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    await waitFor(async () => (await open()) === 0, 'the aborted request to close its connection');
  });

  it('connects to the address it checked, never resolving the host a second time (DNS rebinding)', async () => {
    // The second answer points elsewhere (127.0.0.2, where nothing listens): a fresh resolution would fail.
    let lookups = 0;
    const rebinding: HostLookup = async () => {
      lookups += 1;
      return [{ address: lookups === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    };
    const pinned = createHttpFetchTool({ ...defaults, allowed_hosts: ['rebind.test'] }, { lookup: rebinding });
    await expect(pinned.execute({ url: `http://rebind.test:${port}/json` }, ctx())).resolves.toContain('{"answer": 42}');
    expect(lookups).toBe(1);
  });
});

describe('http_fetch SSRF guard (default config)', () => {
  const guarded = createHttpFetchTool(defaults);

  it.each([
    ['http://127.0.0.1:PORT/html', /127\.0\.0\.1 is a loopback address/],
    ['http://localhost:PORT/html', /localhost resolves to 127\.0\.0\.1, which is a loopback address/],
    ['http://[::1]:PORT/html', /::1 is a loopback address/],
    ['http://2130706433:PORT/html', /127\.0\.0\.1 is a loopback address/],
    ['http://0x7f000001:PORT/html', /127\.0\.0\.1 is a loopback address/],
    ['http://0x7f.1:PORT/html', /127\.0\.0\.1 is a loopback address/],
    ['http://127.1:PORT/html', /127\.0\.0\.1 is a loopback address/],
    ['http://[::ffff:127.0.0.1]:PORT/html', /::ffff:7f00:1 is a loopback \(IPv4 inside IPv6\) address/],
    ['http://0.0.0.0:PORT/html', /unspecified/],
    ['ftp://127.0.0.1:PORT/html', /only http and https URLs can be fetched, not ftp:/],
    ['file:///etc/passwd', /only http and https URLs can be fetched, not file:/],
  ])('refuses %s without connecting', async (template, message) => {
    const url = template.replace('PORT', String(port));
    const refusal = await toolError(guarded.execute({ url }, ctx()));
    expect(refusal).toMatch(message);
    expect(refusal).toMatch(/tools\.http_fetch\.allowed_hosts|only http and https/);
    expect(connections).toBe(0);
    expect(requests).toEqual([]);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /the cloud metadata address/],
    ['http://10.0.0.1/', /a private address/],
    ['http://192.168.1.1/admin', /a private address/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://[fd00::1]/', /unique local/],
    ['http://[fe80::1]/', /link-local/],
  ])('refuses %s before any connection', async (url, message) => {
    // Guard first: should the address check ever break, this test stops here instead of sending a packet to
    // an internal network from the test machine.
    expect(blockedAddressReason(new URL(url).hostname.replace(/^\[|\]$/g, ''))).toBeDefined();
    expect(await toolError(guarded.execute({ url }, ctx()))).toMatch(message);
  });

  it('fetches from a host in allowed_hosts', async () => {
    const tool = createHttpFetchTool({ ...defaults, allowed_hosts: ['localhost'] });
    await expect(tool.execute({ url: `http://localhost:${port}/json` }, ctx())).resolves.toContain('{"answer": 42}');
  });

  it('re-checks every redirect: an allowed host cannot redirect to a refused address', async () => {
    const tool = createHttpFetchTool({ ...defaults, allowed_hosts: ['localhost'] });
    const message = await toolError(tool.execute({ url: `http://localhost:${port}/to-loopback` }, ctx()));
    expect(message).toMatch(new RegExp(`refused to fetch http://127\\.0\\.0\\.1:${port}: 127\\.0\\.0\\.1 is a loopback address`));
    expect(requests).toEqual(['GET /to-loopback']);
    expect(await toolError(tool.execute({ url: `http://localhost:${port}/to-file` }, ctx()))).toMatch(/not file:/);
  });
});
