import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type FakeReply, type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { apiCaller } from './agent-fixtures.js';
import { waitUntil } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';
import { keyedContext, launchChromium, screenshots, WAIT, tearDownBrowserSpec } from './web-support.js';

/**
 * The operator's console in a real browser (Debian's Chromium via playwright-core) against the built platform,
 * with fake upstreams over HTTP: one that answers, one that always fails (to open its circuit). Acts by roles and
 * labels, as a person does. Screenshots (console-*.png) go to SCREENSHOTS_DIR (docs/screenshots), else a temp folder.
 */

jest.setTimeout(90_000);

const ADMIN = 'sb-e2e-console-admin';

let upstream: FakeUpstream;
let broken: FakeUpstream;
let platform: PlatformProcess;
let api: string;
let gateway: string;
let userKey: string;
let browser: Browser;
const { shot, close: closeShots } = screenshots('console');

const script = (req: FakeRequest): FakeReply => {
  const body = req.body as { messages: { role: string; content: string | null }[] };
  const last = body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  return { type: 'completion', chunks: ['Hello ', 'from ', 'the ', 'console: ', last], deltaDelayMs: 20, usage: { prompt_tokens: 5, completion_tokens: 5 } };
};

const adminJson = apiCaller(() => api, ADMIN);

async function signedIn(key: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await keyedContext(browser, key, { width: 1280, height: 860 });
  const page = await context.newPage();
  await page.goto(api);
  await page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: WAIT });
  return { context, page };
}

beforeAll(async () => {
  upstream = await startFakeUpstream({ reply: script, models: ['m1'] });
  broken = await startFakeUpstream({ reply: () => ({ type: 'http-error', status: 500, message: 'down for the test' }), models: ['m1'] });
  platform = await startPlatformProcess({
    configYaml: ({ dir, prefix }) => `
server: { host: 127.0.0.1, gateway_port: 0, api_port: 0, worker_port: 0, heartbeat_ms: 500 }
redis: { url: redis://127.0.0.1:6379, prefix: ${prefix} }
data_dir: ${dir}/data
auth: { admin_key: ${ADMIN}, cache_ttl_ms: 250 }
providers:
  - { name: fake, type: openai-compatible, base_url: ${upstream.url}, models: [m1], pricing: { '*': { input: 1, output: 2 } } }
  - { name: broken, type: openai-compatible, base_url: ${broken.url}, models: [m1], circuit_breaker: { failure_threshold: 2, cooldown_ms: 600000 } }
auto_pick: { priority: [fake], max_retries: 0 }
rate_limit: { requests_per_minute: 100000 }
`,
  });
  api = platform.urls.api!;
  gateway = platform.urls.gateway!;
  userKey = (await adminJson<{ key: string }>('POST', '/api/keys', { name: 'plain-user' })).key;
  browser = await launchChromium();
}, 120_000);

afterAll(() => tearDownBrowserSpec(browser, platform, [upstream, broken], closeShots));

describe('the console in Chromium', () => {
  it('a user key gets no Console link, no console page and 403 from the admin APIs', async () => {
    const { context, page } = await signedIn(userKey);
    try {
      await page.getByRole('link', { name: 'Runs' }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Console' }).count()).toBe(0);
      await page.goto(`${api}/console/keys`);
      await page.getByRole('alert').filter({ hasText: 'The console needs an admin key' }).waitFor({ timeout: WAIT });
      expect(await page.getByRole('table', { name: 'API keys' }).count()).toBe(0);
      const statuses = await page.evaluate(async (key) => {
        const out: Record<string, number> = {};
        for (const p of ['/api/keys', '/api/providers', '/api/queues']) out[p] = (await fetch(p, { headers: { Authorization: `Bearer ${key}` } })).status;
        out.session = (await fetch('/api/queues/board-session', { method: 'POST', headers: { Authorization: `Bearer ${key}` } })).status;
        out.board = (await fetch('/api/admin/queues')).status;
        return out;
      }, userKey);
      expect(statuses).toEqual({ '/api/keys': 403, '/api/providers': 403, '/api/queues': 403, session: 403, board: 401 });
    } finally {
      await context.close();
    }
  });

  it('an admin creates a key (secret shown once), the new key signs in and chats, and its limits are edited', async () => {
    const { context, page } = await signedIn(ADMIN);
    try {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Console' }).click();
      await page.getByRole('table', { name: 'Queue depth' }).getByRole('cell', { name: 'runs', exact: true }).waitFor({ timeout: WAIT });
      await shot(page, 'console-home');

      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Keys' }).click();
      const form = page.getByRole('form', { name: 'New key' });
      await form.getByLabel('Name').fill('ops-key');
      await form.getByLabel('Budget (tokens)').fill('100000');
      await form.getByRole('button', { name: 'Create key' }).click();
      // A budget without a period: the API's field error shows beside the field.
      await form.getByText('a budget needs budget_period').waitFor({ timeout: WAIT });
      await form.getByLabel('Budget period').selectOption('month');
      await form.getByRole('button', { name: 'Create key' }).click();
      const secret = (await page.getByRole('status', { name: 'New key secret' }).getByLabel('Secret').innerText({ timeout: WAIT })).trim();
      expect(secret).toMatch(/^sb-/);
      await page.getByRole('row', { name: 'Key ops-key' }).waitFor({ timeout: WAIT });
      await shot(page, 'console-keys');
      await page.getByRole('button', { name: 'Done' }).click();
      expect(await page.getByText(secret).count()).toBe(0);

      // The new key, in a browser of its own: signs in and gets an answer.
      const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const p2 = await other.newPage();
        await p2.goto(api);
        await p2.getByLabel('API key').fill(secret);
        await p2.getByRole('button', { name: 'Sign in' }).click();
        await p2.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: WAIT });
        await p2.getByLabel('Model').selectOption('fake/m1');
        await p2.getByRole('textbox', { name: 'Message' }).fill('ping');
        await p2.getByRole('button', { name: 'Send' }).click();
        await p2.getByRole('article', { name: 'Answer' }).last().filter({ hasText: 'Hello from the console: ping' }).waitFor({ timeout: WAIT });
      } finally {
        await other.close();
      }
      // Its spend reaches the list, and its limit is edited.
      const row = page.getByRole('row', { name: 'Key ops-key' });
      expect(await waitUntil(async () => {
        await page.reload();
        return /[1-9]\d* tokens,.*of 100000 tokens per month/.test(await row.innerText({ timeout: WAIT }));
      }, WAIT, 500)).toBe(true);
      await row.getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByRole('form', { name: 'Edit ops-key' });
      await edit.getByLabel('Requests per minute').fill('77');
      await edit.getByRole('button', { name: 'Save' }).click();
      await row.getByRole('cell', { name: '77/min' }).waitFor({ timeout: WAIT });
      const keys = await adminJson<{ data: { name: string; rate_limit_per_minute: number | null }[] }>('GET', '/api/keys');
      expect(keys.data.find((k) => k.name === 'ops-key')?.rate_limit_per_minute).toBe(77);
    } finally {
      await context.close();
    }
  });

  it('an admin makes an agent (the API refuses a bad budget beside its field) and chats with it beside the form', async () => {
    const { context, page } = await signedIn(ADMIN);
    try {
      await page.goto(`${api}/console/agents`);
      const form = page.getByRole('form', { name: 'New agent' });
      await form.getByLabel('Name').fill('Bad Name');
      await form.getByRole('button', { name: 'Create agent' }).click();
      await form.getByText('lowercase letters, digits').waitFor({ timeout: WAIT });
      await form.getByLabel('Name').fill('console-helper');
      await form.getByLabel('Model').fill('fake/m1');
      await form.getByLabel('System prompt').fill('You help operators.');
      await form.getByLabel('Sync max iterations').fill('0');
      await form.getByRole('button', { name: 'Create agent' }).click();
      // Checked by the API only: its error's field path puts it beside the budgets.
      await form.getByRole('alert').filter({ hasText: /Too small|greater than|>0|positive/i }).waitFor({ timeout: WAIT });
      await form.getByLabel('Sync max iterations').fill('3');
      await form.getByRole('button', { name: 'Create agent' }).click();
      await page.getByRole('row', { name: 'Agent console-helper' }).waitFor({ timeout: WAIT });
      const tryIt = page.getByRole('complementary', { name: 'Try console-helper' });
      await tryIt.getByLabel('Message to the agent').fill('status?');
      // Enabled once the gateway lists the new agent (it reads agents again every 2 s).
      await tryIt.getByRole('button', { name: 'Send' }).click({ timeout: WAIT });
      await tryIt.getByLabel('Agent answer').filter({ hasText: 'Hello from the console: status?' }).waitFor({ timeout: WAIT });
      await shot(page, 'console-agents');
      const agents = await adminJson<{ data: { name: string; model: string; budgets: { sync: { max_iterations: number } } }[] }>('GET', '/api/agents');
      expect(agents.data.find((a) => a.name === 'console-helper')).toMatchObject({ model: 'fake/m1', budgets: { sync: { max_iterations: 3 } } });

      page.once('dialog', (d) => void d.accept());
      await page.getByRole('row', { name: 'Agent console-helper' }).getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('row', { name: 'Agent console-helper' }).waitFor({ state: 'detached', timeout: WAIT });
    } finally {
      await context.close();
    }
  });

  it("shows a provider's circuit open, live, when its upstream fails, and switches a provider off and on", async () => {
    const { context, page } = await signedIn(ADMIN);
    try {
      await page.goto(`${api}/console/providers`);
      const circuit = page.getByRole('cell', { name: 'Circuit of broken' });
      expect((await circuit.innerText({ timeout: WAIT })).trim()).toBe('closed');
      // Failing calls until the breaker trips (failure_threshold 2); the page refreshes on its own.
      expect(await waitUntil(async () => {
        await fetch(`${gateway}/v1/chat/completions`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ model: 'broken/m1', messages: [{ role: 'user', content: 'x' }] }),
        });
        return (await circuit.innerText()).trim() === 'open';
      }, 30_000, 1000)).toBe(true);
      await shot(page, 'console-providers');

      // Switched off at runtime: the routers skip it (within a second), and it answers again once switched back on.
      const chat = async () =>
        (await fetch(`${gateway}/v1/chat/completions`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content: 'on?' }] }),
        })).status;
      expect(await chat()).toBe(200);
      await page.getByRole('button', { name: 'Disable fake' }).click();
      await page.getByRole('cell', { name: 'Enabled fake' }).filter({ hasText: 'off (switched)' }).waitFor({ timeout: WAIT });
      expect(await waitUntil(async () => (await chat()) !== 200, WAIT, 200)).toBe(true);
      expect(await chat()).toBeGreaterThanOrEqual(400);
      await page.getByRole('button', { name: 'Enable fake' }).click();
      await page.getByRole('cell', { name: 'Enabled fake' }).filter({ hasText: 'yes' }).waitFor({ timeout: WAIT });
      expect(await waitUntil(async () => (await chat()) === 200, WAIT, 200)).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('shows the queues in bull-board behind a board session; no key, a user key or a forged cookie gets none', async () => {
    // Outside the browser: no cookie, a made-up cookie, and a user key's session request are refused.
    expect((await fetch(`${api}/api/admin/queues`)).status).toBe(401);
    const forged = await fetch(`${api}/api/admin/queues/api/queues`, { headers: { cookie: 'sb_board=made-up' } });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('board_session_required');
    expect((await fetch(`${api}/api/queues/board-session`, { method: 'POST', headers: { Authorization: `Bearer ${userKey}` } })).status).toBe(403);
    expect((await fetch(`${api}/api/queues/board-session`, { method: 'POST' })).status).toBe(401);

    const { context, page } = await signedIn(ADMIN);
    try {
      await page.goto(`${api}/console/queues`);
      await page.getByRole('button', { name: 'Open the queue board' }).click();
      const board = page.frameLocator('iframe[title="Queue board"]');
      await board.getByText('runs', { exact: true }).first().waitFor({ timeout: WAIT });
      await board.getByText('models', { exact: true }).first().waitFor({ timeout: WAIT });
      // A queue's own page: its job lists come from the board's API, through the same session.
      await board.getByText('runs', { exact: true }).first().click();
      // Its jobs (the agent run of an earlier test, when the whole file runs) or the board's own "none".
      await board.getByText(/No latest jobs in this queue|run\.chat/).first().waitFor({ timeout: WAIT });
      await shot(page, 'console-queues');
      const cookie = (await context.cookies(`${api}/api/admin/queues`)).find((c) => c.name === 'sb_board');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/admin/queues' });
    } finally {
      await context.close();
    }
  });
});
