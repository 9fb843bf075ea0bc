import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApiErrorBody, type WebConfig } from '@switchboard/contracts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ADMIN_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';

/** A GET that sends its headers as given (fetch would set Host and Accept-Encoding itself) and keeps the body's bytes. */
function get(url: string, headers: Record<string, string>): Promise<{ encoding: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (r) => {
      const parts: Buffer[] = [];
      r.on('data', (d: Buffer) => parts.push(d));
      r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(parts) }));
    })
      .on('error', reject)
      .end();
  });
}

/** The web app at `/` (a built app in a temp folder) and GET /api/config, on a keyed and an open install. */
describe('api: the web app', () => {
  let dir: string;
  let api: TestApi;
  let open: TestApi;
  const bundle = `console.log(${JSON.stringify('x'.repeat(5000))});`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Switchboard</title><script src="/assets/index-abc123.js"></script>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), bundle);
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>');
    writeFileSync(path.join(tmpdir(), 'sb-web-outside.txt'), 'outside');
    let port: number | null = null;
    // Two apps, each on its own in-memory PGlite: started together, and given time on a busy machine.
    [api, open] = await Promise.all([
      startTestApi(testConfig({ auth: { admin_key: ADMIN_KEY }, server: { gateway_port: 8123 } }), { webDir: dir }),
      startTestApi(testConfig(), { webDir: path.join(dir, 'missing'), gatewayPort: () => port }),
    ]);
    port = 9321;
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await open?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and for any app path, revalidated every time', async () => {
    for (const p of ['/', '/chat', '/chat/0190abcd', '/runs?status=failed']) {
      const res = await api.request('GET', p);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.text).toContain('<title>Switchboard</title>');
    }
  });

  it('serves hashed assets with a long cache, gzipped when the client accepts it', async () => {
    const res = await api.request('GET', '/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.text).toBe(bundle);
    const raw = await get(`${api.url}/assets/index-abc123.js`, { 'accept-encoding': 'gzip' });
    expect(raw.encoding).toBe('gzip');
    expect(raw.body.length).toBeLessThan(bundle.length / 10);
    expect(gunzipSync(raw.body).toString()).toBe(bundle);
    const icon = await api.request('GET', '/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers a missing asset, an unknown /api route and escapes from the folder with 404s, not the app', async () => {
    expect((await api.request('GET', '/assets/index-old999.js')).status).toBe(404);
    const unknown = await api.request<ApiErrorBody>('GET', '/api/nope', { key: ADMIN_KEY });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.type).toBe('not_found_error');
    for (const p of ['/..%2fsb-web-outside.txt', '/%2e%2e/%2e%2e/etc/passwd', '/%E0%A4%A']) {
      const res = await api.request('GET', p);
      expect(res.text).not.toContain('outside');
      expect(res.text).not.toContain('root:');
    }
  });

  it('still answers the API and its docs beside the app', async () => {
    expect((await api.request('GET', '/healthz')).status).toBe(200);
    expect((await api.request('GET', '/api/docs')).text).toContain('swagger-ui');
    expect((await api.request('GET', '/api/agents')).status).toBe(401);
  });

  it('tells the browser where the gateway is and whether a key is needed, without a key', async () => {
    const keyed = await api.request<WebConfig>('GET', '/api/config');
    expect(keyed.status).toBe(200);
    const host = new URL(api.url).hostname;
    expect(keyed.body).toEqual({ gateway_url: `http://${host}:8123`, auth: 'key' });
    // The host the browser used, and the port the gateway of this process really listens on.
    const viaName = await get(`${api.url}/api/config`, { host: 'switchboard.test:8000' });
    expect((JSON.parse(viaName.body.toString()) as WebConfig).gateway_url).toBe('http://switchboard.test:8123');
    expect((await open.request<WebConfig>('GET', '/api/config')).body).toEqual({ gateway_url: `http://${host}:9321`, auth: 'open' });
  });

  it('says how to build the app when it is not built', async () => {
    const res = await open.request<ApiErrorBody>('GET', '/');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/npm run build/);
  });
});
