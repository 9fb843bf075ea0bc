import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BenchmarkDto, CatalogueModelDto, ModelCatalogueDto } from '@switchboard/contracts';
import { type FakeLocalServer, type FakeModelHub, type FakeUpstream, startFakeModelHub, startFakeUpstream } from '@switchboard/testing';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { apiCaller } from './agent-fixtures.js';
import { manifestEntry, modelProvidersYaml, startDiscoveredServers, writeManifest } from './model-fixtures.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';
import { keyedContext, launchChromium, screenshots, WAIT, tearDownBrowserSpec } from './web-support.js';

/**
 * The console's Models and Benchmarks pages in a real browser (Debian's Chromium via playwright-core) against the
 * built platform: downloads from a loopback model hub that sends 16 KB every 50 ms (so the bar is seen moving),
 * cancel, select as default, and a benchmark of the generated test model (real node-llama-cpp) beside a fake
 * remote model. Acts by roles and labels. Screenshots console-models.png and console-benchmarks.png.
 */

jest.setTimeout(120_000);

const ADMIN = 'sb-e2e-web-models-admin';
const SLOW_BYTES = 2 * 1024 * 1024;
/** What the fake hub serves for every slow-* file. */
const SLOW_FILE = randomBytes(SLOW_BYTES);

let dir: string;
let modelsDir: string;
let slowHub: FakeModelHub;
let upstream: FakeUpstream;
let dmr: FakeLocalServer;
let ollama: FakeLocalServer;
let platform: PlatformProcess;
let api: string;
let browser: Browser;
const { shot, close: closeShots } = screenshots('models');
const adminJson = apiCaller(() => api, ADMIN);

async function signedIn(route: string, height = 900): Promise<{ context: BrowserContext; page: Page }> {
  // The console's pages scroll inside their frame, so a screenshot shows what the viewport holds.
  const context = await keyedContext(browser, ADMIN, { width: 1400, height });
  const page = await context.newPage();
  await page.goto(`${api}${route}`);
  return { context, page };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sb-web-models-e2e-'));
  modelsDir = path.join(dir, 'models');
  mkdirSync(modelsDir);
  slowHub = await startFakeModelHub(SLOW_FILE);
  upstream = await startFakeUpstream({ models: ['fake-model'], reply: { type: 'completion', text: 'Paris' } });
  ({ dmr, ollama } = await startDiscoveredServers());
  writeManifest(modelsDir, [
    manifestEntry('slow-a', `${slowHub.url}/slow/resolve/main/slow-a.gguf`, SLOW_BYTES, null),
    manifestEntry('slow-b', `${slowHub.url}/slow/resolve/main/slow-b.gguf`, SLOW_BYTES, null),
    manifestEntry('gone', `${slowHub.url}/missing/resolve/main/gone.gguf`, SLOW_BYTES, null),
    manifestEntry('colossal', `${slowHub.url}/ok/resolve/main/colossal.gguf`, SLOW_BYTES, null, 1e15),
  ]);
  platform = await startPlatformProcess({
    dir,
    configYaml: ({ prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${ADMIN} }
${modelProvidersYaml(upstream.url)}
models:
  dir: ${modelsDir}
  min_free_disk_mb: 0
  discovery: { docker_model_runner_url: ${dmr.url}, ollama_url: ${ollama.url}, timeout_ms: 2000 }
`,
  });
  api = platform.urls.api!;
  browser = await launchChromium();
}, 120_000);

afterAll(() => tearDownBrowserSpec(browser, platform, [slowHub, upstream, dmr, ollama], closeShots));

/** The values a progress bar shows until it is gone or `enough` distinct ones were seen (sampled every 100 ms). */
async function barValues(page: Page, name: string, enough: number): Promise<number[]> {
  const bar = page.getByRole('progressbar', { name: `Download of ${name}` });
  await bar.waitFor({ timeout: WAIT });
  const seen: number[] = [];
  const until = Date.now() + WAIT;
  while (Date.now() < until && new Set(seen).size < enough) {
    const value = await bar.getAttribute('value', { timeout: 1000 }).catch(() => null);
    if (value === null && (await bar.count()) === 0) break;
    if (value !== null) seen.push(Number(value));
    await page.waitForTimeout(100);
  }
  return seen;
}

describe('the Models page in Chromium', () => {
  it('lists the catalogue with what fits, what is on disk and the local servers found', async () => {
    const { context, page } = await signedIn('/console/models');
    try {
      const table = page.getByRole('table', { name: 'Model catalogue' });
      await table.getByRole('row', { name: 'Model local/test-model' }).waitFor({ timeout: WAIT });
      expect(await table.getByRole('row', { name: 'Model local/test-model' }).innerText()).toMatch(/test model[\s\S]*fits[\s\S]*on disk/);
      expect(await table.getByRole('row', { name: 'Model local/colossal' }).innerText()).toContain('does not fit');
      expect(await table.getByRole('row', { name: 'Model local/slow-a' }).innerText()).toContain('not downloaded');
      expect(await table.getByRole('row', { name: 'Model remote/fake-model' }).innerText()).toContain('config (remote)');
      expect(await table.getByRole('row', { name: 'Model docker-model-runner:ai/smollm2' }).count()).toBe(1);
      expect(await page.getByLabel('Local server Ollama').innerText()).toContain('1 model');
      expect(await page.getByLabel('Local server Docker Model Runner').innerText()).toContain('1 model');
    } finally {
      await context.close();
    }
  });

  it('downloads a model with the progress bar moving, live, until it is on disk', async () => {
    const { context, page } = await signedIn('/console/models', 1250);
    try {
      const row = page.getByRole('row', { name: 'Model local/slow-a' });
      await row.getByRole('button', { name: 'Download slow-a' }).click({ timeout: WAIT });
      const values = await barValues(page, 'slow-a', 3);
      await shot(page, 'console-models');
      // Seen at (at least) two different values, rising, before the end.
      expect(new Set(values).size).toBeGreaterThanOrEqual(2);
      expect(values.at(-1)!).toBeGreaterThan(values[0]!);
      expect(Math.max(...values)).toBeLessThan(1);
      await row.getByLabel('On disk slow-a').filter({ hasText: 'on disk (2.0 MB)' }).waitFor({ timeout: WAIT });
      expect(await row.innerText()).toContain('downloaded 2.0 MB');
      expect(statSync(path.join(modelsDir, 'slow-a.gguf')).size).toBe(SLOW_BYTES);
      expect(await row.getByRole('button', { name: 'Download slow-a', exact: true }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('downloads a model on disk again once confirmed, replacing a damaged file', async () => {
    const file = path.join(modelsDir, 'slow-a.gguf');
    writeFileSync(file, Buffer.alloc(SLOW_BYTES)); // damaged: the right size, the wrong bytes
    const { context, page } = await signedIn('/console/models', 1250);
    try {
      const row = page.getByRole('row', { name: 'Model local/slow-a' });
      const again = row.getByRole('button', { name: 'Download slow-a again' });
      const firstDownload = (await adminJson<CatalogueModelDto>('GET', '/api/models/slow-a')).download;
      page.once('dialog', (d) => void d.dismiss());
      await again.click({ timeout: WAIT });
      // Declined: nothing was asked of the API, so its download is still the first one (a POST would have
      // replaced it before answering; half a second is many times what that takes here).
      await page.waitForTimeout(500);
      expect((await adminJson<CatalogueModelDto>('GET', '/api/models/slow-a')).download).toEqual(firstDownload);
      expect(readFileSync(file).equals(Buffer.alloc(SLOW_BYTES))).toBe(true);
      page.once('dialog', (d) => void d.accept());
      await again.click();
      await row.getByRole('progressbar', { name: 'Download of slow-a' }).waitFor({ timeout: WAIT });
      await again.waitFor({ timeout: WAIT }); // back once the download is over
      expect(await row.innerText()).toContain('downloaded 2.0 MB');
      expect(readFileSync(file).equals(SLOW_FILE)).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('cancels a running download, keeping the partial file, and shows a failed one in the worker\'s words', async () => {
    const { context, page } = await signedIn('/console/models');
    try {
      const row = page.getByRole('row', { name: 'Model local/slow-b' });
      await row.getByRole('button', { name: 'Download slow-b' }).click({ timeout: WAIT });
      const values = await barValues(page, 'slow-b', 2);
      expect(values.some((v) => v > 0)).toBe(true);
      await row.getByRole('button', { name: 'Cancel slow-b' }).click();
      await row.getByText(/cancelled at .* \(resumes from there\)/).waitFor({ timeout: WAIT });
      await row.getByLabel('On disk slow-b').filter({ hasText: /not yet \(.* partial\)/ }).waitFor({ timeout: WAIT });
      expect(existsSync(path.join(modelsDir, 'slow-b.gguf'))).toBe(false);
      expect(statSync(path.join(modelsDir, 'slow-b.gguf.part')).size).toBeLessThan(SLOW_BYTES);
      // It can be started again (and would resume).
      await row.getByRole('button', { name: 'Download slow-b' }).waitFor({ timeout: WAIT });

      const gone = page.getByRole('row', { name: 'Model local/gone' });
      await gone.getByRole('button', { name: 'Download gone' }).click();
      await gone.getByRole('alert').filter({ hasText: /failed \(http\).*404/ }).waitFor({ timeout: WAIT });
    } finally {
      await context.close();
    }
  });

  it('selects a model as the default local model, with what the API says about it', async () => {
    const { context, page } = await signedIn('/console/models');
    try {
      const row = page.getByRole('row', { name: 'Model local/slow-a' });
      await row.getByRole('button', { name: 'Select slow-a as default' }).click({ timeout: WAIT });
      await page.getByRole('status').filter({ hasText: 'local/slow-a is the default local model' }).waitFor({ timeout: WAIT });
      await row.getByText('default', { exact: true }).waitFor({ timeout: WAIT });
      expect(await row.getByRole('button', { name: 'Select slow-a as default' }).count()).toBe(0);
      const catalogue = await adminJson<ModelCatalogueDto>('GET', '/api/models');
      expect(catalogue.data.filter((m) => m.default).map((m) => m.id)).toEqual(['local/slow-a']);
    } finally {
      await context.close();
    }
  });
});

describe('the Benchmarks page in Chromium', () => {
  it('starts a benchmark of the test model and a remote model, follows it, and shows its rows and the recommendation', async () => {
    const { context, page } = await signedIn('/console/benchmarks', 1250);
    try {
      const form = page.getByRole('form', { name: 'New benchmark' });
      await form.getByRole('button', { name: 'Start benchmark' }).click({ timeout: WAIT });
      await form.getByRole('alert').filter({ hasText: 'choose at least one model' }).waitFor({ timeout: WAIT });
      await form.getByRole('checkbox', { name: 'local/test-model' }).check({ timeout: WAIT });
      await form.getByRole('checkbox', { name: 'remote/fake-model' }).check();
      await form.getByLabel('Reference model (optional)').selectOption('remote/fake-model');
      await form.getByLabel('Max tokens per answer').fill('8');
      await form.getByRole('button', { name: 'Start benchmark' }).click();

      const runs = page.getByRole('table', { name: 'Benchmark runs' });
      await runs.getByRole('row').filter({ hasText: 'local/test-model, remote/fake-model' }).waitFor({ timeout: WAIT });
      // The status moves on its own while the worker runs it.
      const status = runs.getByRole('row').filter({ hasText: 'local/test-model, remote/fake-model' }).getByLabel('Status');
      expect(['queued', 'running', 'succeeded']).toContain((await status.innerText()).trim());
      await status.filter({ hasText: 'succeeded' }).waitFor({ timeout: 90_000 });

      const results = page.getByRole('table', { name: 'Benchmark results' });
      const local = results.getByRole('row', { name: 'Result local/test-model' });
      const remote = results.getByRole('row', { name: 'Result remote/fake-model' });
      await local.waitFor({ timeout: WAIT });
      expect(await local.innerText()).toMatch(/local\/test-model[\s\S]*\d+ ms[\s\S]*0\/8/);
      expect(await remote.innerText()).toMatch(/remote\/fake-model[\s\S]*1\.00[\s\S]*\$/);
      await page.getByLabel('Benchmark charts').locator('svg.recharts-surface').first().waitFor({ timeout: WAIT });
      expect(await page.getByLabel('Benchmark charts').getByRole('heading').count()).toBe(4);
      const recommendation = page.getByRole('region', { name: 'Recommendations' });
      await recommendation.getByText(/helper/).first().waitFor({ timeout: WAIT });

      const stored = await adminJson<{ data: BenchmarkDto[] }>('GET', '/api/benchmarks');
      const done = stored.data[0]!;
      expect(done).toMatchObject({ status: 'succeeded', models: ['local/test-model', 'remote/fake-model'], reference_model: 'remote/fake-model', max_tokens: 8 });
      expect(await recommendation.innerText()).toContain(done.recommendations[0]!.reason);
      await shot(page, 'console-benchmarks');
    } finally {
      await context.close();
    }
  });

  it('lists benchmarks 20 at a time, older ones on request', async () => {
    const started: BenchmarkDto[] = [];
    for (let i = 0; i < 21; i++) started.push(await adminJson<BenchmarkDto>('POST', '/api/benchmarks', { models: ['remote/fake-model'], max_tokens: 2 }));
    const ids = new Set(started.map((b) => b.id));
    // Finished before the page opens, so its rows stay as they are while the test reads them.
    const deadline = Date.now() + 60_000;
    let total = 0;
    for (;;) {
      const { data } = await adminJson<{ data: BenchmarkDto[] }>('GET', '/api/benchmarks?limit=100');
      total = data.length;
      if (data.filter((b) => ids.has(b.id)).every((b) => b.status === 'succeeded' || b.status === 'failed')) break;
      if (Date.now() > deadline) throw new Error('the 21 benchmarks did not finish within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const { context, page } = await signedIn('/console/benchmarks');
    try {
      const runs = page.getByRole('table', { name: 'Benchmark runs' });
      const oldest = runs.getByRole('row', { name: `Benchmark ${started[0]!.id}` });
      await runs.getByRole('row', { name: `Benchmark ${started[20]!.id}` }).waitFor({ timeout: WAIT });
      expect(await runs.locator('tbody tr').count()).toBe(20);
      expect(await oldest.count()).toBe(0);
      await page.getByRole('button', { name: 'More benchmarks' }).click({ timeout: WAIT });
      await oldest.waitFor({ timeout: WAIT });
      // Older benchmarks (the test before this one's) come with the second page too.
      expect(await runs.locator('tbody tr').count()).toBe(Math.min(total, 40));
      if (total <= 40) expect(await page.getByRole('button', { name: 'More benchmarks' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
