import { describe, expect, it } from '@jest/globals';
import type { ChatMessage, ToolDefinition } from '@switchboard/contracts';
import { toChatFunctions, toChatHistory, toolCallRequired } from './chat-history.mapper.js';

const weather: ToolDefinition = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};
const time: ToolDefinition = { type: 'function', function: { name: 'now' } };

describe('toChatHistory', () => {
  it('maps roles, joins text parts, drops images and opens a model turn', () => {
    const messages: ChatMessage[] = [
      { role: 'developer', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image_url', image_url: { url: 'data:,' } },
          { type: 'text', text: 'what is it?' },
        ],
      },
    ];
    expect(toChatHistory(messages)).toEqual([
      { type: 'system', text: 'Be brief.' },
      { type: 'user', text: 'Look:\nwhat is it?' },
      { type: 'model', response: [] },
    ]);
  });

  it('folds tool results into the calling turn and continues that turn', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather in Oslo and Paris?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          { id: 'c2', type: 'function', function: { name: 'get_weather', arguments: 'not json' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c2', content: 'rain' },
      { role: 'tool', tool_call_id: 'c1', content: 'sun' },
    ];
    expect(toChatHistory(messages)).toEqual([
      { type: 'user', text: 'Weather in Oslo and Paris?' },
      {
        type: 'model',
        response: [
          'Checking.',
          { type: 'functionCall', name: 'get_weather', params: { city: 'Oslo' }, result: 'sun', startsNewChunk: true },
          { type: 'functionCall', name: 'get_weather', params: 'not json', result: 'rain', startsNewChunk: false },
        ],
      },
    ]);
  });

  it('keeps an orphan tool result visible as user text', () => {
    const history = toChatHistory([
      { role: 'user', content: 'hi' },
      { role: 'tool', tool_call_id: 'x9', content: '42' },
    ]);
    expect(history.at(-2)).toEqual({ type: 'user', text: 'Result of tool call x9:\n42' });
    expect(history.at(-1)).toEqual({ type: 'model', response: [] });
  });
});

describe('toChatFunctions', () => {
  it('offers all tools for auto and required, none for none, one for a named choice', () => {
    expect(Object.keys(toChatFunctions([weather, time], 'auto') ?? {})).toEqual(['get_weather', 'now']);
    expect(Object.keys(toChatFunctions([weather, time], 'required') ?? {})).toEqual(['get_weather', 'now']);
    expect(toChatFunctions([weather, time], 'none')).toBeUndefined();
    expect(toChatFunctions([weather, time], { type: 'function', function: { name: 'now' } })).toEqual({ now: {} });
    expect(toChatFunctions(undefined, 'auto')).toBeUndefined();
    expect(toChatFunctions([weather], undefined)?.['get_weather']).toEqual({
      description: 'Weather',
      params: { type: 'object', properties: { city: { type: 'string' } } },
    });
  });

  it('tells when a call is required', () => {
    expect(toolCallRequired('required')).toBe(true);
    expect(toolCallRequired({ type: 'function', function: { name: 'now' } })).toBe(true);
    expect(toolCallRequired('auto')).toBe(false);
    expect(toolCallRequired(undefined)).toBe(false);
  });
});
