import { openAICompatibleProviderSchema } from '@switchboard/contracts';
import { createOpenAICompatibleModel } from '../src/index.js';
import { startFakeUpstream, type FakeReply } from '@switchboard/testing';
import { describeLanguageModelConformance, type ConformanceSuite, type ScriptedAnswer } from './conformance.js';

function toFakeReply(answer: ScriptedAnswer): FakeReply {
  switch (answer.type) {
    case 'text':
      return { type: 'completion', text: answer.text, deltas: answer.deltas, usage: answer.usage, deltaDelayMs: answer.delayBetweenDeltasMs };
    case 'tool-calls':
      return { type: 'completion', toolCalls: answer.calls, usage: answer.usage };
    case 'http-error':
      return {
        type: 'http-error',
        status: answer.status,
        message: answer.message,
        retryAfter: answer.retryAfterSeconds === undefined ? undefined : String(answer.retryAfterSeconds),
      };
    case 'silence':
      return { type: 'hang', afterHeaders: true };
    case 'drop-mid-stream':
      return { type: 'completion', chunks: answer.chunks, dropAfterDeltas: answer.afterDeltas };
    case 'error-mid-stream':
      return {
        type: 'completion',
        chunks: answer.chunks,
        errorAfterDeltas: { after: answer.afterDeltas, message: answer.message },
      };
  }
}

/** A fresh fake upstream per suite; scriptAnswer swaps the reply the next requests get. */
async function setup(): ReturnType<ConformanceSuite['setup']> {
  let reply: FakeReply = { type: 'completion', text: 'unscripted' };
  const upstream = await startFakeUpstream({ reply: () => reply });
  return {
    target: {
      createModel: (limits = {}) =>
        createOpenAICompatibleModel(
          openAICompatibleProviderSchema.parse({
            name: 'fake',
            type: 'openai-compatible',
            base_url: upstream.url,
            first_token_timeout_ms: limits.firstTokenTimeoutMs ?? 5000,
            timeout_ms: limits.timeoutMs ?? 20_000,
          }),
          'fake-model',
        ),
      scriptAnswer: (answer) => {
        reply = toFakeReply(answer);
      },
      lastRequestBody: () => upstream.requests.at(-1)?.body as Record<string, unknown> | undefined,
      callReleased: async () => {
        const last = upstream.requests.at(-1);
        if (!last) throw new Error('no request reached the upstream');
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          last.outcome,
          new Promise<'still open'>((resolve) => (timer = setTimeout(resolve, 2000, 'still open'))),
        ]).finally(() => clearTimeout(timer));
        if (outcome !== 'closed-early') throw new Error(`expected the upstream to see the connection closed, got: ${outcome}`);
      },
    },
    teardown: () => upstream.close(),
  };
}

describeLanguageModelConformance({
  name: 'openai-compatible over the fake upstream',
  capabilities: {
    scriptedAnswers: true,
    requestInspection: true,
    httpErrors: true,
    silence: true,
    streamFaults: true,
    toolCalls: true,
    jsonSchema: true,
  },
  setup,
});

// The suite's branches for targets that cannot script answers (a real local model) run here too, so they
// are known to work before the llama-cpp adapter relies on them.
describeLanguageModelConformance({
  name: 'openai-compatible, seen as a model that cannot be scripted',
  capabilities: {
    scriptedAnswers: false,
    requestInspection: false,
    httpErrors: false,
    silence: false,
    streamFaults: false,
    toolCalls: true,
    jsonSchema: true,
  },
  setup,
});
