import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { apiCaller } from './agent-fixtures.js';
import { waitUntil } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';
import { keyedContext, launchChromium, screenshots, WAIT, tearDownBrowserSpec } from './web-support.js';

/**
 * The console's Usage page in Chromium against the built platform: chat runs go through the gateway to a fake
 * upstream over HTTP, the workers record them, and the page draws GET /api/usage as recharts charts and a table.
 * An admin sees every key; a user key sees its own usage only. Screenshot: console-usage.png.
 */

jest.setTimeout(90_000);

const ADMIN = 'sb-e2e-usage-admin';
// Every answer reports these tokens, so a key's sums are its runs times these.
const PROMPT = 7;
const COMPLETION = 11;

let upstream: FakeUpstream;
let platform: PlatformProcess;
let api: string;
let gateway: string;
let browser: Browser;
const keys: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
const { shot, close: closeShots } = screenshots('usage');
const adminJson = apiCaller(() => api, ADMIN);

async function chat(key: string, content: string): Promise<void> {
  const res = await fetch(`${gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

async function signedIn(key: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await keyedContext(browser, key, { width: 1280, height: 900 });
  const page = await context.newPage();
  await page.goto(api);
  await page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: WAIT });
  return { context, page };
}

/** The cells of the usage table's row for a key and model, as text. */
async function usageRow(page: Page, key: string, model: string): Promise<string[]> {
  const row = page.getByRole('table', { name: 'Usage per key and model' }).getByRole('row', { name: `${key} ${model}`, exact: true });
  await row.waitFor({ timeout: WAIT });
  return (await row.getByRole('cell').allInnerTexts()).map((t) => t.trim());
}

beforeAll(async () => {
  upstream = await startFakeUpstream({
    reply: () => ({ type: 'completion', chunks: ['Counted ', 'answer.'], usage: { prompt_tokens: PROMPT, completion_tokens: COMPLETION } }),
    models: ['m1'],
  });
  platform = await startPlatformProcess({
    configYaml: ({ dir, prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, heartbeat_ms: 500 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${ADMIN}, cache_ttl_ms: 250 }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1], pricing: { '*': { input: 1000, output: 2000 } } }
auto_pick: { priority: [fake], max_retries: 0 }
rate_limit: { requests_per_minute: 100000 }
`,
  });
  api = platform.urls.api!;
  gateway = platform.urls.gateway!;
  // A month's budget of 360 tokens: alice's two runs spend a tenth of it.
  keys.alice = (await adminJson<{ key: string }>('POST', '/api/keys', { name: 'alice', budget_tokens: 10 * 2 * (PROMPT + COMPLETION), budget_period: 'month' })).key;
  keys.bob = (await adminJson<{ key: string }>('POST', '/api/keys', { name: 'bob' })).key;
  // Different questions, so no answer comes from the response cache.
  await chat(keys.alice, 'first question');
  await chat(keys.alice, 'second question');
  await chat(keys.bob, 'third question');
  // Runs reach the database in the workers' batches: wait until all three are there.
  const recorded = await waitUntil(async () => {
    const report = await adminJson<{ data: { runs: number }[] }>('GET', '/api/usage?group_by=key');
    return report.data.reduce((n, r) => n + r.runs, 0) >= 3;
  }, WAIT, 250);
  expect(recorded).toBe(true);
  browser = await launchChromium();
}, 120_000);

afterAll(() => tearDownBrowserSpec(browser, platform, [upstream], closeShots));

describe('the Usage page in Chromium', () => {
  it("an admin sees every key's tokens and cost as charts and a table per key and model", async () => {
    const { context, page } = await signedIn(ADMIN);
    try {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Console' }).click();
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Usage' }).click();
      await page.getByRole('heading', { name: 'Usage' }).waitFor({ timeout: WAIT });

      // Key, model, runs, cached, prompt, completion, total, cost (price per million tokens: 1000 in, 2000 out).
      const cost = (runs: number) => `$${((runs * (PROMPT * 1000 + COMPLETION * 2000)) / 1e6).toFixed(4)}`;
      expect(await usageRow(page, 'alice', 'fake/m1')).toEqual(['alice', 'fake/m1', '2', '0', `${2 * PROMPT}`, `${2 * COMPLETION}`, `${2 * (PROMPT + COMPLETION)}`, cost(2)]);
      expect(await usageRow(page, 'bob', 'fake/m1')).toEqual(['bob', 'fake/m1', '1', '0', `${PROMPT}`, `${COMPLETION}`, `${PROMPT + COMPLETION}`, cost(1)]);
      expect(await page.getByLabel('Total tokens').innerText()).toContain(`${3 * (PROMPT + COMPLETION)}`);

      // recharts drew both charts as SVG, with a bar per key in the cost chart.
      const tokensChart = page.getByRole('figure', { name: 'Tokens per day' });
      const costChart = page.getByRole('figure', { name: 'Cost per key' });
      await tokensChart.locator('svg.recharts-surface').first().waitFor({ timeout: WAIT });
      await costChart.locator('svg.recharts-surface').first().waitFor({ timeout: WAIT });
      expect(await tokensChart.locator('.recharts-bar-rectangle path').count()).toBeGreaterThanOrEqual(1);
      expect(await costChart.locator('.recharts-bar-rectangle path').count()).toBe(2);
      expect(await costChart.getByText('alice').count()).toBeGreaterThanOrEqual(1);
      await shot(page, 'console-usage', true);

      // The Keys page shows the same spend against alice's budget; bob has none, so no meter.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Keys' }).click();
      const meter = page.getByRole('meter', { name: 'Budget used by alice' });
      await meter.waitFor({ timeout: WAIT });
      expect(Number(await meter.getAttribute('value'))).toBeCloseTo(0.1, 5);
      expect(await page.getByRole('row', { name: 'Key alice' }).innerText()).toContain(`${2 * (PROMPT + COMPLETION)} tokens`);
      expect(await page.getByRole('meter', { name: 'Budget used by bob' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('a user key opens Usage from the top bar and sees its own key only', async () => {
    const { context, page } = await signedIn(keys.bob);
    try {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Usage' }).click();
      expect(await usageRow(page, 'bob', 'fake/m1')).toEqual(['bob', 'fake/m1', '1', '0', `${PROMPT}`, `${COMPLETION}`, `${PROMPT + COMPLETION}`, expect.stringMatching(/^\$/)]);
      await page.getByText('Your key only').waitFor({ timeout: WAIT });
      expect(await page.getByRole('row', { name: 'alice fake/m1' }).count()).toBe(0);
      // The console's admin sections stay closed to it.
      expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allInnerTexts()).toEqual(['Usage']);
      await page.goto(`${api}/console/keys`);
      await page.getByRole('alert').filter({ hasText: 'The console needs an admin key' }).waitFor({ timeout: WAIT });
    } finally {
      await context.close();
    }
  });
});
