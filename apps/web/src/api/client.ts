import type {
  AgentDto,
  AgentList,
  ApiKeyDto,
  BenchmarkDto,
  CatalogueModelDto,
  ChatMessage,
  CreatedApiKeyDto,
  MeDto,
  ModelCatalogueDto,
  ModelDownloadDto,
  ModelSelectionDto,
  ProviderStatusListDto,
  QueueOverviewDto,
  ConversationDto,
  MessageDto,
  PageResponse,
  RunDto,
  UsageReportDto,
  WebConfig,
} from '@switchboard/contracts';
import { ApiRequestError } from './errors';

/** A model as `GET /v1/models` lists it: agents and pipelines by name, `provider/model`, and `auto`. */
export interface ModelEntry {
  id: string;
  owned_by?: string;
  name?: string;
}

/** Filters of the runs page, as `GET /api/runs` takes them. */
export interface RunFilter {
  status?: string;
  agent?: string;
  model?: string;
  conversation_id?: string;
  from?: string;
  to?: string;
}

/** Reads the api's unauthenticated runtime config: the gateway URL and whether a key is needed. */
export async function fetchWebConfig(signal?: AbortSignal): Promise<WebConfig> {
  return parse<WebConfig>(await fetch('/api/config', { signal }));
}

async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below by status
  }
  if (!res.ok) throw ApiRequestError.from(res.status, body);
  return body as T;
}

/** A response that must be a stream: an error status is read as the error body it carries. */
async function streamOrThrow(res: Response): Promise<Response> {
  if (res.ok && res.body) return res;
  return parse<never>(res);
}

/**
 * The one way the web app talks to the platform: REST on this origin (`/api`), and the OpenAI-compatible
 * gateway (`/v1`) at the URL the api gave. Every method sends the signed-in key as a Bearer token (none on an
 * open install) and throws an ApiRequestError in the server's own words.
 */
export class ApiClient {
  constructor(
    readonly gatewayUrl: string,
    private readonly key: string | null,
    /** Where `/api` is: this origin in the browser; tests outside one give a full URL. */
    private readonly apiBase = '',
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.key ? { Authorization: `Bearer ${this.key}`, ...extra } : extra;
  }

  async api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await fetch(`${this.apiBase}${path}`, {
      method,
      headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    return parse<T>(res);
  }

  async models(signal?: AbortSignal): Promise<ModelEntry[]> {
    const res = await fetch(`${this.gatewayUrl}/v1/models`, { headers: this.headers(), signal });
    return (await parse<{ data: ModelEntry[] }>(res)).data;
  }

  conversations(cursor: string | null, signal?: AbortSignal): Promise<PageResponse<ConversationDto>> {
    return this.api('GET', `/api/conversations?limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, signal);
  }

  createConversation(title: string): Promise<ConversationDto> {
    return this.api('POST', '/api/conversations', { title });
  }

  renameConversation(id: string, title: string): Promise<ConversationDto> {
    return this.api('PATCH', `/api/conversations/${id}`, { title });
  }

  deleteConversation(id: string): Promise<void> {
    return this.api('DELETE', `/api/conversations/${id}`);
  }

  /** Every message of a conversation, oldest first (page after page: the API pages at most 100). */
  async messages(conversationId: string, signal?: AbortSignal): Promise<MessageDto[]> {
    const out: MessageDto[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: PageResponse<MessageDto> = await this.api('GET', `/api/conversations/${conversationId}/messages?limit=100${query}`, undefined, signal);
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }

  /** Who the signed-in key is: the web app shows the console to admins only (the API decides either way). */
  me(signal?: AbortSignal): Promise<MeDto> {
    return this.api('GET', '/api/me', undefined, signal);
  }

  /** Every API key, page after page (keys are few; the console lists them all). */
  async keys(signal?: AbortSignal): Promise<ApiKeyDto[]> {
    const out: ApiKeyDto[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: PageResponse<ApiKeyDto> = await this.api('GET', `/api/keys?limit=100${query}`, undefined, signal);
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }

  createKey(body: Record<string, unknown>): Promise<CreatedApiKeyDto> {
    return this.api('POST', '/api/keys', body);
  }

  updateKey(id: string, body: Record<string, unknown>): Promise<ApiKeyDto> {
    return this.api('PATCH', `/api/keys/${id}`, body);
  }

  revokeKey(id: string): Promise<ApiKeyDto> {
    return this.api('DELETE', `/api/keys/${id}`);
  }

  async agents(signal?: AbortSignal): Promise<AgentDto[]> {
    return (await this.api<AgentList>('GET', '/api/agents', undefined, signal)).data;
  }

  createAgent(body: Record<string, unknown>): Promise<AgentDto> {
    return this.api('POST', '/api/agents', body);
  }

  updateAgent(id: string, body: Record<string, unknown>): Promise<AgentDto> {
    return this.api('PATCH', `/api/agents/${id}`, body);
  }

  deleteAgent(id: string): Promise<void> {
    return this.api('DELETE', `/api/agents/${id}`);
  }

  queues(signal?: AbortSignal): Promise<QueueOverviewDto> {
    return this.api('GET', '/api/queues', undefined, signal);
  }

  providers(signal?: AbortSignal): Promise<ProviderStatusListDto> {
    return this.api('GET', '/api/providers', undefined, signal);
  }

  setProviderEnabled(name: string, enabled: boolean): Promise<unknown> {
    return this.api('PATCH', `/api/providers/${encodeURIComponent(name)}`, { enabled });
  }

  /** The model catalogue: configured, manifest and discovered models, what fits this machine, downloads. */
  modelCatalogue(signal?: AbortSignal): Promise<ModelCatalogueDto> {
    return this.api('GET', '/api/models', undefined, signal);
  }

  catalogueModel(name: string, signal?: AbortSignal): Promise<CatalogueModelDto> {
    return this.api('GET', `/api/models/${encodeURIComponent(name)}`, undefined, signal);
  }

  /**
   * Queues a worker download of a manifest model (202); its progress comes as model.download.* socket.io events.
   * `force` downloads a file that is already on disk again (it is replaced once the new copy verifies).
   */
  downloadModel(name: string, force = false): Promise<ModelDownloadDto> {
    return this.api('POST', `/api/models/${encodeURIComponent(name)}/download`, { force });
  }

  cancelModelDownload(name: string): Promise<ModelDownloadDto> {
    return this.api('DELETE', `/api/models/${encodeURIComponent(name)}/download`);
  }

  /** Makes the model the default local model (the config file and the running workers). */
  selectModel(name: string): Promise<ModelSelectionDto> {
    return this.api('POST', `/api/models/${encodeURIComponent(name)}/select`);
  }

  /** Benchmarks, newest first, a page of 20 at a time. */
  benchmarks(cursor: string | null, signal?: AbortSignal): Promise<PageResponse<BenchmarkDto>> {
    const query = new URLSearchParams({ limit: '20' });
    if (cursor) query.set('cursor', cursor);
    return this.api('GET', `/api/benchmarks?${query.toString()}`, undefined, signal);
  }

  createBenchmark(body: { models: string[]; reference_model?: string; max_tokens?: number }): Promise<BenchmarkDto> {
    return this.api('POST', '/api/benchmarks', body);
  }

  runs(filter: RunFilter, cursor: string | null, signal?: AbortSignal): Promise<PageResponse<RunDto>> {
    const query = new URLSearchParams({ limit: '25' });
    for (const [k, v] of Object.entries(filter)) if (v) query.set(k, v);
    if (cursor) query.set('cursor', cursor);
    return this.api('GET', `/api/runs?${query.toString()}`, undefined, signal);
  }

  /** Usage per key, model and UTC day over [from, to) (ISO strings): every key's for an admin, else the caller's own. */
  usage(range: { from: string; to: string }, signal?: AbortSignal): Promise<UsageReportDto> {
    const query = new URLSearchParams({ ...range, group_by: 'key,model,day' });
    return this.api('GET', `/api/usage?${query.toString()}`, undefined, signal);
  }

  run(id: string, signal?: AbortSignal): Promise<RunDto> {
    return this.api('GET', `/api/runs/${id}`, undefined, signal);
  }

  cancelRun(id: string): Promise<RunDto> {
    return this.api('POST', `/api/runs/${id}/cancel`);
  }

  /**
   * Starts a streamed chat completion. `X-On-Disconnect: continue`: a reload or a closed tab must not cancel
   * the run, the page resumes it (Stop cancels it explicitly); `X-Conversation-Id` records it in that conversation.
   */
  async chat(request: { model: string; messages: Pick<ChatMessage, 'role' | 'content'>[] }, conversationId: string | null, signal: AbortSignal): Promise<Response> {
    const res = await fetch(`${this.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: this.headers({
        'Content-Type': 'application/json',
        'X-On-Disconnect': 'continue',
        ...(conversationId ? { 'X-Conversation-Id': conversationId } : {}),
      }),
      body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
      signal,
    });
    return streamOrThrow(res);
  }

  /** Runs a pipeline definition once without saving it (POST /v1/pipelines/run), streamed like a chat answer. */
  async runPipeline(definition: object, messages: Pick<ChatMessage, 'role' | 'content'>[], signal: AbortSignal): Promise<Response> {
    const res = await fetch(`${this.gatewayUrl}/v1/pipelines/run`, {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/json', 'X-On-Disconnect': 'continue' }),
      body: JSON.stringify({ ...definition, messages, stream: true, stream_options: { include_usage: true } }),
      signal,
    });
    return streamOrThrow(res);
  }

  /** Saves a pipeline under its name (POST /api/pipelines): it is then listed on /v1/models and callable by name. */
  savePipeline(definition: object): Promise<{ id: string; name: string }> {
    return this.api('POST', '/api/pipelines', definition);
  }

  /** The run's events after `lastEventId` (all of them for null), as SSE. */
  async runEvents(runId: string, lastEventId: string | null, signal: AbortSignal): Promise<Response> {
    const res = await fetch(`${this.gatewayUrl}/v1/runs/${encodeURIComponent(runId)}/events`, {
      headers: this.headers(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
      signal,
    });
    return streamOrThrow(res);
  }
}
