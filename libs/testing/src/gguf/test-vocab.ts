/**
 * A SentencePiece-style ("llama" tokenizer model) vocabulary with byte fallback: every byte is reachable as
 * <0xNN>, printable ASCII and a few common pieces are whole tokens so generated text reads as text, and the
 * ChatML / Qwen special tokens let node-llama-cpp format chats and tool calls like a real instruct model.
 */

/** llama.cpp's llama_token_type values as stored in `tokenizer.ggml.token_type`. */
export enum TokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  BYTE = 6,
}

/** SentencePiece writes a space as U+2581. */
export const SPM_SPACE = '\u2581';

export const specialTokens = {
  unknown: '<unk>',
  endOfText: '<|endoftext|>',
  imStart: '<|im_start|>',
  imEnd: '<|im_end|>',
  toolCallStart: '<tool_call>',
  toolCallEnd: '</tool_call>',
} as const;

/** Common English pieces; their order sets the merge priority (earlier = higher score), as in a trained model. */
const pieces = [
  'th', 'he', 'in', 'er', 'an', 're', 'on', 'at', 'en', 'nd', 'ti', 'es', 'or', 'te', 'of', 'ed', 'is', 'it',
  'al', 'ar', 'st', 'to', 'nt', 'ng', 'se', 'ha', 'as', 'ou', 'io', 'le', 've', 'co', 'me', 'de', 'hi', 'ri',
  `${SPM_SPACE}t`, `${SPM_SPACE}a`, `${SPM_SPACE}s`, `${SPM_SPACE}w`, `${SPM_SPACE}th`, `${SPM_SPACE}the`,
  `${SPM_SPACE}to`, `${SPM_SPACE}and`, `${SPM_SPACE}of`, `${SPM_SPACE}in`, `${SPM_SPACE}is`, `${SPM_SPACE}it`,
  'the', 'ing', 'ion', 'ent', 'and',
];

export interface TestVocab {
  tokens: string[];
  scores: number[];
  types: TokenType[];
  ids: { [K in keyof typeof specialTokens]: number };
  /** Token ids by kind, so the weight writer can give each kind its own prior. */
  kinds: { normal: number[]; asciiBytes: number[]; highBytes: number[]; control: number[]; toolCall: number[] };
}

export function buildTestVocab(): TestVocab {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: TokenType[] = [];
  const add = (text: string, type: TokenType, score = 0): number => {
    tokens.push(text);
    scores.push(score);
    types.push(type);
    return tokens.length - 1;
  };

  const ids = {
    unknown: add(specialTokens.unknown, TokenType.UNKNOWN),
    endOfText: add(specialTokens.endOfText, TokenType.CONTROL),
    imStart: add(specialTokens.imStart, TokenType.CONTROL),
    imEnd: add(specialTokens.imEnd, TokenType.CONTROL),
    // Qwen2.5 marks these as added tokens that are not "special": they tokenize and print as themselves.
    toolCallStart: add(specialTokens.toolCallStart, TokenType.USER_DEFINED),
    toolCallEnd: add(specialTokens.toolCallEnd, TokenType.USER_DEFINED),
  };
  const kinds: TestVocab['kinds'] = {
    normal: [],
    asciiBytes: [],
    highBytes: [],
    control: [ids.unknown, ids.endOfText, ids.imStart, ids.imEnd],
    toolCall: [ids.toolCallStart, ids.toolCallEnd],
  };

  for (let b = 0; b < 256; b++) {
    const id = add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.BYTE);
    (b < 0x80 ? kinds.asciiBytes : kinds.highBytes).push(id);
  }

  kinds.normal.push(add(SPM_SPACE, TokenType.NORMAL, -1000));
  for (let c = 0x21; c <= 0x7e; c++) kinds.normal.push(add(String.fromCharCode(c), TokenType.NORMAL, -1000));
  pieces.forEach((p, i) => kinds.normal.push(add(p, TokenType.NORMAL, -(i + 1))));

  return { tokens, scores, types, ids, kinds };
}
