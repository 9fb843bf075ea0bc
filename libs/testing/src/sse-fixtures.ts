import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** libs/testing/fixtures: one level up from both src/ (tests) and dist/ (built). */
export const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));

const cache = new Map<string, Buffer>();

/** The bytes of a captured SSE stream, read once per process. `name` may omit the `.sse` suffix. */
export function readFixture(name: string): Buffer {
  const file = name.endsWith('.sse') ? name : `${name}.sse`;
  let bytes = cache.get(file);
  if (!bytes) {
    if (file.includes('/') || file.includes('\\')) throw new Error(`fixture names are plain file names: ${name}`);
    bytes = readFileSync(join(fixturesDir, file));
    cache.set(file, bytes);
  }
  return bytes;
}

/** Splits an SSE body into its events, each with its trailing blank line, so they concatenate to the input. */
export function splitSseEvents(body: Buffer): Buffer[] {
  const events: Buffer[] = [];
  let start = 0;
  for (let at = body.indexOf('\n\n', start); at !== -1; at = body.indexOf('\n\n', start)) {
    events.push(body.subarray(start, at + 2));
    start = at + 2;
  }
  if (start < body.length) events.push(body.subarray(start));
  return events;
}

/** The `data:` payloads of an SSE text, in order (comments and other fields skipped). */
export function parseSseData(text: string): string[] {
  const out: string[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) out.push(data.join('\n'));
  }
  return out;
}
