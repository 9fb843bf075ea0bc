import { describe, expect, it } from '@jest/globals';
import { openAICompatibleProviderSchema, providerPresets, type OpenAICompatibleProviderConfig } from '@switchboard/contracts';
import { placeholderApiKey, presets, resolveEndpoint } from './presets.js';

const config = (extra: Record<string, unknown>): OpenAICompatibleProviderConfig =>
  openAICompatibleProviderSchema.parse({ name: 'p', type: 'openai-compatible', ...extra });

describe('resolveEndpoint', () => {
  it('knows every preset the config schema allows', () => {
    expect(Object.keys(presets).sort()).toEqual([...providerPresets].sort());
  });

  it.each([
    ['openai', 'https://api.openai.com/v1'],
    ['openrouter', 'https://openrouter.ai/api/v1'],
    ['huggingface', 'https://router.huggingface.co/v1'],
    ['ollama', 'http://127.0.0.1:11434/v1'],
    ['dmr', 'http://127.0.0.1:12434/engines/v1'],
    ['vllm', 'http://127.0.0.1:8000/v1'],
  ])('preset %s points at %s', (preset, url) => {
    expect(resolveEndpoint(config({ preset, api_key: 'k' })).baseURL).toBe(url);
  });

  it('lets base_url override the preset, without a trailing slash', () => {
    expect(resolveEndpoint(config({ preset: 'vllm', base_url: 'http://gpu-box:9000/v1/' })).baseURL).toBe('http://gpu-box:9000/v1');
  });

  it('sends a placeholder key to servers that need none', () => {
    for (const preset of ['ollama', 'dmr', 'vllm']) {
      const endpoint = resolveEndpoint(config({ preset }));
      expect(endpoint.apiKey).toBe(placeholderApiKey);
      expect(endpoint.missingKey).toBeUndefined();
    }
    expect(resolveEndpoint(config({ base_url: 'http://127.0.0.1:1/v1' })).apiKey).toBe(placeholderApiKey);
  });

  it('flags hosted presets without a key (an unset ${VAR} yields none)', () => {
    for (const preset of ['openai', 'openrouter', 'huggingface']) {
      expect(resolveEndpoint(config({ preset, api_key: '' })).missingKey).toMatch(/needs providers\[\]\.api_key/);
    }
    expect(resolveEndpoint(config({ preset: 'openrouter', api_key: 'sk-or-1' }))).toEqual({
      baseURL: 'https://openrouter.ai/api/v1',
      apiKey: 'sk-or-1',
    });
  });

  it('refuses a provider with neither preset nor base_url, naming the keys', () => {
    expect(() => resolveEndpoint(config({}))).toThrow(/providers\[\]\.preset .*providers\[\]\.base_url/);
  });
});
