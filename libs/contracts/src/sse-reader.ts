/** One Server-Sent Event: its `id:` (null when the event had none) and its `data:` lines joined. */
export interface SseEvent {
  id: string | null;
  data: string;
}

/**
 * The events of an SSE body as they arrive, for the gateway's clients (the web app in a browser, the CLI in
 * Node): the WHATWG rules its stream needs, `id:`, multi-line `data:` joined by "\n", comments such as `: ping`
 * skipped, events ended by a blank line, lines ended by CRLF, LF or CR. EventSource cannot send an
 * Authorization header or a POST body, hence a parser over fetch. Ends when the body ends; an abort of the fetch
 * ends it with its error.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  // A reader rather than `for await` over the stream: not every browser iterates a ReadableStream.
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r?\n|\r/)) >= 0) {
        const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
        // A lone CR at the very end may be the first half of a CRLF still on its way.
        if (width === 1 && buffer[newline] === '\r' && newline === buffer.length - 1) break;
        const line = buffer.slice(0, newline);
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
  } finally {
    reader.releaseLock();
  }
  if (data.length > 0) yield { id, data: data.join('\n') };
}
