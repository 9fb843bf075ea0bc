import type { OpenAICompatibleProviderConfig, ProviderPreset } from '@switchboard/contracts';

interface PresetInfo {
  baseURL: string;
  /** Hosted services reject a call without a key; local servers accept any. */
  needsApiKey: boolean;
}

export const presets: Readonly<Record<ProviderPreset, PresetInfo>> = {
  openai: { baseURL: 'https://api.openai.com/v1', needsApiKey: true },
  openrouter: { baseURL: 'https://openrouter.ai/api/v1', needsApiKey: true },
  huggingface: { baseURL: 'https://router.huggingface.co/v1', needsApiKey: true },
  ollama: { baseURL: 'http://127.0.0.1:11434/v1', needsApiKey: false },
  dmr: { baseURL: 'http://127.0.0.1:12434/engines/v1', needsApiKey: false },
  vllm: { baseURL: 'http://127.0.0.1:8000/v1', needsApiKey: false },
};

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
