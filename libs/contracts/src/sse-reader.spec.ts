import { describe, expect, it } from '@jest/globals';
import { readSse, type SseEvent } from './sse-reader.js';

/** A body that arrives in exactly these pieces, the way a socket may cut it. */
function body(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

async function events(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of readSse(stream)) out.push(event);
  return out;
}

describe('readSse', () => {
  it('reads ids and data across arbitrary cuts, skips comments, joins multi-line data', async () => {
    const text = `: ping\n\nid: 1\ndata: a\n\nid: 2\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n`;
    const cuts = [body(text), body(...text.split('')), body(text.slice(0, 9), text.slice(9, 20), text.slice(20))];
    for (const stream of cuts) {
      expect(await events(stream)).toEqual([
        { id: '1', data: 'a' },
        { id: '2', data: 'line one\nline two' },
        { id: null, data: '[DONE]' },
      ]);
    }
  });

  it('accepts CRLF line ends, also when CR and LF arrive in different pieces', async () => {
    expect(await events(body('id: 7\r', '\ndata: x\r\n\r', '\n'))).toEqual([{ id: '7', data: 'x' }]);
  });
});
