/**
 * The `data` payloads of a Server-Sent Events body, one string per event. Comments (`: ping`,
 * `: OPENROUTER PROCESSING`), `event:`, `id:` and `retry:` fields are skipped: chat completion streams carry
 * everything in `data`. Lines end in LF or CRLF.
 *
 * Written for the hot path instead of the SDK's byte-level decoder: one TextDecoder per stream, string
 * scanning with indexOf, and no object per line or per event beyond the payload string itself.
 */
export async function* decodeSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string | undefined;
  for await (const bytes of body) {
    buffer = buffer === '' ? decoder.decode(bytes, { stream: true }) : buffer + decoder.decode(bytes, { stream: true });
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n', start)) {
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end === start) {
        if (data !== undefined) {
          yield data;
          data = undefined;
        }
      } else if (buffer.startsWith('data:', start)) {
        const value = buffer.slice(start + (buffer.charCodeAt(start + 5) === 32 ? 6 : 5), end);
        data = data === undefined ? value : `${data}\n${value}`;
      }
      start = nl + 1;
    }
    buffer = start === buffer.length ? '' : buffer.slice(start);
  }
  buffer += decoder.decode();
  // A body that ends without the final blank line still delivers its last event.
  if (buffer.startsWith('data:')) {
    const value = buffer.slice(buffer.charCodeAt(5) === 32 ? 6 : 5).replace(/\r$/, '');
    data = data === undefined ? value : `${data}\n${value}`;
  }
  if (data !== undefined) yield data;
}
