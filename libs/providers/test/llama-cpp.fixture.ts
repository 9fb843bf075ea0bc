import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { llamaCppProviderSchema, type LlamaCppProviderConfig } from '@switchboard/contracts';
import {
  createLlamaCppProvider,
  type LlamaCallSettled,
  type LlamaCppProvider,
  type LlamaCppProviderOptions,
  type StreamPart,
} from '../src/index.js';
import { writeTestModel, type TestModelInfo } from '@switchboard/testing';

/** A generated test model in a temp dir; removed by `remove()`. */
export interface TestModelDir {
  dir: string;
  model: TestModelInfo;
  remove(): Promise<void>;
}

export async function testModelDir(seed = 11): Promise<TestModelDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-llama-'));
  const model = await writeTestModel(path.join(dir, 'test-model.gguf'), { seed });
  return { dir, model, remove: () => rm(dir, { recursive: true, force: true }) };
}

export type ProviderInput = Omit<Partial<LlamaCppProviderConfig>, 'models'> & {
  models: { name: string; file?: string; params?: Partial<LlamaCppProviderConfig['models'][number]['params']> }[];
};

/** A llama-cpp provider over models in `dir`, on the CPU, that records every settled call. */
export interface ProviderFixture {
  provider: LlamaCppProvider;
  settled: LlamaCallSettled[];
  /** Resolves with the next call to settle (free its sequence), or rejects after `ms`. */
  nextSettled(ms?: number): Promise<LlamaCallSettled>;
  close(): Promise<void>;
}

export function startProvider(dir: string, input: ProviderInput, options: LlamaCppProviderOptions = {}): ProviderFixture {
  const config = llamaCppProviderSchema.parse({
    name: 'local',
    type: 'llama-cpp',
    ...input,
    models: input.models.map((m) => ({ file: 'test-model.gguf', ...m, params: { n_ctx: 2048, threads: 1, ...m.params } })),
  });
  const settled: LlamaCallSettled[] = [];
  const waiters: ((event: LlamaCallSettled) => void)[] = [];
  const provider = createLlamaCppProvider(config, {
    modelsDir: dir,
    gpu: false,
    ...options,
    onCallSettled: (event) => {
      settled.push(event);
      waiters.shift()?.(event);
    },
  });
  return {
    provider,
    settled,
    nextSettled: (ms = 2000) =>
      new Promise<LlamaCallSettled>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no call settled within ${ms} ms`)), ms);
        waiters.push((event) => {
          clearTimeout(timer);
          resolve(event);
        });
      }),
    close: () => provider.close(),
  };
}

export const textOf = (parts: StreamPart[]): string => parts.map((p) => (p.type === 'text-delta' ? p.delta : '')).join('');
export const finishOf = (parts: StreamPart[]): Extract<StreamPart, { type: 'finish' }> | undefined =>
  parts.find((p): p is Extract<StreamPart, { type: 'finish' }> => p.type === 'finish');
export const errorOf = (parts: StreamPart[]): Extract<StreamPart, { type: 'error' }> | undefined =>
  parts.find((p): p is Extract<StreamPart, { type: 'error' }> => p.type === 'error');
