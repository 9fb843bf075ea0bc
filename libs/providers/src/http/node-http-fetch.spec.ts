import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeHttpFetch } from './node-http-fetch.js';

let server: Server;
let base: string;
const fetchLean = createNodeHttpFetch();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/echo') {
        res.writeHead(201, { 'content-type': 'application/json', 'x-custom': 'yes' });
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
      } else if (req.url === '/empty') {
        res.writeHead(204).end();
      } else if (req.url === '/slow') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        // never ends: the client must be able to abort
      } else if (req.url === '/drop') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n', () => res.destroy());
      } else {
        res.writeHead(404).end('nope');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('node:http fetch', () => {
  it('sends method, headers and body, and returns status, headers and body', async () => {
    const res = await fetchLean(`${base}/echo`, { method: 'POST', headers: { Authorization: 'Bearer k' }, body: 'hello' });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', body: 'hello', auth: 'Bearer k' });
  });

  it('gives a null body for 204 and reports error statuses', async () => {
    expect((await fetchLean(`${base}/empty`)).body).toBeNull();
    const missing = await fetchLean(`${base}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('nope');
  });

  it('aborts a body in flight: the reader fails with the abort reason', async () => {
    const controller = new AbortController();
    const res = await fetchLean(`${base}/slow`, { signal: controller.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: 1\n\n');
    controller.abort(new Error('client gone'));
    await expect(reader.read()).rejects.toThrow('client gone');
  });

  it('rejects at once for an already aborted signal', async () => {
    await expect(fetchLean(`${base}/echo`, { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it('fails the body when the server drops the connection mid-response', async () => {
    const res = await fetchLean(`${base}/drop`);
    const reader = res.body!.getReader();
    await reader.read();
    await expect(reader.read()).rejects.toThrow(/closed before the response ended/);
  });
});
