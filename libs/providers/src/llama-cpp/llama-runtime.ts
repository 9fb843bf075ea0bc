import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';

/** The slice of a pino logger this adapter uses; pino's Logger fits it as it is. */
export interface LlamaCppLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: LlamaCppLogger = { debug() {}, info() {}, warn() {}, error() {} };

export type LlamaGpuMode = 'auto' | false;

const runtimes = new Map<LlamaGpuMode, Promise<Llama>>();
let llamaLogger: LlamaCppLogger = silentLogger;

/**
 * The process-wide node-llama-cpp runtime (the native binding and its backend), loaded once per GPU mode and
 * shared by every llama-cpp provider. `build: "never"`: a missing prebuilt binary fails at once instead of
 * compiling llama.cpp for minutes inside a worker.
 */
export function llamaRuntime(gpu: LlamaGpuMode, logger: LlamaCppLogger): Promise<Llama> {
  if (llamaLogger === silentLogger) llamaLogger = logger;
  let runtime = runtimes.get(gpu);
  if (!runtime) {
    runtime = getLlama({
      build: 'never',
      gpu,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => logNative(level, message),
    });
    // A failed load (no binary for this platform) is not cached: the next call reports it again.
    runtime.catch(() => runtimes.delete(gpu));
    runtimes.set(gpu, runtime);
  }
  return runtime;
}

function logNative(level: LlamaLogLevel, message: string): void {
  const text = message.trim();
  if (text === '') return;
  switch (level) {
    case LlamaLogLevel.fatal:
    case LlamaLogLevel.error:
      return llamaLogger.error({ source: 'llama.cpp' }, text);
    case LlamaLogLevel.warn:
      return llamaLogger.warn({ source: 'llama.cpp' }, text);
    case LlamaLogLevel.info:
    case LlamaLogLevel.log:
      return llamaLogger.info({ source: 'llama.cpp' }, text);
    case LlamaLogLevel.debug:
    case LlamaLogLevel.disabled:
      return llamaLogger.debug({ source: 'llama.cpp' }, text);
  }
}
