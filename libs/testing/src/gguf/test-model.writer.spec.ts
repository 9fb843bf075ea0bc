import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readGgufFileInfo } from 'node-llama-cpp';
import { encodeGguf, gguf, GgufValueType } from './gguf-file.writer.js';
import { buildTestVocab, TokenType } from './test-vocab.js';
import { writeTestModel } from './test-model.writer.js';

describe('encodeGguf', () => {
  it('writes the v3 header, typed metadata and aligned tensor data', () => {
    const data = Float32Array.from([1, 2, 3]);
    const bytes = encodeGguf(
      new Map([
        ['general.alignment', gguf.u32(32)],
        ['a.flag', gguf.bool(true)],
        ['a.list', gguf.strings(['x', 'yz'])],
      ]),
      [{ name: 't', dims: [3], data }],
    );
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(bytes.readBigUInt64LE(8)).toBe(1n);
    expect(bytes.readBigUInt64LE(16)).toBe(3n);
    // The one tensor's data starts at an aligned offset and ends the file (plus padding).
    const dataStart = bytes.length - 32;
    expect(dataStart % 32).toBe(0);
    expect(Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + dataStart + 12)))).toEqual([1, 2, 3]);
  });

  it('refuses a tensor whose data does not match its dims', () => {
    expect(() => encodeGguf(new Map(), [{ name: 't', dims: [2, 2], data: new Float32Array(3) }])).toThrow(/2x2/);
  });

  it('refuses a value of the wrong type', () => {
    expect(() => encodeGguf(new Map([['k', { type: GgufValueType.UINT32, value: 'x' }]]), [])).toThrow(/needs a number/);
  });
});

describe('buildTestVocab', () => {
  it('has all 256 byte tokens, printable pieces and the ChatML specials', () => {
    const vocab = buildTestVocab();
    const bytes = vocab.tokens.filter((_, i) => vocab.types[i] === TokenType.BYTE);
    expect(bytes).toHaveLength(256);
    expect(bytes[0]).toBe('<0x00>');
    expect(bytes[255]).toBe('<0xFF>');
    for (const special of ['<|im_start|>', '<|im_end|>', '<|endoftext|>']) {
      expect(vocab.types[vocab.tokens.indexOf(special)]).toBe(TokenType.CONTROL);
    }
    expect(new Set(vocab.tokens).size).toBe(vocab.tokens.length);
  });
});

describe('writeTestModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sb-gguf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is deterministic from its seed', async () => {
    const a = await writeTestModel(path.join(dir, 'a.gguf'), { seed: 5 });
    const b = await writeTestModel(path.join(dir, 'b.gguf'), { seed: 5 });
    const c = await writeTestModel(path.join(dir, 'c.gguf'), { seed: 6 });
    const [ab, bb, cb] = await Promise.all([a.path, b.path, c.path].map((p) => readFile(p)));
    expect(ab?.equals(bb as Buffer)).toBe(true);
    expect(ab?.equals(cb as Buffer)).toBe(false);
    expect(a.sizeBytes).toBe(ab?.length);
    // "A few hundred KB": small enough to write in every test suite's beforeAll.
    expect(a.sizeBytes).toBeGreaterThan(100_000);
    expect(a.sizeBytes).toBeLessThan(1_000_000);
  });

  it('is a llama GGUF that node-llama-cpp reads: hyperparameters, tokenizer, chat template, tensors', async () => {
    const info = await writeTestModel(path.join(dir, 'model.gguf'), { contextLength: 1024 });
    const file = await readGgufFileInfo(info.path);
    expect(file.version).toBe(3);
    const meta = file.metadata as unknown as {
      general: { architecture: string };
      llama: { context_length: number; block_count: number; embedding_length: number; attention: { head_count: number; head_count_kv: number } };
      tokenizer: { ggml: { model: string; tokens: string[]; eos_token_id: number }; chat_template: string };
    };
    expect(meta.general.architecture).toBe('llama');
    expect(meta.llama).toMatchObject({ context_length: 1024, block_count: 2, embedding_length: 64, attention: { head_count: 4, head_count_kv: 2 } });
    expect(meta.tokenizer.ggml.model).toBe('llama');
    expect(meta.tokenizer.ggml.tokens).toHaveLength(info.vocabSize);
    expect(meta.tokenizer.ggml.tokens[meta.tokenizer.ggml.eos_token_id]).toBe('<|im_end|>');
    expect(meta.tokenizer.chat_template).toContain('<tool_call>');

    const tensors = new Map((file.fullTensorInfo ?? file.tensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)]));
    expect(tensors.get('token_embd.weight')).toEqual([64, info.vocabSize]);
    expect(tensors.get('blk.0.attn_q.weight')).toEqual([64, 64]);
    expect(tensors.get('blk.1.attn_k.weight')).toEqual([64, 32]);
    expect(tensors.get('blk.1.ffn_down.weight')).toEqual([128, 64]);
    expect(tensors.get('output.weight')).toEqual([64, info.vocabSize]);
    expect(tensors.size).toBe(3 + 2 * 9);
  });
});
