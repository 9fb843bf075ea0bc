import { describe, expect, it } from '@jest/globals';
import { OpenAIError } from './openai-error.js';
import { parseChatRequest } from './validation.js';

const errorOf = (body: string): OpenAIError => {
  try {
    parseChatRequest(body);
  } catch (error) {
    if (error instanceof OpenAIError) return error;
    throw error;
  }
  throw new Error('expected a validation error');
};

describe('parseChatRequest', () => {
  it('accepts a minimal request and keeps unknown keys clients send', () => {
    const r = parseChatRequest(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }], metadata: { a: 1 } }));
    expect(r.model).toBe('auto');
  });

  it('names the parameter of the first problem, the way OpenAI does', () => {
    expect(errorOf(JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }))).toMatchObject({
      status: 400,
      param: 'model',
      code: 'missing_required_parameter',
    });
    expect(errorOf(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 9 }))).toMatchObject({
      param: 'temperature',
      code: 'invalid_value',
    });
    expect(errorOf(JSON.stringify({ model: 'm', messages: [{ role: 'tool', content: 'x' }] })).param).toMatch(/^messages\[0\]/);
  });

  it('refuses malformed JSON and non-object bodies as invalid_json', () => {
    expect(errorOf('{').code).toBe('invalid_json');
    expect(errorOf('[1]').code).toBe('invalid_json');
  });
});
