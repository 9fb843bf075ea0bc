import { describe, expect, it } from '@jest/globals';
import { ToolCallDeltas } from './tool-call.deltas.js';

describe('ToolCallDeltas', () => {
  it('opens each call with id and name, streams arguments, and drops trailing padding', () => {
    const deltas = new ToolCallDeltas();
    const parts = [
      ...deltas.paramsChunk(0, 'get_weather', '{"city": "New', false),
      ...deltas.paramsChunk(0, 'get_weather', ' ', false),
      ...deltas.paramsChunk(0, 'get_weather', 'York"}', false),
      ...deltas.paramsChunk(0, 'get_weather', '\n\n', true),
      ...deltas.completed('get_weather', { city: 'New York' }),
    ];
    expect(parts[0]).toEqual({ type: 'tool-call-delta', index: 0, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), name: 'get_weather' });
    const args = parts.map((p) => p.argumentsDelta ?? '').join('');
    expect(args).toBe('{"city": "New York"}');
    expect(parts.filter((p) => p.id !== undefined)).toHaveLength(1);
  });

  it('gives a call without streamed parameters "{}" (or its params) as arguments', () => {
    const deltas = new ToolCallDeltas();
    const first = deltas.completed('now', undefined);
    const second = deltas.completed('add', { a: 1 });
    expect(first.map((p) => [p.index, p.name, p.argumentsDelta])).toEqual([
      [0, 'now', undefined],
      [0, undefined, '{}'],
    ]);
    expect(second.map((p) => p.argumentsDelta).join('')).toBe('{"a":1}');
    expect(second[0]?.index).toBe(1);
    expect(second[0]?.id).not.toBe(first[0]?.id);
    expect(deltas.count).toBe(2);
  });
});
