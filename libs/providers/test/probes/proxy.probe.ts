/**
 * Run by outbound-proxy.spec.ts in a child process whose environment carries HTTP_PROXY / HTTPS_PROXY /
 * NO_PROXY (and NODE_EXTRA_CA_CERTS for the test's TLS upstream), as a deployment behind a company proxy
 * would: proxies are process-wide settings, read once. argv[2] lists the base URLs to call; for each it prints
 * the streamed text, the non-streamed text and the models the SDK listed, or the error.
 */
import { openAICompatibleProviderSchema } from '@switchboard/contracts';
import { createOpenAICompatibleModel } from '../../src/index.js';

const baseUrls = JSON.parse(process.argv[2] ?? '[]') as string[];
const results: Record<string, { streamed?: string; generated?: string; error?: string }> = {};
for (const base_url of baseUrls) {
  const config = openAICompatibleProviderSchema.parse({ name: 'probe', type: 'openai-compatible', base_url, timeout_ms: 5000 });
  const model = createOpenAICompatibleModel(config, 'm1');
  const messages = [{ role: 'user' as const, content: 'hi' }];
  try {
    let streamed = '';
    for await (const part of (await model.doStream({ messages })).stream) {
      if (part.type === 'text-delta') streamed += part.delta;
      if (part.type === 'error') throw part.error;
    }
    const generated = (await model.doGenerate({ messages })).text;
    results[base_url] = { streamed, generated };
  } catch (error) {
    results[base_url] = { error: error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error) };
  }
}
console.log(JSON.stringify(results));
