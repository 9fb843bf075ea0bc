import { describe, expect, it } from '@jest/globals';
import { answerProgress, followAnswer } from '../src/answer-stream.js';
import { PlatformApiError } from '../src/platform-client.js';

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

const chunk = (content: string, finish: string | null = null): string =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}`;

describe('followAnswer', () => {
  it('writes each delta and records the last event id after it', async () => {
    const written: string[] = [];
    const progress = answerProgress('r1', '3');
    const response = new Response(body(`id: 4\n${chunk('Hel')}\n\n: ping\n\nid: 5\n${chunk('lo')}\n\nid: 6\n${chunk('', 'stop')}\n\ndata: [DONE]\n\n`));
    await followAnswer(response, progress, (t) => written.push(t));
    expect(written).toEqual(['Hel', 'lo']);
    expect(progress).toMatchObject({ runId: 'r1', text: 'Hello', lastEventId: '6', finishReason: 'stop' });
  });

  it('throws the error a stream ends with, and a stream cut before [DONE]', async () => {
    const failed = new Response(body(`id: 1\n${chunk('a')}\n\nid: 2\ndata: {"error":{"message":"upstream broke","type":"server_error"}}\n\ndata: [DONE]\n\n`));
    const progress = answerProgress('r2');
    await expect(followAnswer(failed, progress, () => undefined)).rejects.toThrow(new PlatformApiError(500, 'server_error', 'run r2: upstream broke'));
    expect(progress.text).toBe('a');
    const cut = new Response(body(`id: 1\n${chunk('a')}\n\n`));
    await expect(followAnswer(cut, answerProgress('r3'), () => undefined)).rejects.toThrow('switchboard runs tail r3');
  });
});
