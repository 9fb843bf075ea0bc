import type { ChatMessage, Usage } from '@switchboard/contracts';
import type { ApiClient } from '../api/client';
import { ApiRequestError, errorMessage } from '../api/errors';
// The subpath keeps the contracts' schemas (zod) out of the page's main chunk.
import { readSse } from '@switchboard/contracts/sse-reader';
import type { AnswerState, AnswerStore } from './answer-store';

/** The part of the API client a stream needs. */
export type ChatTransport = Pick<ApiClient, 'chat' | 'runEvents' | 'cancelRun'>;

export interface ChatStreamOptions {
  /** Reconnections after a stream that broke off without `[DONE]` (each resumes after the last event). */
  maxResumes?: number;
  /** Wait before the n-th reconnection: n × this. */
  resumeDelayMs?: number;
  /** Longest gap between two saves of a streaming answer (each save writes the whole answer). */
  saveEveryMs?: number;
}

interface Chunk {
  model?: string;
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null }; finish_reason?: string | null }[];
  usage?: Usage;
  error?: { message?: string; type?: string; code?: string | null };
  /** The gateway's mark on the message of a run that goes on in the background. */
  background?: boolean;
}

const LIVE = new Set<AnswerState['status']>(['connecting', 'streaming']);

/**
 * The answer of one conversation, start to finish: sends the request to the gateway, applies each SSE event,
 * keeps the answer in the store as it grows, resumes with `Last-Event-ID` when the connection breaks (or when
 * the page was reloaded: `resume()` continues what the store holds), and stops the run on request.
 * Framework-free so that it is tested on its own; `useChatStream` binds it to React.
 */
export class ChatStream {
  private current: AnswerState | null;
  private readonly listeners = new Set<() => void>();
  private connection: AbortController | null = null;
  private stopping = false;
  private lastSave = 0;
  private readonly maxResumes: number;
  private readonly resumeDelayMs: number;
  private readonly saveEveryMs: number;

  constructor(
    private readonly transport: ChatTransport,
    private readonly store: AnswerStore,
    readonly conversationId: string,
    options: ChatStreamOptions = {},
  ) {
    this.maxResumes = options.maxResumes ?? 5;
    this.resumeDelayMs = options.resumeDelayMs ?? 500;
    this.saveEveryMs = options.saveEveryMs ?? 250;
    this.current = store.load(conversationId);
  }

  get state(): AnswerState | null {
    return this.current;
  }

  /** True while an answer is being written (started here, or found in the store and not yet resumed). */
  get live(): boolean {
    return this.current !== null && LIVE.has(this.current.status);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Sends `prompt` after `history` to `model` and follows the answer to its end. */
  async start(model: string, history: Pick<ChatMessage, 'role' | 'content'>[], prompt: string): Promise<void> {
    if (this.live && this.connection) throw new Error('An answer is already being written in this conversation.');
    this.stopping = false;
    this.update(
      {
        conversationId: this.conversationId,
        runId: null,
        model,
        prompt,
        text: '',
        reasoning: '',
        lastEventId: null,
        usage: null,
        servedBy: null,
        finishReason: null,
        error: null,
        status: 'connecting',
        startedAt: Date.now(),
      },
      true,
    );
    const connection = this.connect();
    let res: Response;
    try {
      res = await this.transport.chat({ model, messages: [...history, { role: 'user', content: prompt }] }, this.conversationId, connection.signal);
    } catch (error) {
      if (connection.signal.aborted) return this.settleAborted();
      return this.fail(error);
    }
    this.patch({ runId: res.headers.get('x-run-id'), status: 'streaming' }, true);
    await this.follow(res, connection);
  }

  /** Continues an answer the store holds (after a reload): its missing events, then live ones, to the end. */
  async resume(): Promise<void> {
    const state = this.current;
    if (!state || !LIVE.has(state.status) || this.connection) return;
    if (!state.runId) {
      // Reloaded before the gateway answered: there is no run id to resume.
      return this.fail(new Error('The page was closed before the answer started; send the message again.'));
    }
    this.stopping = false;
    await this.reconnect(this.connect(), 0);
  }

  /** Stops the run (it is cancelled on the server, not only here) and keeps what was written so far. */
  async stop(): Promise<void> {
    const state = this.current;
    if (!state || !LIVE.has(state.status)) return;
    this.stopping = true;
    this.connection?.abort();
    this.patch({ status: 'stopped' }, true);
    if (state.runId) {
      await this.transport.cancelRun(state.runId).catch((error: unknown) => {
        // A run that ended meanwhile cannot be cancelled: nothing to report.
        if (!(error instanceof ApiRequestError && error.status === 409)) this.patch({ error: { message: errorMessage(error), type: 'error', code: null } }, true);
      });
    }
  }

  /** Leaves the run alone (the page goes elsewhere); what is stored lets the page resume it later. */
  detach(): void {
    this.connection?.abort();
    this.connection = null;
    if (this.current) this.store.save(this.current);
  }

  /** Forgets the answer once the conversation's stored messages show it. */
  dismiss(): void {
    this.detach();
    this.current = null;
    this.store.remove(this.conversationId);
    this.emit();
  }

  /** Saves now (the page is going away). */
  flush(): void {
    if (this.current) this.store.save(this.current);
  }

  private connect(): AbortController {
    this.connection?.abort();
    const connection = new AbortController();
    this.connection = connection;
    return connection;
  }

  private async reconnect(connection: AbortController, attempt: number): Promise<void> {
    const state = this.current;
    if (!state?.runId) return;
    if (attempt > 0) await new Promise((r) => setTimeout(r, this.resumeDelayMs * attempt));
    if (connection.signal.aborted) return this.settleAborted();
    let res: Response;
    try {
      res = await this.transport.runEvents(state.runId, state.lastEventId, connection.signal);
    } catch (error) {
      if (connection.signal.aborted) return this.settleAborted();
      if (error instanceof ApiRequestError && error.status === 404) {
        return this.fail(new Error('This answer can no longer be resumed (its run ended long ago or is unknown); the conversation shows what was recorded.'));
      }
      if (attempt < this.maxResumes) return this.reconnect(connection, attempt + 1);
      return this.fail(error);
    }
    this.patch({ status: 'streaming' });
    await this.follow(res, connection, attempt);
  }

  private async follow(res: Response, connection: AbortController, attempt = 0): Promise<void> {
    let ended = false;
    try {
      for await (const event of readSse(res.body!)) {
        if (event.data === '[DONE]') {
          ended = true;
          break;
        }
        this.apply(event.id, event.data);
      }
    } catch (error) {
      if (connection.signal.aborted) return this.settleAborted();
      void error; // a broken connection: resumed below
    }
    if (connection.signal.aborted) return this.settleAborted();
    if (ended || !this.current || !LIVE.has(this.current.status)) {
      if (this.current?.status === 'streaming') this.patch({ status: 'done' }, true);
      if (this.connection === connection) this.connection = null;
      this.flush();
      return;
    }
    // The stream broke off before [DONE] (a gateway restarted, the network blinked): pick up after the last event.
    if (attempt < this.maxResumes) return this.reconnect(connection, attempt + 1);
    this.fail(new Error('The connection to the gateway kept breaking; reload the page to try again.'));
  }

  private apply(id: string | null, data: string): void {
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return;
    }
    const state = this.current;
    if (!state) return;
    const next: Partial<AnswerState> = id === null ? {} : { lastEventId: id };
    if (chunk.error) {
      const cancelled = chunk.error.code === 'cancelled';
      Object.assign(next, {
        status: cancelled && this.stopping ? 'stopped' : 'failed',
        error: cancelled && this.stopping ? null : { message: chunk.error.message ?? 'The run failed.', type: chunk.error.type ?? 'error', code: chunk.error.code ?? null },
      });
      this.patch(next, true);
      return;
    }
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) next.text = state.text + choice.delta.content;
    if (choice?.delta?.reasoning_content) next.reasoning = state.reasoning + choice.delta.reasoning_content;
    if (choice?.finish_reason) next.finishReason = choice.finish_reason;
    if (chunk.usage) next.usage = chunk.usage;
    if (chunk.background) next.background = true;
    if (chunk.model && chunk.model !== state.servedBy) next.servedBy = chunk.model;
    this.patch(next);
  }

  private settleAborted(): void {
    if (this.current && !this.stopping) this.store.save(this.current);
  }

  private fail(error: unknown): void {
    this.patch({ status: 'failed', error: { message: errorMessage(error), type: error instanceof ApiRequestError ? error.type : 'error', code: error instanceof ApiRequestError ? error.code : null } }, true);
    this.connection = null;
  }

  private patch(changes: Partial<AnswerState>, saveNow = false): void {
    if (!this.current) return;
    this.update({ ...this.current, ...changes }, saveNow);
  }

  private update(state: AnswerState, saveNow: boolean): void {
    this.current = state;
    const now = Date.now();
    if (saveNow || now - this.lastSave >= this.saveEveryMs) {
      this.store.save(state);
      this.lastSave = now;
    }
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
