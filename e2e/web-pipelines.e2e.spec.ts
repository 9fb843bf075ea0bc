import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type FakeReply, type FakeRequest, type FakeUpstream, startFakeUpstream } from '@switchboard/testing';
import { type Browser } from 'playwright-core';
import { agentsPlatformYaml, judgeReply } from './agent-fixtures.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';
import { keyedContext, launchChromium, screenshots, WAIT, tearDownBrowserSpec } from './web-support.js';

/**
 * Ad-hoc and saved pipelines against the built platform: the API's validation (every problem at its field
 * path, in OpenAI's error shape), a good definition that runs through the queue and streams, a saved one
 * listed on /v1/models and run by name; then the same in Chromium on the Manual page.
 */

jest.setTimeout(60_000);

const ADMIN = 'sb-e2e-pipelines-admin';

let upstream: FakeUpstream;
let platform: PlatformProcess;
let gateway: string;
let api: string;
let browser: Browser;
const { shot, close: closeShots } = screenshots('pipelines');

type Msg = { role: string; content: string | null };

/** Each stage answers with what it was asked, so a test sees the stages ran in order. */
const script = (req: FakeRequest): FakeReply => {
  const judged = judgeReply(req);
  if (judged) return judged;
  const last = (req.body as { messages: Msg[] }).messages.at(-1)?.content ?? '';
  return { type: 'completion', chunks: ['Stage ', 'saw: ', last.slice(0, 60)], deltaDelayMs: 20 };
};

const post = (base: string, route: string, body: unknown, key = ADMIN) =>
  fetch(`${base}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

const ask = [{ role: 'user', content: 'pipeline question' }];

beforeAll(async () => {
  upstream = await startFakeUpstream({ reply: script, models: ['m1'] });
  platform = await startPlatformProcess({ configYaml: agentsPlatformYaml(upstream.url, ADMIN) });
  api = platform.urls.api!;
  gateway = platform.urls.gateway!;
  browser = await launchChromium();
}, 90_000);

afterAll(() => tearDownBrowserSpec(browser, platform, [upstream], closeShots));

describe('POST /v1/pipelines/run', () => {
  it.each([
    ['a later stage in input_from', [{ name: 'a', type: 'single', model: 'fake/m1', input_from: ['b'] }, { name: 'b', type: 'single', model: 'fake/m1' }], 'stages[0].input_from[0]', /later stage/],
    ['an unknown model', [{ name: 'a', type: 'single', model: 'fake/m1' }, { name: 'b', type: 'multi', models: ['fake/m1', 'nope/x'], aggregate: { method: 'vote' } }], 'stages[1].models[1]', /provider "nope"/],
    ['a pipeline as a stage model', [{ name: 'a', type: 'single', model: 'council' }], 'stages[0].model', /is a pipeline/],
    ['a multi stage with one model', [{ name: 'a', type: 'multi', models: ['fake/m1'], aggregate: { method: 'concat' } }], 'stages[0].models', /at least 2/],
    ['an unknown aggregation', [{ name: 'a', type: 'multi', models: ['fake/m1', 'fake/m1'], aggregate: { method: 'mean' } }], 'stages[0].aggregate.method', /expected one of/],
  ])('refuses %s with a 400 naming the field', async (_what, stages, param, message) => {
    const res = await post(gateway, '/v1/pipelines/run', { stages, messages: ask });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string; param: string; code: string; details: { path: string; message: string }[] } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param, code: 'invalid_pipeline' });
    expect(body.error.details[0]).toMatchObject({ path: param, message: expect.stringMatching(message) });
  });

  it('runs a good definition through a worker and streams its answer; nothing is saved', async () => {
    const stages = [
      { name: 'draft', type: 'single', model: 'fake/m1' },
      { name: 'final', type: 'single', model: 'fake/m1', input_from: ['draft', 'request'], output_mode: 'answer_only' },
    ];
    const res = await post(gateway, '/v1/pipelines/run', { name: 'try-once', stages, messages: ask, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    const content = [...text.matchAll(/^data: (\{.*\})$/gm)]
      .map((m) => JSON.parse(m[1]!) as { model: string; choices: { delta?: { content?: string } }[] })
      .map((c) => c.choices[0]?.delta?.content ?? '')
      .join('');
    expect(content).toMatch(/^Stage saw: /);
    expect(content).toContain('## draft');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    const models = (await (await fetch(`${gateway}/v1/models`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).not.toContain('try-once');
  });
});

describe('saved pipelines', () => {
  it('saves a pipeline, refuses a taken name, lists it on /v1/models and runs it by name', async () => {
    const stages = [{ name: 'only', type: 'single', model: 'fake/m1' }];
    const bad = await post(api, '/api/pipelines', { name: 'council', stages });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('name');
    const agentName = await post(api, '/api/pipelines', { name: 'patient', stages });
    expect(((await agentName.json()) as { error: { param: string } }).error.param).toBe('name');

    const saved = await post(api, '/api/pipelines', { name: 'saved-one', description: 'from the test', stages });
    expect(saved.status).toBe(201);
    expect(await saved.json()).toMatchObject({ name: 'saved-one', stages: [{ name: 'only', model: 'fake/m1' }] });
    expect((await post(api, '/api/pipelines', { name: 'saved-one', stages })).status).toBe(400);

    // Gateways read saved pipelines every couple of seconds.
    const deadline = Date.now() + WAIT;
    let ids: string[] = [];
    while (Date.now() < deadline && !ids.includes('saved-one')) {
      const list = (await (await fetch(`${gateway}/v1/models`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()) as { data: { id: string }[] };
      ids = list.data.map((m) => m.id);
      if (!ids.includes('saved-one')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ids).toContain('saved-one');
    const res = await post(gateway, '/v1/chat/completions', { model: 'saved-one', messages: ask });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { model: string; choices: { message: { content: string } }[] };
    expect(answer.model).toBe('saved-one');
    expect(answer.choices[0]?.message.content).toBe('Stage saw: pipeline question');
  });
});

describe('the Manual page in Chromium', () => {
  it('shows a validation error at its field, streams a good pipeline, saves it and offers it in the chat', async () => {
    const context = await keyedContext(browser, ADMIN, { width: 1280, height: 900 });
    try {
      const page = await context.newPage();
      await page.goto(`${api}/pipelines/manual`);
      await page.getByRole('heading', { name: 'Manual pipeline' }).waitFor({ timeout: WAIT });
      await page.getByLabel('Model', { exact: true }).fill('nope/x');
      await page.getByRole('button', { name: 'Add a stage' }).click();
      await page.getByLabel('Model', { exact: true }).nth(1).fill('fake/m1');
      await page.getByLabel(/Input from/).nth(1).fill('stage-1, request');
      await page.getByLabel('Message').fill('manual question');
      await page.getByRole('button', { name: 'Run once' }).click();
      const error = page.getByRole('alert', { name: 'Error at stages[0].model' });
      await error.waitFor({ timeout: WAIT });
      expect(await error.innerText()).toMatch(/provider "nope"/);

      await page.getByLabel('Model', { exact: true }).first().fill('fake/m1');
      await page.getByRole('button', { name: 'Run once' }).click();
      const answer = page.getByRole('region', { name: 'Pipeline answer' });
      await answer.getByText('Answer complete').waitFor({ timeout: WAIT });
      expect(await answer.innerText()).toMatch(/Stage saw: ## stage-1/);
      expect(await page.getByRole('alert', { name: 'Error at stages[0].model' }).count()).toBe(0);

      await page.getByLabel('Pipeline name').fill('from-the-page');
      await page.getByRole('button', { name: 'Save as named pipeline' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved as from-the-page' }).waitFor({ timeout: WAIT });
      await shot(page, 'manual-pipeline', true);

      // The chat lists it once the gateway has read it (within seconds).
      const deadline = Date.now() + WAIT;
      let options: string[] = [];
      while (Date.now() < deadline && !options.includes('from-the-page')) {
        await page.goto(api);
        await page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: WAIT });
        options = await page.getByLabel('Model').locator('option').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
      }
      expect(options).toContain('from-the-page');
      await page.getByLabel('Model').selectOption('from-the-page');
    } finally {
      await context.close();
    }
  });
});
