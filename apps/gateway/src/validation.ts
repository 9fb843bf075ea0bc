import { type ChatCompletionRequest, chatCompletionRequestSchema } from '@switchboard/contracts';
import type { z } from 'zod';
import { OpenAIError } from './openai-error.js';

/** `messages[0].content` from a zod issue path, the way OpenAI names a bad parameter. */
function paramPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

export function parseChatRequest(body: string): ChatCompletionRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw OpenAIError.invalidRequest(
      `We could not parse the JSON body of your request: ${(error as Error).message}`,
      null,
      'invalid_json',
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw OpenAIError.invalidRequest('The request body must be a JSON object.', null, 'invalid_json');
  }
  const parsed = chatCompletionRequestSchema.safeParse(json);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

function fromZod(error: z.ZodError): OpenAIError {
  const issue = error.issues[0];
  if (!issue) return OpenAIError.invalidRequest('Invalid request.');
  const param = paramPath(issue.path);
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  const message = missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param || 'body'}': ${issue.message}.`;
  return OpenAIError.invalidRequest(message, param || null, missing ? 'missing_required_parameter' : 'invalid_value');
}
