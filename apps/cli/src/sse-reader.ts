/** One Server-Sent Event: its `id:` (if any) and its `data:` lines joined. Comments (`: ping`) are not events. */
export interface SseEvent {
  id: string | null;
  data: string;
}

/**
 * The events of an SSE body as they arrive (the WHATWG rules the gateway's stream needs: `id`, multi-line
 * `data`, comments, CRLF or LF line ends). Ends when the body ends; an abort of the fetch ends it with its error.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let data: string[] = [];
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r?\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone CR at the very end may be the first half of a CRLF still on its way.
      if (width === 1 && buffer[newline] === '\r' && newline === buffer.length - 1) break;
      buffer = buffer.slice(newline + width);
      if (line === '') {
        if (data.length > 0) yield { id, data: data.join('\n') };
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
      if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
  }
  if (data.length > 0) yield { id, data: data.join('\n') };
}
