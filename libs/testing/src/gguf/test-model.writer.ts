import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { qwenToolsChatTemplate } from './chat-templates.js';
import { encodeGguf, GGUF_DEFAULT_ALIGNMENT, gguf, type GgufTensor, type GgufValue } from './gguf-file.writer.js';
import { gaussian, seededRandom } from './seeded-random.js';
import { buildTestVocab, specialTokens, type TestVocab } from './test-vocab.js';

export interface TestModelOptions {
  /** Same seed, same bytes, same generations. */
  seed?: number;
  /** `llama.context_length`: the longest context the model claims to support. */
  contextLength?: number;
  embeddingLength?: number;
  blockCount?: number;
  headCount?: number;
  /** Fewer KV heads than heads makes the model use grouped-query attention, as most current models do. */
  headCountKv?: number;
  feedForwardLength?: number;
  /** Jinja chat template; defaults to a Qwen2.5-style ChatML template with tools. */
  chatTemplate?: string;
  name?: string;
  /**
   * Log-odds of the end-of-turn token (<|im_end|>) against an ordinary token. Random weights end turns at
   * random; at the default 1 a reply runs a few dozen to a few hundred tokens. Tests needing an exact length
   * suppress it at sampling time instead (the llama-cpp adapter's `ignoreEos`).
   */
  endOfTurnBias?: number;
}

export interface TestModelInfo {
  path: string;
  sizeBytes: number;
  vocabSize: number;
  contextLength: number;
  blockCount: number;
  embeddingLength: number;
  headCount: number;
  headCountKv: number;
  specialTokens: typeof specialTokens;
}

const defaults = {
  seed: 1,
  contextLength: 4096,
  embeddingLength: 64,
  blockCount: 2,
  headCount: 4,
  headCountKv: 2,
  feedForwardLength: 128,
  name: 'switchboard-test-model',
  endOfTurnBias: 1,
} satisfies Omit<Required<TestModelOptions>, 'chatTemplate'>;

/**
 * How the weights shape the output. Dimension 0 of every token embedding holds a constant, and no layer
 * writes to or reads from it, so after the final RMS norm it is a near-constant input to the output matrix:
 * column 0 of `output` then acts as a per-token bias (a unigram prior). That keeps random generations mostly
 * printable text (raw high bytes, control and tool tokens are unlikely) while the remaining dimensions stay
 * random and context-dependent.
 */
const PRIOR_CHANNEL = 0;
const PRIOR_CONSTANT = 8;
const priors = { normal: 0, asciiBytes: -4, highBytes: -12, control: -12, toolCall: -12 };
/**
 * Characters that close JSON strings and containers are likelier than the rest, so grammar-constrained JSON
 * (tool arguments, response_format) ends within a few dozen tokens as a trained model's would, instead of
 * running a random string on for hundreds.
 */
const jsonCloserPriors: Record<string, number> = { '"': 6, '}': 2, ']': 2 };

/** Writes a tiny llama-architecture GGUF v3 model with seeded random F32 weights; returns what it wrote. */
export async function writeTestModel(filePath: string, options: TestModelOptions = {}): Promise<TestModelInfo> {
  const o = { ...defaults, ...options };
  const chatTemplate = options.chatTemplate ?? qwenToolsChatTemplate;
  if (o.embeddingLength % o.headCount !== 0) throw new Error('embeddingLength must be a multiple of headCount');
  if (o.headCount % o.headCountKv !== 0) throw new Error('headCount must be a multiple of headCountKv');

  const vocab = buildTestVocab();
  const metadata = buildMetadata(o, vocab, chatTemplate);
  const tensors = buildTensors(o, vocab);
  const bytes = encodeGguf(metadata, tensors, GGUF_DEFAULT_ALIGNMENT);

  await mkdir(path.dirname(filePath), { recursive: true });
  await writeFile(filePath, bytes);
  return {
    path: filePath,
    sizeBytes: bytes.length,
    vocabSize: vocab.tokens.length,
    contextLength: o.contextLength,
    blockCount: o.blockCount,
    embeddingLength: o.embeddingLength,
    headCount: o.headCount,
    headCountKv: o.headCountKv,
    specialTokens,
  };
}

function buildMetadata(o: typeof defaults, vocab: TestVocab, chatTemplate: string): Map<string, GgufValue> {
  const headDim = o.embeddingLength / o.headCount;
  return new Map<string, GgufValue>([
    ['general.architecture', gguf.str('llama')],
    ['general.name', gguf.str(o.name)],
    ['general.alignment', gguf.u32(GGUF_DEFAULT_ALIGNMENT)],
    ['general.file_type', gguf.u32(0)], // ALL_F32
    ['llama.vocab_size', gguf.u32(vocab.tokens.length)],
    ['llama.context_length', gguf.u32(o.contextLength)],
    ['llama.embedding_length', gguf.u32(o.embeddingLength)],
    ['llama.block_count', gguf.u32(o.blockCount)],
    ['llama.feed_forward_length', gguf.u32(o.feedForwardLength)],
    ['llama.attention.head_count', gguf.u32(o.headCount)],
    ['llama.attention.head_count_kv', gguf.u32(o.headCountKv)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(1e-5)],
    ['llama.rope.dimension_count', gguf.u32(headDim)],
    ['llama.rope.freq_base', gguf.f32(10000)],
    ['tokenizer.ggml.model', gguf.str('llama')],
    ['tokenizer.ggml.tokens', gguf.strings(vocab.tokens)],
    ['tokenizer.ggml.scores', gguf.f32s(vocab.scores)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocab.types)],
    // Qwen-like: no BOS is prepended, <|im_end|> ends a turn, <|endoftext|> pads.
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocab.ids.endOfText)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocab.ids.imEnd)],
    ['tokenizer.ggml.unknown_token_id', gguf.u32(vocab.ids.unknown)],
    ['tokenizer.ggml.padding_token_id', gguf.u32(vocab.ids.endOfText)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(false)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
    ['tokenizer.ggml.add_space_prefix', gguf.bool(false)],
    ['tokenizer.chat_template', gguf.str(chatTemplate)],
  ]);
}

function buildTensors(o: typeof defaults, vocab: TestVocab): GgufTensor[] {
  const normal = gaussian(seededRandom(o.seed));
  const nVocab = vocab.tokens.length;
  const nEmbd = o.embeddingLength;
  const headDim = nEmbd / o.headCount;
  const nEmbdKv = headDim * o.headCountKv;
  const nFf = o.feedForwardLength;

  /** A matrix with `rows` rows of `cols` values (ggml dims [cols, rows]) drawn from N(0, scale). */
  const matrix = (name: string, cols: number, rows: number, scale: number): GgufTensor => {
    const data = new Float32Array(cols * rows);
    for (let i = 0; i < data.length; i++) data[i] = normal() * scale;
    return { name, dims: [cols, rows], data };
  };
  /** Norm weights of 1, except the prior channel, which layers must not see. */
  const norm = (name: string, keepPrior: boolean): GgufTensor => {
    const data = new Float32Array(nEmbd).fill(1);
    if (!keepPrior) data[PRIOR_CHANNEL] = 0;
    return { name, dims: [nEmbd], data };
  };
  /** Layers that write into the residual stream must leave the prior channel alone. */
  const zeroOutputRow = (t: GgufTensor): GgufTensor => {
    const cols = t.dims[0] ?? 0;
    t.data.fill(0, PRIOR_CHANNEL * cols, (PRIOR_CHANNEL + 1) * cols);
    return t;
  };

  const tokenEmbd = matrix('token_embd.weight', nEmbd, nVocab, 1);
  for (let t = 0; t < nVocab; t++) tokenEmbd.data[t * nEmbd + PRIOR_CHANNEL] = PRIOR_CONSTANT;

  const tensors: GgufTensor[] = [tokenEmbd];
  for (let i = 0; i < o.blockCount; i++) {
    tensors.push(
      norm(`blk.${i}.attn_norm.weight`, false),
      matrix(`blk.${i}.attn_q.weight`, nEmbd, nEmbd, 1 / Math.sqrt(nEmbd)),
      matrix(`blk.${i}.attn_k.weight`, nEmbd, nEmbdKv, 1 / Math.sqrt(nEmbd)),
      matrix(`blk.${i}.attn_v.weight`, nEmbd, nEmbdKv, 1 / Math.sqrt(nEmbd)),
      zeroOutputRow(matrix(`blk.${i}.attn_output.weight`, nEmbd, nEmbd, 1 / Math.sqrt(nEmbd))),
      norm(`blk.${i}.ffn_norm.weight`, false),
      matrix(`blk.${i}.ffn_gate.weight`, nEmbd, nFf, 1 / Math.sqrt(nEmbd)),
      matrix(`blk.${i}.ffn_up.weight`, nEmbd, nFf, 1 / Math.sqrt(nEmbd)),
      zeroOutputRow(matrix(`blk.${i}.ffn_down.weight`, nFf, nEmbd, 1 / Math.sqrt(nFf))),
    );
  }
  tensors.push(norm('output_norm.weight', true));

  // Random part: logit noise of about 2 (std) across tokens; prior part: see PRIOR_CHANNEL.
  const output = matrix('output.weight', nEmbd, nVocab, 0.35);
  const priorScale = Math.sqrt((PRIOR_CONSTANT ** 2 + (nEmbd - 1)) / nEmbd) / PRIOR_CONSTANT;
  const setPrior = (ids: number[], logOdds: number): void => {
    for (const t of ids) output.data[t * nEmbd + PRIOR_CHANNEL] = logOdds * priorScale;
  };
  setPrior(vocab.kinds.normal, priors.normal);
  setPrior(vocab.kinds.asciiBytes, priors.asciiBytes);
  setPrior(vocab.kinds.highBytes, priors.highBytes);
  setPrior(vocab.kinds.control, priors.control);
  setPrior(vocab.kinds.toolCall, priors.toolCall);
  for (const [text, logOdds] of Object.entries(jsonCloserPriors)) setPrior([vocab.tokens.indexOf(text)].filter((t) => t >= 0), logOdds);
  setPrior([vocab.ids.imEnd], o.endOfTurnBias);
  tensors.push(output);
  return tensors;
}
