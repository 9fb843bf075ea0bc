import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type LookupFunction } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type ToolsConfig } from '@switchboard/contracts';
import { z } from 'zod';
import { type AgentTool, type ToolContext, ToolError } from '../tool.js';
import { htmlToMarkdown } from './html-to-markdown.js';
import { type HostLookup, type ResolvedAddress, systemLookup, vetTarget, type VettedTarget } from './ssrf-guard.js';
import { parseToolArgs } from './tool-args.js';

const argsSchema = z.object({
  url: z.string().trim().min(1).max(8192),
  method: z.enum(['GET', 'HEAD']).default('GET'),
});

export interface HttpFetchDeps {
  /** DNS for the SSRF guard; dns.lookup by default. Tests inject answers that real DNS cannot give here. */
  lookup?: HostLookup;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Bytes of an error page (4xx/5xx) shown to the model: the start usually says what went wrong. */
const ERROR_EXCERPT_BYTES = 1000;

/**
 * `http_fetch`: reads a web page or a JSON API for the model. Every hop (the URL, then each redirect) passes
 * the SSRF guard before a connection is made, and the connection goes to the very address the guard checked.
 * An HTML page comes back as its main content in Markdown (html-to-markdown.ts), other text as it is, read up to
 * `max_bytes`; any failure comes back as a ToolError for the model.
 */
export function createHttpFetchTool(config: ToolsConfig['http_fetch'], deps: HttpFetchDeps = {}): AgentTool {
  const lookup = deps.lookup ?? systemLookup;
  const policy = { allowPrivate: config.allow_private, allowedHosts: config.allowed_hosts };
  return {
    name: 'http_fetch',
    definition: {
      type: 'function',
      function: {
        name: 'http_fetch',
        description:
          'Fetch a public web page or API over http(s) and return its status and content (a page\'s main content as Markdown ' +
          `with its links, JSON and text as they are; at most ${config.max_bytes} bytes read). Binary files are not supported; internal network addresses are refused.`,
        parameters: {
          type: 'object',
          properties: {
            url: { type: 'string', description: 'Absolute http or https URL, e.g. "https://example.com/page"' },
            method: { type: 'string', enum: ['GET', 'HEAD'], description: 'GET (default) for the content, HEAD for the status and headers only' },
          },
          required: ['url'],
          additionalProperties: false,
        },
      },
    },
    async execute(args, ctx) {
      const { url, method } = parseToolArgs('http_fetch', argsSchema, args);
      let target = parseUrl(url);
      for (let redirects = 0; ; redirects += 1) {
        const vetted = await vetTarget(target, policy, lookup, ctx.signal);
        const response = await send(target, method, vetted, ctx.signal);
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (REDIRECTS.has(status) && location) {
          response.destroy();
          if (redirects >= config.max_redirects) {
            throw new ToolError(`too many redirects (limit ${config.max_redirects}); the next one pointed to ${location}`);
          }
          target = parseUrl(location, target);
          continue;
        }
        return await describe(response, target, method, config.max_bytes, ctx);
      }
    },
  };
}

function parseUrl(text: string, base?: URL): URL {
  try {
    return new URL(text, base);
  } catch {
    if (base) throw new ToolError(`the server redirected to an invalid URL: ${text}`);
    const hint = /^[\w.-]+\.[a-z]{2,}(?:[/:?#]|$)/i.test(text) ? ` (did you mean "https://${text}"?)` : '';
    throw new ToolError(`"${text}" is not an absolute URL${hint}`);
  }
}

/** Answers every DNS question of the connection with the addresses the guard already checked. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const usable = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    const first = usable[0];
    if (!first) {
      callback(Object.assign(new Error(`no IPv${String(options.family)} address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    } else if (options.all) {
      callback(null, usable.map(({ address, family }) => ({ address, family })));
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function send(url: URL, method: 'GET' | 'HEAD', vetted: VettedTarget, signal: AbortSignal): Promise<IncomingMessage> {
  signal.throwIfAborted();
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, {
      method,
      // A fresh connection per request: a pooled socket could have been opened for another (unchecked) address.
      agent: false,
      lookup: pinnedLookup(vetted.addresses),
      headers: {
        'user-agent': 'Switchboard-http_fetch/0.1',
        accept: 'text/html,application/xhtml+xml,application/json,text/plain;q=0.9,*/*;q=0.5',
        'accept-encoding': 'gzip, deflate, br',
      },
    });
    const onAbort = (): void => {
      req.destroy(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal.removeEventListener('abort', onAbort));
    req.once('response', resolve);
    req.once('error', (error) => reject(signal.aborted ? (signal.reason as Error) : networkError(error, url)));
    req.end();
  });
}

function networkError(error: NodeJS.ErrnoException, url: URL): ToolError {
  const host = url.host;
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return new ToolError(`could not connect to ${host}: connection refused`);
  if (code === 'ECONNRESET' || error.message === 'socket hang up') return new ToolError(`${host} closed the connection before answering`);
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new ToolError(`could not reach ${host} (${code})`);
  if (code === 'ENOTFOUND') return new ToolError(`could not resolve the host ${url.hostname}`);
  if (/CERT|TLS|SSL/.test(code)) return new ToolError(`TLS error with ${host}: ${error.message}`);
  if (code.startsWith('HPE_')) return new ToolError(`${host} sent an invalid HTTP response (${code})`);
  return new ToolError(`fetching ${url.href} failed: ${error.message}${code ? ` (${code})` : ''}`);
}

type BodyKind = 'html' | 'text' | 'unknown' | 'binary';

function bodyKind(mime: string): BodyKind {
  if (mime === '') return 'unknown';
  if (mime === 'text/html' || mime === 'application/xhtml+xml') return 'html';
  if (mime.startsWith('text/') || /[/+](json|xml)$/.test(mime)) return 'text';
  if (/^application\/(x-)?(javascript|ecmascript|ndjson|yaml|toml|sql|graphql|x-www-form-urlencoded)$/.test(mime)) return 'text';
  return 'binary';
}

async function describe(response: IncomingMessage, url: URL, method: 'GET' | 'HEAD', maxBytes: number, ctx: ToolContext): Promise<string> {
  const status = response.statusCode ?? 0;
  const statusLine = `HTTP ${status} ${response.statusMessage ?? ''}`.trim();
  const contentType = response.headers['content-type'] ?? '';
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  let kind = bodyKind(mime);
  const head = [statusLine, `URL: ${url.href}`, `Content-Type: ${contentType || '(none)'}`];

  if (status >= 400) {
    const excerpt = kind === 'binary' || method === 'HEAD' ? '' : await readExcerpt(response, url, ctx.signal);
    response.destroy();
    throw new ToolError(`${statusLine} from ${url.href}${excerpt ? `\n${excerpt}` : ''}`);
  }
  if (method === 'HEAD') {
    response.destroy();
    const length = response.headers['content-length'];
    return [...head, ...(length ? [`Content-Length: ${length}`] : [])].join('\n');
  }
  if (kind === 'binary') {
    response.destroy();
    throw new ToolError(`${url.href} is ${mime}, a binary type: http_fetch reads only text, HTML, JSON and XML`);
  }
  const { bytes, truncated } = await readBody(response, maxBytes, ctx.signal);
  if (kind === 'unknown') {
    // No content type: look at the bytes. A NUL byte does not occur in text.
    if (bytes.subarray(0, 1024).includes(0)) throw new ToolError(`${url.href} sent binary content without a content type`);
    kind = /^\s*<(!doctype html|html)/i.test(bytes.subarray(0, 256).toString('latin1')) ? 'html' : 'text';
  }
  const raw = decode(bytes, contentType);
  const body = kind === 'html' ? htmlToMarkdown(raw, url) : raw;
  const note = truncated ? `\n[truncated after ${maxBytes} bytes]` : '';
  return `${head.join('\n')}\n\n${body === '' ? '(empty body)' : body}${note}`;
}

async function readExcerpt(response: IncomingMessage, url: URL, signal: AbortSignal): Promise<string> {
  try {
    const { bytes, truncated } = await readBody(response, ERROR_EXCERPT_BYTES, signal);
    const text = decode(bytes, response.headers['content-type'] ?? '');
    const mime = (response.headers['content-type'] ?? '').toLowerCase();
    const readable = (mime.includes('html') ? htmlToMarkdown(text, url) : text).trim();
    return readable === '' ? '' : `${readable}${truncated ? ' […]' : ''}`;
  } catch (error) {
    if (signal.aborted) throw error;
    return ''; // the status already says what matters
  }
}

/** Reads at most `maxBytes` (after decompression, so a small zip bomb cannot fill memory). */
async function readBody(response: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<{ bytes: Buffer; truncated: boolean }> {
  const stream = decompressed(response);
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const room = maxBytes - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        // Exactly at the limit with nothing left would not be a cut; any further byte is.
        truncated = chunk.length > room || !response.complete;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason as Error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code.startsWith('ERR_BROTLI')) {
      throw new ToolError(`could not decompress the response (${response.headers['content-encoding'] ?? ''}: ${code})`);
    }
    throw new ToolError(`the response was cut off while reading (${(error as Error).message})`);
  } finally {
    response.destroy();
    if (stream !== response) stream.destroy();
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

function decompressed(response: IncomingMessage): Readable {
  const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const ignore = (): void => undefined; // errors surface through the returned stream
  switch (encoding) {
    case 'identity':
    case '':
      return response;
    case 'gzip':
    case 'x-gzip':
      return pipeline(response, createGunzip(), ignore);
    case 'deflate':
      return pipeline(response, createInflate(), ignore);
    case 'br':
      return pipeline(response, createBrotliDecompress(), ignore);
    default:
      response.destroy();
      throw new ToolError(`the response uses the content encoding "${encoding}", which http_fetch cannot read`);
  }
}

/** Text in the charset the server named (header, else an HTML meta tag), UTF-8 when none or unknown. */
function decode(bytes: Buffer, contentType: string): string {
  const declared =
    /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1] ??
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(bytes.subarray(0, 2048).toString('latin1'))?.[1];
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}
