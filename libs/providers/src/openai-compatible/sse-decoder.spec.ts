import { describe, expect, it } from '@jest/globals';
import { decodeSseData } from './sse-decoder.js';

async function decode(pieces: (string | Uint8Array)[]): Promise<string[]> {
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const piece of pieces) yield typeof piece === 'string' ? new TextEncoder().encode(piece) : piece;
  }
  const out: string[] = [];
  for await (const data of decodeSseData(body())) out.push(data);
  return out;
}

describe('decodeSseData', () => {
  it('yields one payload per event and skips comments and other fields', async () => {
    expect(await decode([': ping\n\nevent: message\nid: 7\ndata: {"a":1}\n\n: OPENROUTER PROCESSING\n\ndata: [DONE]\n\n'])).toEqual([
      '{"a":1}',
      '[DONE]',
    ]);
  });

  it('reassembles events split anywhere, including inside a UTF-8 character', async () => {
    const whole = new TextEncoder().encode('data: {"t":"héllo 🌍"}\n\ndata: {"t":"b"}\n\n');
    const pieces = Array.from(whole, (byte) => Uint8Array.of(byte));
    expect(await decode(pieces)).toEqual(['{"t":"héllo 🌍"}', '{"t":"b"}']);
  });

  it('accepts CRLF line ends, "data:" without a space, and multi-line data', async () => {
    expect(await decode(['data:x\r\n\r\ndata: line1\ndata: line2\n\n'])).toEqual(['x', 'line1\nline2']);
  });

  it('delivers a last event whose blank line never came', async () => {
    expect(await decode(['data: a\n\ndata: b'])).toEqual(['a', 'b']);
    expect(await decode(['data: a\n\ndata: b\n'])).toEqual(['a', 'b']);
  });

  it('yields nothing for an empty body or one with only comments', async () => {
    expect(await decode([])).toEqual([]);
    expect(await decode([': keep-alive\n\n'])).toEqual([]);
  });
});
