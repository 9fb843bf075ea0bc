import { describe, expect, it } from '@jest/globals';
import { ChunkRenderer, CompletionAccumulator } from './chunk-renderer.js';

const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const dataLines = (sse: string) =>
  sse
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));

describe('ChunkRenderer', () => {
  it('renders OpenAI chunks with an id line per event, the role chunk once, then [DONE]', () => {
    const r = new ChunkRenderer('run-1', 'fake/m1', 1700000000, false);
    const start = r.render(1, { t: 'start', provider: 'fake', model: 'm1', attempt: 1 });
    expect(start.startsWith('id: 1\n')).toBe(true);
    expect(JSON.parse(dataLines(start)[0]!)).toEqual({
      id: 'chatcmpl-run-1',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'fake/m1',
      system_fingerprint: null,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    });
    expect(r.render(2, { t: 'start', provider: 'fake', model: 'm1', attempt: 2 })).toBe('');
    const text = r.render(3, { t: 'text', d: 'he said "hi"\n' });
    expect(JSON.parse(dataLines(text)[0]!).choices[0].delta).toEqual({ content: 'he said "hi"\n' });
    const finish = r.render(4, { t: 'finish', reason: 'stop', usage });
    expect(dataLines(finish).map((l) => (l === '[DONE]' ? l : JSON.parse(l).choices[0].finish_reason))).toEqual(['stop', '[DONE]']);
  });

  it('adds the usage chunk with empty choices only when asked', () => {
    const r = new ChunkRenderer('run-2', 'm', 1, true);
    const lines = dataLines(r.render(1, { t: 'finish', reason: 'length', usage }));
    expect(lines).toHaveLength(4); // role, finish, usage, [DONE]
    expect(JSON.parse(lines[2]!)).toMatchObject({ choices: [], usage });
  });

  it('streams tool calls with an index on every delta, id and name first', () => {
    const r = new ChunkRenderer('run-3', 'm', 1, false);
    r.render(1, { t: 'start', provider: 'p', model: 'm', attempt: 1 });
    const first = JSON.parse(dataLines(r.render(2, { t: 'tool', i: 0, id: 'call_1', name: 'f', args: '' }))[0]!);
    const later = JSON.parse(dataLines(r.render(3, { t: 'tool', i: 0, args: '{"a":1}' }))[0]!);
    expect(first.choices[0].delta.tool_calls).toEqual([{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }]);
    expect(later.choices[0].delta.tool_calls).toEqual([{ index: 0, function: { arguments: '{"a":1}' } }]);
  });

  it('marks the message of a run that goes on in the background, then ends the stream with stop and [DONE]', () => {
    const r = new ChunkRenderer('run-5', 'patient', 1, false);
    r.render(1, { t: 'start', provider: 'p', model: 'm', attempt: 1 });
    const lines = dataLines(r.render(2, { t: 'background', message: 'Continuing in the background.' }));
    const message = JSON.parse(lines[0]!);
    expect(message).toMatchObject({ id: 'chatcmpl-run-5', object: 'chat.completion.chunk', background: true });
    expect(message.choices[0].delta).toEqual({ content: 'Continuing in the background.' });
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('background');
    expect(JSON.parse(lines[1]!).choices[0].finish_reason).toBe('stop');
    expect(lines[2]).toBe('[DONE]');
  });

  it('ends a failed run with an OpenAI error object, then [DONE]', () => {
    const r = new ChunkRenderer('run-4', 'm', 1, false);
    const lines = dataLines(r.render(1, { t: 'error', status: 502, message: 'upstream down', type: 'upstream_error', code: 'provider_unavailable' }));
    expect(JSON.parse(lines[0]!)).toEqual({ error: { message: 'upstream down', type: 'upstream_error', param: null, code: 'provider_unavailable' } });
    expect(lines[1]).toBe('[DONE]');
  });
});

describe('CompletionAccumulator', () => {
  it('builds one chat.completion with text, reassembled tool calls and usage', () => {
    const acc = new CompletionAccumulator();
    acc.add({ t: 'text', d: 'Hel' });
    acc.add({ t: 'text', d: 'lo' });
    acc.add({ t: 'tool', i: 0, id: 'c', name: 'f', args: '{"x"' });
    acc.add({ t: 'tool', i: 0, args: ':2}' });
    const c = acc.build('chatcmpl-x', 'm', 1, 'tool_calls', usage);
    expect(c.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Hello',
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"x":2}' } }],
      refusal: null,
    });
    expect(c.usage).toEqual(usage);
  });
});
