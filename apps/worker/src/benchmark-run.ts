import {
  type BenchmarkRecommendationDto,
  type BenchmarkResultDto,
  type CreateBenchmarkRequest,
  ModelCatalog,
  type SwitchboardConfig,
  type Usage,
} from '@switchboard/contracts';
import { emptyUsage, type LanguageModel } from '@switchboard/providers';
import { type ProviderRegistry, resolveTarget } from '@switchboard/runs';
import { benchmarkPromptSets, type BenchmarkPrompt } from './benchmark-prompts.js';
import { containsAnswer, tokenF1 } from './benchmark-quality.js';

export interface BenchmarkRunDeps {
  config: SwitchboardConfig;
  registry: ProviderRegistry;
  /** Stops the benchmark between (and during) calls. */
  signal?: AbortSignal;
}

export interface BenchmarkOutcome {
  results: BenchmarkResultDto[];
  recommendations: BenchmarkRecommendationDto[];
}

/** Raised for a request that names something that is not a model (an agent, a pipeline, an unknown id). */
export class BenchmarkRequestError extends Error {
  override readonly name = 'BenchmarkRequestError';
}

const SYSTEM_PROMPT = 'You are being benchmarked. Answer as briefly as the question asks.';
const RSS_SAMPLE_MS = 50;

interface Measured {
  answer: BenchmarkResultDto['answers'][number];
  usage: Usage;
}

/**
 * Runs the prompt set against every requested model (and the reference model, when it is not one of them),
 * one model after another and one prompt at a time, through the worker's ProviderRegistry: the same
 * LanguageModel objects, llama-cpp pool and HTTP clients that serve runs. Then scores quality and recommends a
 * model per configured agent.
 */
export async function runBenchmark(deps: BenchmarkRunDeps, request: CreateBenchmarkRequest): Promise<BenchmarkOutcome> {
  const prompts = benchmarkPromptSets[request.prompt_set];
  if (!prompts) throw new BenchmarkRequestError(`unknown prompt set "${request.prompt_set}"`);
  const catalog = new ModelCatalog(deps.config);
  const ids = [...new Set(request.models)];
  const reference = request.reference_model;
  const all = reference && !ids.includes(reference) ? [...ids, reference] : ids;
  const targets = all.map((id) => ({ id, ...target(deps.config, catalog, id) }));

  const measured = new Map<string, { result: BenchmarkResultDto; usage: Usage }>();
  for (const t of targets) {
    deps.signal?.throwIfAborted();
    measured.set(t.id, await measureModel(deps, t, prompts, request.max_tokens, t.id === reference && !ids.includes(t.id)));
  }

  const referenceAnswers = reference ? measured.get(reference)!.result.answers : null;
  for (const { result } of measured.values()) score(result, prompts, referenceAnswers);
  const results = [...measured.values()].map((m) => m.result);
  return { results, recommendations: recommend(deps.config, results) };
}

function target(config: SwitchboardConfig, catalog: ModelCatalog, id: string): { provider: string; model: string; local: boolean } {
  let resolved;
  try {
    resolved = resolveTarget(config, catalog, id);
  } catch (error) {
    throw new BenchmarkRequestError(error instanceof Error ? error.message : String(error));
  }
  if (resolved.agent || resolved.pipeline) throw new BenchmarkRequestError(`\`${id}\` is an agent or a pipeline; benchmark the models they use (provider/model)`);
  const provider = config.providers.find((p) => p.name === resolved.provider);
  const local =
    provider?.type === 'llama-cpp' ||
    (provider?.type === 'openai-compatible' &&
      (provider.base_url ? /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(provider.base_url) : provider.preset === 'ollama' || provider.preset === 'dmr'));
  return { provider: resolved.provider, model: resolved.model, local };
}

async function measureModel(
  deps: BenchmarkRunDeps,
  t: { id: string; provider: string; model: string; local: boolean },
  prompts: readonly BenchmarkPrompt[],
  maxTokens: number,
  referenceOnly: boolean,
): Promise<{ result: BenchmarkResultDto; usage: Usage }> {
  const inProcess = deps.config.providers.find((p) => p.name === t.provider)?.type === 'llama-cpp';
  let languageModel: LanguageModel | null = null;
  let setupError: string | null = null;
  try {
    languageModel = deps.registry.get(t.provider, t.model);
  } catch (error) {
    setupError = error instanceof Error ? error.message : String(error);
  }
  // The process that serves a llama-cpp model is this one: its resident set while the model's calls run.
  let peak = inProcess ? process.memoryUsage.rss() : 0;
  const sampler = inProcess ? setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), RSS_SAMPLE_MS) : null;
  const answers: Measured[] = [];
  try {
    for (const prompt of prompts) {
      deps.signal?.throwIfAborted();
      answers.push(languageModel ? await measureCall(languageModel, prompt, maxTokens, deps.signal) : failed(prompt, setupError ?? 'no model'));
    }
  } finally {
    if (sampler) clearInterval(sampler);
  }
  if (inProcess) peak = Math.max(peak, process.memoryUsage.rss());

  const usage = answers.reduce((u, a) => ({
    prompt_tokens: u.prompt_tokens + a.usage.prompt_tokens,
    completion_tokens: u.completion_tokens + a.usage.completion_tokens,
    total_tokens: u.total_tokens + a.usage.total_tokens,
  }), emptyUsage());
  const ok = answers.filter((a) => a.answer.error === null);
  const ttfts = ok.flatMap((a) => (a.answer.ttft_ms === null ? [] : [a.answer.ttft_ms]));
  const latencies = ok.map((a) => a.answer.latency_ms);
  // Decode speed: tokens after the first one's arrival, over the time after it, summed over all answers.
  const decodeMs = ok.reduce((sum, a) => sum + Math.max(0, a.answer.latency_ms - (a.answer.ttft_ms ?? a.answer.latency_ms)), 0);
  const decodeTokens = ok.reduce((sum, a) => sum + a.answer.completion_tokens, 0);
  const firstError = answers.find((a) => a.answer.error !== null)?.answer.error ?? null;
  return {
    usage,
    result: {
      model: t.id,
      provider: t.provider,
      provider_model: t.model,
      local: t.local,
      reference_only: referenceOnly,
      prompts: prompts.length,
      errors: answers.length - ok.length,
      error: firstError,
      ttft_ms: stats(ttfts),
      latency_ms: stats(latencies),
      tokens_per_second: decodeMs > 0 && decodeTokens > 0 ? round((decodeTokens / decodeMs) * 1000, 1) : null,
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      cost: deps.registry.price(t.provider, t.model, usage),
      peak_rss_bytes: inProcess ? peak : null,
      quality: { method: 'contains', score: null },
      answers: answers.map((a) => a.answer),
    },
  };
}

async function measureCall(model: LanguageModel, prompt: BenchmarkPrompt, maxTokens: number, signal: AbortSignal | undefined): Promise<Measured> {
  const started = performance.now();
  let first: number | null = null;
  let text = '';
  let usage = emptyUsage();
  try {
    const { stream } = await model.doStream({
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: prompt.prompt },
      ],
      maxTokens,
      temperature: 0,
      ...(signal ? { abortSignal: signal } : {}),
    });
    for await (const part of stream) {
      if (part.type === 'text-delta') {
        first ??= performance.now();
        text += part.delta;
      } else if (part.type === 'finish') usage = part.usage;
      else if (part.type === 'error') throw part.error;
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ...failed(prompt, error instanceof Error ? error.message : String(error)), usage };
  }
  const end = performance.now();
  return {
    usage,
    answer: {
      prompt_id: prompt.id,
      text: text.slice(0, 500),
      ttft_ms: first === null ? null : round(first - started, 1),
      latency_ms: round(end - started, 1),
      completion_tokens: usage.completion_tokens,
      quality: null,
      error: null,
    },
  };
}

function failed(prompt: BenchmarkPrompt, error: string): Measured {
  return { usage: emptyUsage(), answer: { prompt_id: prompt.id, text: '', ttft_ms: null, latency_ms: 0, completion_tokens: 0, quality: null, error } };
}

/**
 * Fills in each answer's quality and the model's mean. With a reference model: token-F1 against its answer to
 * the same prompt (prompts the reference failed are left out for everyone). Without: contains match against
 * the prompt set's expected answer. A failed answer scores 0.
 */
function score(result: BenchmarkResultDto, prompts: readonly BenchmarkPrompt[], reference: BenchmarkResultDto['answers'] | null): void {
  const scores: number[] = [];
  for (const answer of result.answers) {
    if (reference) {
      const ref = reference.find((r) => r.prompt_id === answer.prompt_id);
      if (!ref || ref.error !== null) continue;
      answer.quality = answer.error === null ? round(tokenF1(answer.text, ref.text), 3) : 0;
    } else {
      const expected = prompts.find((p) => p.id === answer.prompt_id)?.expected ?? '';
      answer.quality = answer.error === null ? containsAnswer(answer.text, expected) : 0;
    }
    scores.push(answer.quality);
  }
  result.quality = { method: reference ? 'token-f1' : 'contains', score: scores.length ? round(scores.reduce((a, b) => a + b, 0) / scores.length, 3) : null };
}

/**
 * Per agent: among the benchmarked models (not a reference-only one) that answered every prompt and whose p50
 * latency fits the agent's sync budget, those within 80 % of the best quality; of them the cheapest, then the
 * fastest. Agents with tools get a note: the prompt set does not test tool calls.
 */
export function recommend(config: SwitchboardConfig, results: BenchmarkResultDto[]): BenchmarkRecommendationDto[] {
  const candidates = results.filter((r) => !r.reference_only && r.errors === 0 && r.quality.score !== null);
  const agents = config.agents.length ? config.agents : [{ name: 'auto', tools: [], budgets: { sync: { max_seconds: 45 } } }];
  return agents.map((agent) => {
    const budgetMs = agent.budgets.sync.max_seconds * 1000;
    const inBudget = candidates.filter((r) => (r.latency_ms?.p50 ?? Infinity) <= budgetMs);
    const toolNote = agent.tools.length ? ' Its tools were not part of the benchmark: check tool calls before switching.' : '';
    if (inBudget.length === 0) {
      const why = candidates.length === 0 ? 'no benchmarked model answered every prompt' : `no model's p50 latency fits its sync budget (${agent.budgets.sync.max_seconds} s)`;
      return { agent: agent.name, model: null, reason: `None recommended: ${why}.${toolNote}` };
    }
    const best = Math.max(...inBudget.map((r) => r.quality.score!));
    const good = inBudget.filter((r) => r.quality.score! >= best * 0.8);
    good.sort((a, b) => a.cost - b.cost || (a.latency_ms?.p50 ?? 0) - (b.latency_ms?.p50 ?? 0));
    const pick = good[0]!;
    const bestModel = inBudget.find((r) => r.quality.score === best)!;
    const others = inBudget.filter((r) => r !== pick);
    const cheaper = others.length ? `; ${others.map((r) => `${r.model}: quality ${r.quality.score}, cost ${r.cost}, p50 ${r.latency_ms?.p50} ms`).join('; ')}` : '';
    const reason =
      `${pick.model}: quality ${pick.quality.score} (${pick.quality.method}; best ${best} by ${bestModel.model}), ` +
      `cost ${pick.cost} for the prompt set, p50 latency ${pick.latency_ms?.p50} ms within the ${agent.budgets.sync.max_seconds} s sync budget` +
      `${good.length > 1 ? ', the cheapest (then fastest) of the models within 80 % of the best quality' : ''}${cheaper}.${toolNote}`;
    return { agent: agent.name, model: pick.model, reason };
  });
}

function stats(values: number[]): { p50: number; max: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(sorted[Math.floor((sorted.length - 1) / 2)]!, 1), max: round(sorted[sorted.length - 1]!, 1) };
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
