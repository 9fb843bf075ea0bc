import type { OpenAICompatibleProviderConfig, ProviderPreset } from '@switchboard/contracts';

interface PresetInfo {
  baseURL: string;
  /** Hosted services reject a call without a key; local servers accept any. */
  needsApiKey: boolean;
  /** A server on the user's own machine: probed in the background (health_check). */
  local: boolean;
  /**
   * How an answer cut off elsewhere is continued here: `prefill` where a trailing assistant message is continued
   * as it stands (OpenRouter documents it; llama.cpp's server, which Docker Model Runner runs, does it), `instruct`
   * where it is not (OpenAI and Hugging Face answer anew; vLLM needs `continue_final_message`, Ollama depends on
   * the model's template).
   */
  continuation: 'prefill' | 'instruct';
}

export const presets: Readonly<Record<ProviderPreset, PresetInfo>> = {
  openai: { baseURL: 'https://api.openai.com/v1', needsApiKey: true, local: false, continuation: 'instruct' },
  openrouter: { baseURL: 'https://openrouter.ai/api/v1', needsApiKey: true, local: false, continuation: 'prefill' },
  huggingface: { baseURL: 'https://router.huggingface.co/v1', needsApiKey: true, local: false, continuation: 'instruct' },
  ollama: { baseURL: 'http://127.0.0.1:11434/v1', needsApiKey: false, local: true, continuation: 'instruct' },
  dmr: { baseURL: 'http://127.0.0.1:12434/engines/v1', needsApiKey: false, local: true, continuation: 'prefill' },
  vllm: { baseURL: 'http://127.0.0.1:8000/v1', needsApiKey: false, local: true, continuation: 'instruct' },
};

/** Whether a base URL points at this machine (a llama.cpp server, a local vLLM, a test upstream). */
function isLoopback(baseURL: string): boolean {
  try {
    const host = new URL(baseURL).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

/** How the router treats a provider: background probes, and how a cut answer continues on it. */
export function providerTraits(config: OpenAICompatibleProviderConfig): { healthCheck: boolean; continuation: 'prefill' | 'instruct' } {
  const preset = config.preset ? presets[config.preset] : undefined;
  const local = preset?.local ?? isLoopback(config.base_url ?? '');
  return {
    // Presets of local servers are probed by default; any other server (a llama.cpp server on a base_url) opts in.
    healthCheck: config.health_check ?? preset?.local ?? false,
    continuation: config.continuation ?? preset?.continuation ?? (local ? 'prefill' : 'instruct'),
  };
}

/**
 * The SDK refuses to build a client without a key and would otherwise fall back to OPENAI_API_KEY from the
 * environment (sending an OpenAI secret to whatever base URL is configured). Servers that need no key get
 * this placeholder, the one llama.cpp's server documents.
 */
export const placeholderApiKey = 'sk-no-key-required';

export interface ResolvedEndpoint {
  baseURL: string;
  /** The key to send; the placeholder when none is configured. */
  apiKey: string;
  /** Set when a key is required but missing: calls fail with this message instead of being sent. */
  missingKey?: string;
}

export function resolveEndpoint(config: OpenAICompatibleProviderConfig): ResolvedEndpoint {
  const preset = config.preset ? presets[config.preset] : undefined;
  const baseURL = config.base_url ?? preset?.baseURL;
  if (!baseURL) {
    throw new Error(`provider "${config.name}": set providers[].preset (${Object.keys(presets).join(', ')}) or providers[].base_url`);
  }
  const endpoint: ResolvedEndpoint = { baseURL: baseURL.replace(/\/+$/, ''), apiKey: config.api_key ?? placeholderApiKey };
  if (!config.api_key && preset?.needsApiKey) {
    endpoint.missingKey = `provider "${config.name}" (preset ${config.preset}) needs providers[].api_key; none is configured`;
  }
  return endpoint;
}
