import os from 'node:os';
import type { GgufFileInfo, Llama } from 'node-llama-cpp';

export interface MemoryNeed {
  /** Bytes of RAM the model plus its context need. */
  ramBytes: number;
  /** Bytes of VRAM, when layers are offloaded. */
  vramBytes: number;
}

export interface MemoryPlan {
  contextSize: number;
  sequences: number;
  /** Resolved layer count on the GPU (0 on CPU). */
  gpuLayers: number;
  batchSize?: number;
}

export interface MemoryVerdict {
  need: MemoryNeed;
  freeRamBytes: number;
  freeVramBytes: number;
  /** Which resource is short, if any. */
  shortOf?: 'ram' | 'vram';
}

const GiB = 1024 ** 3;
export const formatGiB = (bytes: number): string => (bytes / GiB).toFixed(bytes < 10 * GiB ? 1 : 0);

/**
 * A lower bound that needs no simulation: the weights (file size; offloaded layers' share goes to VRAM) plus
 * the KV cache, n_layer x n_ctx x sequences x (n_embd_k_gqa + n_embd_v_gqa) x 2 bytes (f16 cache), read from
 * the GGUF metadata. It catches absurd settings at once, before node-llama-cpp's own estimator, whose
 * simulation takes time in proportion to the context asked for.
 */
export function lowerBoundNeed(fileInfo: GgufFileInfo, fileSizeBytes: number, plan: MemoryPlan): MemoryNeed {
  const arch = architectureMetadata(fileInfo);
  const layers = arch.block_count ?? 0;
  const embedding = arch.embedding_length ?? 0;
  const heads = arch.attention?.head_count ?? 1;
  // Some models vary the KV head count per layer (an array); the largest bounds them all.
  const kvHeadsRaw = arch.attention?.head_count_kv ?? heads;
  const kvHeads = Array.isArray(kvHeadsRaw) ? Math.max(...kvHeadsRaw) : kvHeadsRaw;
  const keyLength = arch.attention?.key_length ?? embedding / heads;
  const valueLength = arch.attention?.value_length ?? embedding / heads;
  const kvBytesPerToken = layers * kvHeads * (keyLength + valueLength) * 2;
  const kvBytes = kvBytesPerToken * plan.contextSize * plan.sequences;

  const gpuShare = layers > 0 ? Math.min(plan.gpuLayers, layers) / layers : 0;
  return {
    ramBytes: fileSizeBytes * (1 - gpuShare) + kvBytes * (1 - gpuShare),
    vramBytes: fileSizeBytes * gpuShare + kvBytes * gpuShare,
  };
}

/** node-llama-cpp's estimate (it simulates llama.cpp's allocations), for the model and its context. */
export async function estimatorNeed(llama: Llama, fileInfo: GgufFileInfo, plan: MemoryPlan): Promise<MemoryNeed> {
  // Loaded here, not at the top: the catalogue (on the api, which may run without node-llama-cpp) uses this module.
  const { GgufInsights } = await import('node-llama-cpp');
  const insights = await GgufInsights.from(fileInfo, llama);
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: plan.gpuLayers });
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize: plan.contextSize,
    modelGpuLayers: plan.gpuLayers,
    sequences: plan.sequences,
    ...(plan.batchSize !== undefined ? { batchSize: plan.batchSize } : {}),
  });
  return { ramBytes: model.cpuRam + context.cpuRam, vramBytes: model.gpuVram + context.gpuVram };
}

/** Headroom for everything the estimate does not see (the JS heap, other buffers, the OS). */
const RAM_HEADROOM = 1.1;

export async function checkMemory(
  llama: Llama,
  fileInfo: GgufFileInfo,
  fileSizeBytes: number,
  plan: MemoryPlan,
  free: { ram?: number; vram?: number } = {},
): Promise<MemoryVerdict> {
  const freeRamBytes = free.ram ?? os.freemem();
  const freeVramBytes = free.vram ?? (plan.gpuLayers > 0 ? (await llama.getVramState()).free : 0);
  const verdict = (need: MemoryNeed): MemoryVerdict => {
    const shortOf =
      need.ramBytes * RAM_HEADROOM > freeRamBytes ? 'ram' : plan.gpuLayers > 0 && need.vramBytes > freeVramBytes ? 'vram' : undefined;
    return { need, freeRamBytes, freeVramBytes, ...(shortOf ? { shortOf } : {}) };
  };

  const bound = verdict(lowerBoundNeed(fileInfo, fileSizeBytes, plan));
  if (bound.shortOf) return bound;
  return verdict(await estimatorNeed(llama, fileInfo, plan));
}

interface ArchitectureMetadata {
  block_count?: number;
  embedding_length?: number;
  attention?: { head_count?: number; head_count_kv?: number | number[]; key_length?: number; value_length?: number };
}

function architectureMetadata(fileInfo: GgufFileInfo): ArchitectureMetadata {
  const metadata = fileInfo.metadata as unknown as Record<string, unknown>;
  const arch = metadata[fileInfo.metadata.general.architecture];
  return typeof arch === 'object' && arch !== null ? (arch as ArchitectureMetadata) : {};
}
