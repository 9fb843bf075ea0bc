import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createGate, type FakeReply, type FakeRequest, type FakeUpstream, type Gate, startFakeUpstream } from '@switchboard/testing';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { agentsPlatformYaml, apiCaller, judgeReply, loopReply, pipelineStageReply } from './agent-fixtures.js';
import { waitUntil } from './fault-support.js';
import { type PlatformProcess, startPlatformProcess } from './platform-process.js';
import { keyedContext, launchChromium, screenshots, WAIT, tearDownBrowserSpec } from './web-support.js';

/**
 * The web app in a real browser (Debian's Chromium, headless, driven by playwright-core) against the built
 * platform, served by its api at `/`, with a scripted upstream streaming over HTTP. The tests act as a person
 * does: by roles and labels. Screenshots go to SCREENSHOTS_DIR (docs/screenshots for the README), else a temp folder.
 */

// A browser on a shared 2-core machine: each test gets a minute (waits inside have their own deadlines).
jest.setTimeout(60_000);

const ADMIN = 'sb-e2e-web-admin';
const LONG = Array.from({ length: 80 }, (_, i) => `w${i}`);

let upstream: FakeUpstream;
/** Held background steps of the `patient` agent, while a test wants them held. */
let backgroundSteps: Gate | null = null;
let platform: PlatformProcess;
let api: string;
let userKey: string;
let browser: Browser;
const { shot, close: closeShots } = screenshots('web');

type Msg = { role: string; content: string | null };

/**
 * The few browser globals the page functions below use: they run in Chromium, while this file is compiled for
 * Node (no DOM lib), so they are typed here rather than for the whole workspace.
 */
interface El {
  getAttribute(name: string): string | null;
  scrollTop: number;
  scrollHeight: number;
}
declare const window: { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } };
declare const document: { querySelectorAll(selector: string): ArrayLike<El>; querySelector(selector: string): El | null };
declare function requestAnimationFrame(callback: () => void): number;

/** Scripts the upstream by the last user message's command (`long:<delay>`, `fail`, `loop`, ...). */
const script = (req: FakeRequest): FakeReply => {
  const judged = judgeReply(req);
  if (judged) return judged;
  const body = req.body as { messages: Msg[] };
  const [cmd = '', arg = '0'] = (body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '').split(':');
  switch (cmd) {
    case 'hello':
      return { type: 'completion', chunks: ['Hello ', 'from ', '**Switchboard**', '.\n\n', '```js\n', 'const x = 1;\n', '```'], deltaDelayMs: 150, usage: { prompt_tokens: 7, completion_tokens: 7 } };
    case 'long':
      return { type: 'completion', chunks: LONG.map((w) => `${w} `), deltaDelayMs: Number(arg) };
    case 'fail':
      return { type: 'http-error', status: 400, message: 'The upstream refused this request: content policy.' };
    case 'loop': {
      // The steps after the sync budget (2) wait for the test, which must see the run in the background first.
      const reply = loopReply(req);
      const step = body.messages.filter((m) => m.role === 'tool').length;
      return backgroundSteps && step >= 2 ? { ...reply, holdAfterDeltas: { after: 0, until: backgroundSteps.opened } } : reply;
    }
    case 'slowloop':
      // Each step takes a while, so a run stays in the background long enough for another tab to open.
      return { ...loopReply(req), deltaDelayMs: Number(arg) };
    default:
      return pipelineStageReply(req);
  }
};

const adminJson = apiCaller(() => api, ADMIN);

/** A fresh browser context signed in with the user key (the key kept in its localStorage, as after a sign-in). */
async function signedIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await keyedContext(browser, userKey);
  const page = await context.newPage();
  await page.goto(api);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  return { context, page };
}

const lastAnswer = (page: Page): Locator => page.getByRole('article', { name: 'Answer' }).last();

async function send(page: Page, text: string, model?: string): Promise<void> {
  if (model) await page.getByLabel('Model').selectOption(model);
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** Waits until the last answer is no longer being written. */
async function answerSettled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const answers = document.querySelectorAll('article[aria-label="Answer"]');
    const last = answers[answers.length - 1];
    return last !== undefined && last.getAttribute('aria-busy') !== 'true';
  }, undefined, { timeout: WAIT });
}

beforeAll(async () => {
  upstream = await startFakeUpstream({ reply: script, models: ['m1'] });
  platform = await startPlatformProcess({ configYaml: agentsPlatformYaml(upstream.url, ADMIN) });
  api = platform.urls.api!;
  userKey = (await adminJson<{ key: string }>('POST', '/api/keys', { name: 'web-e2e' })).key;
  browser = await launchChromium();
}, 90_000);

afterAll(() => tearDownBrowserSpec(browser, platform, [upstream], closeShots));

describe('the web app in Chromium', () => {
  it("asks for a key, refuses a wrong one with the api's words, and signs in with a good one", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(api);
      const field = page.getByLabel('API key');
      await field.fill('sb-not-a-real-key');
      await shot(page, 'sign-in');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: /Invalid or revoked API key/ }).waitFor({ timeout: WAIT });
      await field.fill(userKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: WAIT });
      expect(await page.evaluate(() => window.localStorage.getItem('switchboard.key'))).toBe(userKey);
    } finally {
      await context.close();
    }
  });

  it('streams an answer token by token as Markdown, with its usage on hover, into a new conversation', async () => {
    const { context, page } = await signedIn();
    try {
      await send(page, 'hello: who are you?', 'fake/m1');
      // Token by token: the answer is seen part-written before it is whole.
      await lastAnswer(page).filter({ hasText: 'Hello' }).waitFor({ timeout: WAIT });
      const partial = (await lastAnswer(page).innerText()).trim();
      await answerSettled(page);
      const answer = lastAnswer(page);
      expect(partial.length).toBeLessThan('Hello from Switchboard.\nconst x = 1;'.length);
      expect(await answer.locator('strong').innerText()).toBe('Switchboard');
      expect(await answer.locator('pre code').innerText()).toContain('const x = 1;');
      await answer.hover();
      const usage = answer.getByLabel('Usage');
      await usage.waitFor({ state: 'visible' });
      expect(await usage.innerText()).toMatch(/7 prompt \+ 7 completion tokens/);
      // A new conversation was made for it, named after the message, and the page moved to it.
      expect(page.url()).toMatch(/\/chat\/[0-9a-f-]{36}$/);
      await page.getByRole('complementary', { name: 'Conversations' }).getByRole('link', { name: 'hello: who are you?' }).waitFor({ timeout: WAIT });
      await shot(page, 'chat');
    } finally {
      await context.close();
    }
  });

  it('stops a run with Stop: the run is cancelled on the server and what was written stays', async () => {
    const { context, page } = await signedIn();
    try {
      await send(page, 'long:80', 'fake/m1');
      await lastAnswer(page).filter({ hasText: 'w3' }).waitFor({ timeout: WAIT });
      await page.getByRole('button', { name: 'Stop' }).click();
      await lastAnswer(page).filter({ hasText: 'Stopped.' }).waitFor({ timeout: WAIT });
      expect(await lastAnswer(page).getByRole('alert').count()).toBe(0);
      const text = await lastAnswer(page).innerText();
      expect(text).not.toContain('w79');
      const req = upstream.requests.filter((r) => (r.body as { messages: Msg[] }).messages.at(-1)?.content === 'long:80').at(-1)!;
      await expect(req.outcome).resolves.toBe('closed-early');
      const runId = (await lastAnswer(page).getByRole('link', { name: 'Run' }).getAttribute('href'))!.split('/').pop()!;
      let status = '';
      await waitUntil(async () => (status = (await adminJson<{ status: string }>('GET', `/api/runs/${runId}`)).status) === 'cancelled', WAIT, 100);
      expect(status).toBe('cancelled');
      await page.getByRole('button', { name: 'Send' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('picks an answer up after a reload mid-stream: the whole answer, once, the model choice intact', async () => {
    const { context, page } = await signedIn();
    try {
      await send(page, 'long:40', 'fake/m1');
      await lastAnswer(page).filter({ hasText: 'w5' }).waitFor({ timeout: WAIT });
      const before = await lastAnswer(page).innerText();
      expect(before).not.toContain('w79');
      await page.reload();
      await lastAnswer(page).waitFor({ timeout: WAIT });
      await answerSettled(page);
      await page.getByRole('article', { name: 'Answer' }).filter({ hasText: 'w79' }).waitFor({ timeout: WAIT });
      const answers = page.getByRole('article', { name: 'Answer' });
      expect(await answers.count()).toBe(1);
      const text = (await answers.first().innerText()).trim();
      expect(text.startsWith(LONG.join(' '))).toBe(true);
      // Nothing repeated: each word once.
      expect(text.split(/\s+/).filter((w) => w === 'w0')).toHaveLength(1);
      expect(await page.getByRole('article', { name: 'Your message' }).count()).toBe(1);
      expect(await page.getByLabel('Model').inputValue()).toBe('fake/m1');
      // And the run was not cancelled by the reload: the upstream wrote its whole answer.
      const req = upstream.requests.filter((r) => (r.body as { messages: Msg[] }).messages.at(-1)?.content === 'long:40').at(-1)!;
      await expect(req.outcome).resolves.toBe('completed');
    } finally {
      await context.close();
    }
  });

  it('shows a failed run as an error, not as answer text', async () => {
    const { context, page } = await signedIn();
    try {
      await send(page, 'fail: please', 'fake/m1');
      const alert = lastAnswer(page).getByRole('alert');
      await alert.waitFor({ timeout: WAIT });
      expect(await alert.innerText()).toMatch(/content policy/);
      expect(await lastAnswer(page).locator('[class*="markdown"]').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('shows a run that went to the background, then its result as a notification and in the conversation', async () => {
    const { context, page } = await signedIn();
    try {
      backgroundSteps = createGate();
      await send(page, 'loop: a long task', 'patient');
      await lastAnswer(page).filter({ hasText: 'Continuing in the background' }).waitFor({ timeout: WAIT });
      backgroundSteps.open();
      const toast = page.getByRole('status').filter({ hasText: 'A background run finished' });
      await toast.waitFor({ timeout: 30_000 });
      expect(await toast.innerText()).toContain('step0. step1. step2.');
      // The result lands in the conversation as its stored answer.
      await page.getByRole('article', { name: 'Answer' }).filter({ hasText: 'background budget of 5 model calls' }).waitFor({ timeout: WAIT });
      await shot(page, 'background-run');
    } finally {
      backgroundSteps?.open();
      backgroundSteps = null;
      await context.close();
    }
  });

  it('notifies a tab opened after the run went to the background when it finishes', async () => {
    const first = await signedIn();
    let second: Awaited<ReturnType<typeof signedIn>> | undefined;
    try {
      await send(first.page, 'slowloop:1500', 'patient');
      await lastAnswer(first.page).filter({ hasText: 'Continuing in the background' }).waitFor({ timeout: WAIT });
      // A second tab of the same key, opened now: it never heard run.backgrounded.
      second = await signedIn();
      const user = apiCaller(() => api, userKey);
      const running = await user<{ data: { id: string; status: string }[] }>('GET', '/api/runs?status=background');
      // The premise of the test: the run is still going while the second tab is open.
      expect(running.data.length).toBeGreaterThan(0);
      const toast = second.page.getByRole('status').filter({ hasText: 'A background run finished' });
      await toast.waitFor({ timeout: 45_000 });
      expect(await toast.innerText()).toContain('step0.');
      await first.page.getByRole('status').filter({ hasText: 'A background run finished' }).waitFor({ timeout: WAIT });
    } finally {
      await second?.context.close();
      await first.context.close();
    }
  });

  it("shows a pipeline's run page with every stage and the vote, and runs it again on the same input", async () => {
    const { context, page } = await signedIn();
    try {
      await send(page, 'Is the sky blue?', 'council');
      await lastAnswer(page).filter({ hasText: 'Final: the judges agreed.' }).waitFor({ timeout: WAIT });
      await answerSettled(page);
      // The run page needs the run's record, written just after the answer: follow the link once it has the stages.
      await lastAnswer(page).getByRole('link', { name: 'Run' }).click();
      const stages = page.getByRole('region', { name: 'Pipeline stages' });
      await waitUntil(async () => {
        if (await stages.count()) return true;
        await page.reload();
        return false;
      }, WAIT, 300);
      for (const stage of ['draft', 'judges', 'final']) await stages.getByRole('listitem', { name: `Stage ${stage}` }).waitFor({ timeout: WAIT });
      const votes = page.getByRole('table', { name: 'Votes of judges' });
      expect(await votes.innerText()).toMatch(/yes\s+2/);
      expect(await votes.innerText()).toMatch(/no\s+1/);
      expect(await page.getByRole('table', { name: 'Provider attempts' }).innerText()).toContain('judge-a');
      await shot(page, 'run-page');
      await page.getByRole('button', { name: 'Run again on the same input' }).click();
      await page.waitForURL(/\/chat\//, { timeout: WAIT });
      await lastAnswer(page).filter({ hasText: 'Final: the judges agreed.' }).waitFor({ timeout: WAIT });
      // The question is the run's input again, once and alone (waited for: the prompt shown while the answer streams
      // gives way to the stored message when the conversation's messages load, and the two may briefly overlap).
      const asked = page.getByRole('article', { name: 'Your message' });
      await waitUntil(async () => JSON.stringify(await asked.allTextContents()) === JSON.stringify(['Is the sky blue?']), WAIT, 100);
      expect(await asked.allTextContents()).toEqual(['Is the sky blue?']);
    } finally {
      await context.close();
    }
  });

  it('lists runs with filters and renames and deletes conversations', async () => {
    const { context, page } = await signedIn();
    try {
      await page.getByRole('link', { name: 'Runs' }).click();
      await page.getByLabel('Status').selectOption('cancelled');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/status=cancelled/);
      const table = page.getByRole('table');
      await table.getByRole('row').nth(1).waitFor({ timeout: WAIT });
      const statuses = await table.getByRole('row').evaluateAll((rows) => rows.slice(1).map((r) => r.children[1]?.textContent));
      expect(statuses.length).toBeGreaterThan(0);
      expect(new Set(statuses)).toEqual(new Set(['cancelled']));
      await page.getByLabel('Status').selectOption('');
      await page.getByRole('button', { name: 'Apply' }).click();
      await shot(page, 'runs');

      await page.getByRole('link', { name: 'Chat' }).click();
      const sidebar = page.getByRole('complementary', { name: 'Conversations' });
      await sidebar.getByRole('link', { name: 'hello: who are you?' }).waitFor({ timeout: WAIT });
      await sidebar.getByRole('button', { name: 'Rename hello: who are you?' }).click();
      await sidebar.getByLabel('Conversation title').fill('Greetings');
      await sidebar.getByRole('button', { name: 'Save' }).click();
      await sidebar.getByRole('link', { name: 'Greetings' }).waitFor({ timeout: WAIT });
      page.once('dialog', (d) => void d.accept());
      await sidebar.getByRole('button', { name: 'Delete Greetings' }).click();
      await sidebar.getByRole('link', { name: 'Greetings' }).waitFor({ state: 'detached', timeout: WAIT });
    } finally {
      await context.close();
    }
  });

  it('opens a 500-message conversation at its end and reports how fast the page paints', async () => {
    const conversation = await fetch(`${api}/api/conversations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${userKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'A long one' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    for (let batch = 0; batch < 5; batch++) {
      const messages = Array.from({ length: 100 }, (_, i) => {
        const n = batch * 100 + i;
        return { role: n % 2 ? 'assistant' : 'user', content: n % 2 ? `Answer ${n}: some **markdown** and \`code\`.` : `Question ${n}` };
      });
      const res = await fetch(`${api}/api/conversations/${conversation.id}/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${userKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ messages }),
      });
      expect(res.status).toBe(201);
    }
    const { context, page } = await signedIn();
    try {
      await page.goto(`${api}/chat/${conversation.id}`);
      await page.getByRole('article', { name: 'Answer' }).filter({ hasText: 'Answer 499' }).waitFor({ timeout: WAIT });
      expect(await page.getByRole('article').count()).toBe(500);
      // Opened at its end: the last answer is on screen.
      expect(await page.getByRole('article', { name: 'Answer' }).filter({ hasText: 'Answer 499' }).isVisible()).toBe(true);
      const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
      const frames = await page.evaluate(async () => {
        // Scroll the whole conversation back to the top in steps, one per frame, and time the frames.
        const log = document.querySelector('[role="log"]')!;
        const times: number[] = [];
        let last = performance.now();
        for (let i = 0; i < 60; i++) {
          log.scrollTop -= log.scrollHeight / 60;
          await new Promise<void>((r) => requestAnimationFrame(() => r()));
          const now = performance.now();
          times.push(now - last);
          last = now;
        }
        times.sort((a, b) => a - b);
        return { median: times[30]!, worst: times[59]! };
      });
      // Figures for the README (not asserted: this machine is shared and its timings vary).
      console.log(`web: first contentful paint ${paint?.toFixed(0)} ms; 500-message scroll frames median ${frames.median.toFixed(1)} ms, worst ${frames.worst.toFixed(1)} ms`);
      expect(paint).not.toBeNull();
    } finally {
      await context.close();
    }
  });
});
