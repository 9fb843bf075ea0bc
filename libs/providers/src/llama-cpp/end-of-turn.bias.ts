import { TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';

/**
 * A token bias that makes every end-of-generation token impossible, for fixed-length generations
 * (tests, benchmarks): a model with random weights ends its turn at random.
 *
 * `TokenBias.set()` skips end-of-generation tokens on purpose, so this writes the bias map the sampler reads
 * (`_biases`, node-llama-cpp 3.22). If a later version renames it, the fixed-length tests fail loudly.
 */
export function endOfTurnSuppressingBias(model: LlamaModel): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  const biases = (bias as unknown as { _biases?: Map<Token, number> })._biases;
  if (!(biases instanceof Map)) throw new Error('node-llama-cpp TokenBias has no _biases map; cannot suppress end-of-turn tokens');
  for (const token of endOfGenerationTokens(model)) biases.set(token, -Infinity);
  return bias;
}

/** Every token id the model treats as end of generation (EOS, EOT, <|im_end|>, ...). */
export function endOfGenerationTokens(model: LlamaModel): Token[] {
  const vocabSize = vocabularySize(model);
  const tokens: Token[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const token = id as Token;
    if (model.isEogToken(token)) tokens.push(token);
  }
  return tokens;
}

function vocabularySize(model: LlamaModel): number {
  const metadata = model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } } & Record<string, unknown>;
  const fromTokens = metadata.tokenizer?.ggml?.tokens?.length;
  if (typeof fromTokens === 'number' && fromTokens > 0) return fromTokens;
  const arch = metadata[model.fileInfo.metadata.general.architecture] as { vocab_size?: number } | undefined;
  if (typeof arch?.vocab_size === 'number') return arch.vocab_size;
  throw new Error('cannot tell the vocabulary size from the GGUF metadata');
}
