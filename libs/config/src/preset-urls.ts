import type { SwitchboardConfig } from '@switchboard/contracts';
import type { LoadContext } from './load-context.js';

/**
 * Where the local-server presets are, when not on this host's 127.0.0.1: inside a container that address is
 * the container itself, while Ollama or Docker Model Runner usually run on the Docker host. compose.yml sets
 * these to host.docker.internal. A provider's own `base_url` still wins.
 */
export const PRESET_URL_VARIABLES = { ollama: 'OLLAMA_BASE_URL', dmr: 'DMR_BASE_URL' } as const;

export function applyPresetUrls(config: SwitchboardConfig, ctx: LoadContext): void {
  for (const provider of config.providers) {
    if (provider.type !== 'openai-compatible' || provider.base_url !== undefined) continue;
    if (provider.preset !== 'ollama' && provider.preset !== 'dmr') continue;
    const name = PRESET_URL_VARIABLES[provider.preset];
    const value = ctx.env[name]?.trim();
    if (!value) continue;
    if (!/^https?:\/\/[^/]/i.test(value) || !URL.canParse(value)) {
      ctx.problems.push(`${name}: expected a URL such as http://host.docker.internal:11434/v1, got "${value}"`);
      continue;
    }
    provider.base_url = value.replace(/\/+$/, '');
  }
}
