import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type ChatMessage,
  openAICompatibleProviderSchema,
  type OpenAICompatibleProviderConfig,
  pipelineConfigSchema,
  type PipelineConfig,
} from '@switchboard/contracts';
import { createOpenAICompatibleModel, type LanguageModel } from '@switchboard/providers';
import { createGate, type FakeReply, type FakeRequest, type FakeUpstream, type RecordedRequest, startFakeUpstream, waitFor } from '@switchboard/testing';
import { PipelineError, runPipeline, type PipelineDeps, type PipelineStageEvent } from '../src/index.js';

/**
 * Pipelines run against the real openai-compatible adapter, talking over HTTP to a fake upstream that answers
 * by model name, so every stage's calls are real requests the test can inspect afterwards.
 */

type Script = Record<string, FakeReply | ((request: FakeRequest) => FakeReply)>;

interface ChatBody {
  model: string;
  stream: boolean;
  messages: { role: string; content: string }[];
}
const bodyOf = (request: FakeRequest): ChatBody => request.body as ChatBody;

let upstream: FakeUpstream;
let provider: OpenAICompatibleProviderConfig;
let script: Script = {};

beforeAll(async () => {
  upstream = await startFakeUpstream({
    reply: (request) => {
      const scripted = script[bodyOf(request).model];
      if (!scripted) return { type: 'http-error', status: 404, message: `no script for ${bodyOf(request).model}` };
      return typeof scripted === 'function' ? scripted(request) : scripted;
    },
  });
  provider = openAICompatibleProviderSchema.parse({ name: 'fake', type: 'openai-compatible', base_url: upstream.url });
});
afterAll(() => upstream.close());

/** What the worker provides: `fake/<model>` ids resolved to adapter instances. */
function depsFor(signal: AbortSignal, extra: Partial<PipelineDeps> = {}): PipelineDeps & { deltas: string[]; events: PipelineStageEvent[] } {
  const deltas: string[] = [];
  const events: PipelineStageEvent[] = [];
  return {
    model: (id: string): LanguageModel => {
      if (!id.startsWith('fake/')) throw new Error(`unknown model ${id}`);
      return createOpenAICompatibleModel(provider, id.slice('fake/'.length));
    },
    signal,
    onText: (delta) => deltas.push(delta),
    onStage: (event) => events.push(event),
    deltas,
    events,
    ...extra,
  };
}

/** Requests the fake received since `from`, for one model. */
const requestsFor = (model: string, from: number): RecordedRequest[] =>
  upstream.requests.slice(from).filter((r) => bodyOf(r).model === model);

const question: ChatMessage[] = [
  { role: 'system', content: 'Client system prompt.' },
  { role: 'user', content: 'What is the capital of France?' },
];

const threeStages: PipelineConfig = pipelineConfigSchema.parse({
  name: 'checked',
  stages: [
    { name: 'draft', type: 'single', model: 'fake/drafter', system_prompt: 'Answer briefly.' },
    {
      name: 'check',
      type: 'multi',
      models: ['fake/judge-a', 'fake/judge-b', 'fake/judge-c'],
      prompt: 'Is this correct? Reply yes or no.\n\n{{input}}',
      aggregate: { method: 'vote' },
      temperature: 0,
    },
    {
      name: 'final',
      type: 'single',
      model: 'fake/writer',
      input_from: ['request', 'draft', 'check'],
      prompt: 'Q: {{request}}\nDraft: {{stages.draft}}\nVerdict: {{stages.check}}\n\n{{input}}',
    },
  ],
});

const happyScript: Script = {
  drafter: { type: 'completion', text: 'Paris is the capital of France.', usage: { prompt_tokens: 5, completion_tokens: 7 } },
  'judge-a': { type: 'completion', text: 'Yes.', usage: { prompt_tokens: 3, completion_tokens: 1 } },
  'judge-b': { type: 'completion', text: 'no', usage: { prompt_tokens: 3, completion_tokens: 1 } },
  'judge-c': { type: 'completion', text: ' YES ', usage: { prompt_tokens: 3, completion_tokens: 1 } },
  writer: { type: 'completion', chunks: ['The capital ', 'of France ', 'is Paris.'], usage: { prompt_tokens: 20, completion_tokens: 11 } },
};

describe('runPipeline over the openai-compatible adapter', () => {
  it('runs three stages with a vote, streams the last answer, and keeps every stage', async () => {
    script = happyScript;
    const from = upstream.requests.length;
    const deps = depsFor(new AbortController().signal);
    const result = await runPipeline(threeStages, question, deps);

    expect(result.text).toBe('The capital of France is Paris.');
    expect(deps.deltas).toEqual(['The capital ', 'of France ', 'is Paris.']);
    expect(result.finishReason).toBe('stop');
    // 5+3+3+3+20 prompt, 7+1+1+1+11 completion.
    expect(result.usage).toEqual({ prompt_tokens: 34, completion_tokens: 21, total_tokens: 55 });

    const [draft, check, final] = result.stages;
    expect(draft).toMatchObject({
      stage: 'draft',
      type: 'single',
      input: 'What is the capital of France?',
      output: 'Paris is the capital of France.',
      answers: [{ model: 'fake/drafter', servedBy: 'fake/drafter', text: 'Paris is the capital of France.', finishReason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    });
    expect(check).toMatchObject({
      stage: 'check',
      type: 'multi',
      input: 'Paris is the capital of France.',
      output: 'Yes.',
      votes: [
        { answer: 'yes', count: 2, models: ['fake/judge-a', 'fake/judge-c'] },
        { answer: 'no', count: 1, models: ['fake/judge-b'] },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    });
    expect(check?.answers.map((a) => [a.model, a.text])).toEqual([
      ['fake/judge-a', 'Yes.'],
      ['fake/judge-b', 'no'],
      ['fake/judge-c', ' YES '],
    ]);
    const joinedInput = '## request\n\nWhat is the capital of France?\n\n## draft\n\nParis is the capital of France.\n\n## check\n\nYes.';
    expect(final).toMatchObject({ stage: 'final', input: joinedInput, output: 'The capital of France is Paris.' });
    expect(draft?.durationMs).toEqual(expect.any(Number));

    expect(deps.events.map((e) => `${e.index + 1}/${e.total} ${e.stage} ${e.status}`)).toEqual([
      '1/3 draft started',
      '1/3 draft done',
      '2/3 check started',
      '2/3 check done',
      '3/3 final started',
      '3/3 final done',
    ]);
    expect(deps.events.find((e) => e.stage === 'check' && e.status === 'done')?.output).toBe(check);

    // What went over the wire: the first stage got the conversation after its system prompt; the judges the
    // filled prompt with sampling settings, not streamed; the last stage one filled user message, streamed.
    const drafter = requestsFor('drafter', from);
    expect(drafter.map(bodyOf).map((b) => [b.stream, b.messages])).toEqual([
      [
        false,
        [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'system', content: 'Client system prompt.' },
          { role: 'user', content: 'What is the capital of France?' },
        ],
      ],
    ]);
    for (const judge of ['judge-a', 'judge-b', 'judge-c']) {
      const [request] = requestsFor(judge, from);
      expect(request?.body).toMatchObject({
        stream: false,
        temperature: 0,
        messages: [{ role: 'user', content: 'Is this correct? Reply yes or no.\n\nParis is the capital of France.' }],
      });
    }
    const [writer] = requestsFor('writer', from);
    expect(writer?.body).toMatchObject({
      stream: true,
      messages: [
        {
          role: 'user',
          content: `Q: What is the capital of France?\nDraft: Paris is the capital of France.\nVerdict: Yes.\n\n${joinedInput}`,
        },
      ],
    });
    expect(upstream.requests.length - from).toBe(5);
  });

  it('asks the models of a multi stage in parallel', async () => {
    // No judge answers before all three have been asked: asked one after the other, the second never would be.
    const gate = createGate();
    const held = (text: string): FakeReply => ({ type: 'completion', text, holdAfterDeltas: { after: 0, until: gate.opened } });
    script = { ...happyScript, 'judge-a': held('yes'), 'judge-b': held('yes'), 'judge-c': held('no') };
    const from = upstream.requests.length;
    const running = runPipeline(threeStages, question, depsFor(new AbortController().signal));
    try {
      await waitFor(() => ['judge-a', 'judge-b', 'judge-c'].every((m) => requestsFor(m, from).length === 1), 'all three judges to be asked at once');
    } finally {
      gate.open();
    }
    const result = await running;
    expect(result.stages[1]?.output).toBe('yes');
  });

  it('stops the stream and the run when aborted during the last stage', async () => {
    script = { ...happyScript, writer: { type: 'completion', chunks: ['The capital ', 'never ends'], hangAfterDeltas: 1 } };
    const from = upstream.requests.length;
    const controller = new AbortController();
    const deps = depsFor(controller.signal, {});
    deps.onText = (delta) => {
      deps.deltas.push(delta);
      controller.abort();
    };
    const error = await runPipeline(threeStages, question, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).details).toMatchObject({ pipeline: 'checked', stage: 'final', isAbort: true });
    expect((error as PipelineError).message).toBe('pipeline "checked" was cancelled during stage "final"');
    expect(deps.deltas).toEqual(['The capital ']);
    const [writer] = requestsFor('writer', from);
    await expect(writer?.outcome).resolves.toBe('closed-early');
  });

  it('stops every model of a multi stage when aborted there, and starts no later stage', async () => {
    script = { ...happyScript, 'judge-a': { type: 'hang' }, 'judge-b': { type: 'hang' }, 'judge-c': { type: 'hang' } };
    const from = upstream.requests.length;
    const controller = new AbortController();
    const deps = depsFor(controller.signal);
    deps.onStage = (event) => {
      deps.events.push(event);
      // Aborted once all three judges have been asked (their replies never come: only the abort ends them).
      if (event.stage === 'check' && event.status === 'started') {
        void waitFor(() => ['judge-a', 'judge-b', 'judge-c'].every((m) => requestsFor(m, from).length === 1), 'the three judges to be asked').then(() => controller.abort());
      }
    };
    const error = await runPipeline(threeStages, question, deps).catch((e: unknown) => e);

    expect((error as PipelineError).details).toMatchObject({ stage: 'check', isAbort: true });
    const judges = ['judge-a', 'judge-b', 'judge-c'].flatMap((m) => requestsFor(m, from));
    expect(judges).toHaveLength(3);
    await expect(Promise.all(judges.map((r) => r.outcome))).resolves.toEqual(['closed-early', 'closed-early', 'closed-early']);
    expect(requestsFor('writer', from)).toEqual([]);
    expect(deps.events.map((e) => `${e.stage} ${e.status}`)).toEqual(['draft started', 'draft done', 'check started']);
  });

  it('names the stage and the model that failed, and stops that stage\'s other models', async () => {
    script = {
      ...happyScript,
      'judge-a': { type: 'hang' },
      'judge-b': { type: 'http-error', status: 503, message: 'overloaded', firstByteDelayMs: 50 },
      'judge-c': { type: 'hang' },
    };
    const from = upstream.requests.length;
    const error = await runPipeline(threeStages, question, depsFor(new AbortController().signal)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PipelineError);
    const failure = error as PipelineError;
    expect(failure.details).toMatchObject({ pipeline: 'checked', stage: 'check', model: 'fake/judge-b', isAbort: false, isRetryable: true });
    expect(failure.message).toMatch(/^pipeline "checked", stage "check", model "fake\/judge-b": .*overloaded/);
    // The stage that finished before stays on record, with its usage.
    expect(failure.details.stages?.map((st) => st.stage)).toEqual(['draft']);
    expect(failure.details.usage).toEqual({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
    const siblings = ['judge-a', 'judge-c'].flatMap((m) => requestsFor(m, from));
    await expect(Promise.all(siblings.map((r) => r.outcome))).resolves.toEqual(['closed-early', 'closed-early']);
  });

  it('streams a synthesis as the last stage, the input first for input_plus_answer', async () => {
    const pipeline = pipelineConfigSchema.parse({
      name: 'panel',
      stages: [
        {
          name: 'answers',
          type: 'multi',
          models: ['fake/judge-a', 'fake/judge-b'],
          aggregate: { method: 'template', template: '{{models}} said: {{answer.1}} / {{answer.2}}' },
        },
        {
          name: 'merge',
          type: 'multi',
          models: ['fake/judge-a', 'fake/judge-c'],
          output_mode: 'input_plus_answer',
          aggregate: { method: 'synthesis', model: 'fake/writer', system_prompt: 'Be fair.' },
        },
      ],
    });
    script = {
      'judge-a': { type: 'completion', text: 'A' },
      'judge-b': { type: 'completion', text: 'B' },
      'judge-c': { type: 'completion', text: 'C' },
      writer: { type: 'completion', chunks: ['Both ', 'agree.'] },
    };
    const from = upstream.requests.length;
    const deps = depsFor(new AbortController().signal);
    const result = await runPipeline(pipeline, [{ role: 'user', content: 'Q?' }], deps);

    const input = 'fake/judge-a, fake/judge-b said: A / B';
    expect(result.stages[0]?.output).toBe(input);
    expect(result.text).toBe(`${input}\n\nBoth agree.`);
    expect(deps.deltas).toEqual([`${input}\n\nBoth `, 'agree.']);
    expect(result.stages[1]?.synthesis).toMatchObject({ model: 'fake/writer', text: 'Both agree.' });
    const [writer] = requestsFor('writer', from);
    expect(bodyOf(writer as FakeRequest).messages).toEqual([
      { role: 'system', content: 'Be fair.' },
      { role: 'user', content: expect.stringContaining(`Task:\n${input}\n\nAnswer 1:\nA\n\nAnswer 2:\nC`) },
    ]);
    // Every call's usage counts: 2 + 2 answers and the synthesis (fake default: 10 prompt tokens each).
    expect(result.usage.prompt_tokens).toBe(50);
  });

  it('names the stage when a model id cannot be resolved', async () => {
    const pipeline = pipelineConfigSchema.parse({ name: 'p', stages: [{ name: 'only', type: 'single', model: 'elsewhere/x' }] });
    await expect(runPipeline(pipeline, question, depsFor(new AbortController().signal))).rejects.toThrow(
      'pipeline "p", stage "only", model "elsewhere/x": unknown model elsewhere/x',
    );
  });
});
