import { type ToolsConfig } from '@switchboard/contracts';
import { z } from 'zod';
import { type AgentTool, ToolError } from '../tool.js';
import { parseToolArgs } from './tool-args.js';

const argsSchema = z.object({ query: z.string().trim().min(1, 'say what to search for').max(500) });

/** The part of SearXNG's JSON answer (`format=json`) this tool reads; other engines' extras are ignored. */
const searxAnswerSchema = z.looseObject({
  results: z.array(
    z.looseObject({
      title: z.string().nullish(),
      url: z.string().nullish(),
      content: z.string().nullish(),
    }),
  ),
});

/** A snippet longer than this is cut: the model can http_fetch the page for more. */
const SNIPPET_CHARS = 400;

/**
 * `web_search`: queries a SearXNG-compatible search service and lists the top results.
 *
 * The search URL is not passed through the SSRF guard: an admin configured it, typically a SearXNG container
 * on the same private network as the worker, and the model only chooses the query string, never the host.
 */
export function createWebSearchTool(config: ToolsConfig['web_search']): AgentTool {
  return {
    name: 'web_search',
    definition: {
      type: 'function',
      function: {
        name: 'web_search',
        description: `Search the web. Returns up to ${config.max_results} results, each with title, URL and snippet; fetch a URL with http_fetch to read it.`,
        parameters: {
          type: 'object',
          properties: { query: { type: 'string', description: 'What to search for, as you would type it into a search engine' } },
          required: ['query'],
          additionalProperties: false,
        },
      },
    },
    async execute(args, ctx) {
      const { query } = parseToolArgs('web_search', argsSchema, args);
      if (!config.url) {
        throw new ToolError('web search is not configured: an admin must set tools.web_search.url to a SearXNG-compatible service');
      }
      const url = searchUrl(config.url, query);
      let response: Response;
      try {
        response = await fetch(url, { signal: ctx.signal, headers: { accept: 'application/json' } });
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
        throw new ToolError(`the search service at ${url.origin} did not answer (${cause?.code ?? cause?.message ?? (error as Error).message})`);
      }
      if (!response.ok) {
        await response.body?.cancel();
        // SearXNG answers 403 when the json format is not enabled in its settings.
        const hint = response.status === 403 ? ' (for SearXNG, enable "json" under search.formats in settings.yml)' : '';
        throw new ToolError(`the search service answered HTTP ${response.status}${hint}`);
      }
      let answer: z.output<typeof searxAnswerSchema>;
      try {
        answer = searxAnswerSchema.parse(await response.json());
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        throw new ToolError('the search service did not answer with SearXNG JSON (an object with a "results" list)');
      }
      const results = answer.results.filter((r) => r.url).slice(0, config.max_results);
      if (results.length === 0) return `No results for "${query}".`;
      return results
        .map((r, i) => {
          const snippet = (r.content ?? '').replace(/\s+/g, ' ').trim();
          const cut = snippet.length > SNIPPET_CHARS ? `${snippet.slice(0, SNIPPET_CHARS)}…` : snippet;
          return [`${i + 1}. ${(r.title ?? '').trim() || '(no title)'}`, `   ${r.url}`, ...(cut ? [`   ${cut}`] : [])].join('\n');
        })
        .join('\n');
    },
  };
}

/** `<base>/search?q=...&format=json`, keeping a path prefix of the base (a SearXNG behind `/searx/`). */
function searchUrl(base: string, query: string): URL {
  let url: URL;
  try {
    url = new URL('search', base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new ToolError(`tools.web_search.url is not a valid URL; an admin must fix it`);
  }
  url.searchParams.set('q', query);
  url.searchParams.set('format', 'json');
  return url;
}
