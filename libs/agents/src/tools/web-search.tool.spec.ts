import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebSearchTool } from './web-search.tool.js';
import { toolError } from '../../test/support/tool-error.js';

/** A fake SearXNG on loopback: answers `/search?q=...&format=json` (also under a `/searx` prefix). */
let server: Server;
let base: string;
let seen: URL[] = [];
let reply: { status: number; body: string } = { status: 200, body: '' };

const results = [
  { title: 'Switchboard docs', url: 'https://example.com/docs', content: 'How to   configure\nthe gateway.', engine: 'x' },
  { title: 'Second', url: 'https://example.com/2', content: 'x'.repeat(600) },
  { title: '', url: 'https://example.com/3', content: null },
  { title: 'No URL', content: 'skipped' },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(url);
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  reply = { status: 200, body: JSON.stringify({ query: 'q', results }) };
});

const ctx = { signal: new AbortController().signal, runId: 'r', depth: 0 };

describe('web_search tool', () => {
  it('queries <url>/search with format=json and lists title, URL and snippet', async () => {
    const tool = createWebSearchTool({ url: base, max_results: 5 });
    const answer = await tool.execute({ query: 'switchboard gateway & config' }, ctx);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.pathname).toBe('/search');
    expect(seen[0]!.searchParams.get('q')).toBe('switchboard gateway & config');
    expect(seen[0]!.searchParams.get('format')).toBe('json');
    expect(answer).toBe(
      [
        '1. Switchboard docs',
        '   https://example.com/docs',
        '   How to configure the gateway.',
        '2. Second',
        '   https://example.com/2',
        `   ${'x'.repeat(400)}…`,
        '3. (no title)',
        '   https://example.com/3',
      ].join('\n'),
    );
  });

  it('returns at most max_results results and keeps a path prefix of the URL', async () => {
    const tool = createWebSearchTool({ url: `${base}/searx/`, max_results: 1 });
    const answer = await tool.execute({ query: 'q' }, ctx);
    expect(seen[0]!.pathname).toBe('/searx/search');
    expect(answer.split('\n').filter((line) => /^\d+\./.test(line))).toEqual(['1. Switchboard docs']);
  });

  it('says when nothing was found', async () => {
    reply = { status: 200, body: JSON.stringify({ results: [] }) };
    await expect(createWebSearchTool({ url: base, max_results: 5 }).execute({ query: 'nothing' }, ctx)).resolves.toBe('No results for "nothing".');
  });

  it('tells the admin to configure the URL when it is unset, without any request', async () => {
    const tool = createWebSearchTool({ url: undefined, max_results: 5 });
    expect(await toolError(tool.execute({ query: 'q' }, ctx))).toBe(
      'web search is not configured: an admin must set tools.web_search.url to a SearXNG-compatible service',
    );
    expect(seen).toEqual([]);
  });

  it('reports HTTP errors, with a hint for a SearXNG that has JSON turned off', async () => {
    const tool = createWebSearchTool({ url: base, max_results: 5 });
    reply = { status: 403, body: 'Forbidden' };
    expect(await toolError(tool.execute({ query: 'q' }, ctx))).toMatch(/HTTP 403 \(for SearXNG, enable "json" under search\.formats/);
    reply = { status: 500, body: '' };
    expect(await toolError(tool.execute({ query: 'q' }, ctx))).toBe('the search service answered HTTP 500');
  });

  it('reports an answer that is not SearXNG JSON, and a service that is down', async () => {
    const tool = createWebSearchTool({ url: base, max_results: 5 });
    reply = { status: 200, body: '<html>not json</html>' };
    expect(await toolError(tool.execute({ query: 'q' }, ctx))).toMatch(/did not answer with SearXNG JSON/);
    reply = { status: 200, body: '{"hits": []}' };
    expect(await toolError(tool.execute({ query: 'q' }, ctx))).toMatch(/did not answer with SearXNG JSON/);

    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise((resolve) => down.close(resolve));
    const unreachable = createWebSearchTool({ url: `http://127.0.0.1:${port}`, max_results: 5 });
    expect(await toolError(unreachable.execute({ query: 'q' }, ctx))).toBe(`the search service at http://127.0.0.1:${port} did not answer (ECONNREFUSED)`);
  });

  it('refuses an empty query', async () => {
    const tool = createWebSearchTool({ url: base, max_results: 5 });
    expect(await toolError(tool.execute({ query: '  ' }, ctx))).toMatch(/invalid arguments for web_search: query: say what to search for/);
    expect(seen).toEqual([]);
  });
});
