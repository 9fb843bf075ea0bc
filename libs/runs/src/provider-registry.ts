import type { ProviderConfig, SwitchboardConfig, Usage } from '@switchboard/contracts';
import {
  createLlamaCppProvider,
  createOpenAICompatibleModel,
  type LanguageModel,
  type LlamaCppProvider,
} from '@switchboard/providers';
import type { Logger } from 'pino';

/**
 * The worker's models, made once per provider/model and reused by every run (SDK clients keep their
 * connection pools; llama models stay loaded).
 */
export class ProviderRegistry {
  private readonly models = new Map<string, LanguageModel>();
  private readonly llama = new Map<string, LlamaCppProvider>();

  constructor(
    private readonly config: SwitchboardConfig,
    private readonly logger: Logger,
  ) {}

  get(providerName: string, modelId: string): LanguageModel {
    const key = `${providerName}/${modelId}`;
    let model = this.models.get(key);
    if (model) return model;
    const provider = this.config.providers.find((p) => p.name === providerName);
    if (!provider || !provider.enabled) throw new Error(`provider \`${providerName}\` is not configured or not enabled`);
    model = this.create(provider, modelId);
    this.models.set(key, model);
    return model;
  }

  /** What a call's usage cost, from the provider's `pricing` (0 when the model has no price). */
  price(providerName: string, modelId: string, usage: Usage): number {
    const pricing = this.config.providers.find((p) => p.name === providerName)?.pricing;
    const price = pricing?.[modelId] ?? pricing?.['*'];
    return price ? (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000 : 0;
  }

  private create(provider: ProviderConfig, modelId: string): LanguageModel {
    switch (provider.type) {
      case 'openai-compatible':
        return createOpenAICompatibleModel(provider, modelId);
      case 'llama-cpp': {
        let llama = this.llama.get(provider.name);
        if (!llama) {
          llama = createLlamaCppProvider(provider, { logger: this.logger });
          this.llama.set(provider.name, llama);
        }
        return llama.languageModel(modelId);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.llama.values()].map((l) => l.close()));
  }
}
