import type { FinishReason, Usage } from '@switchboard/contracts';

/**
 * What the fake upstream does with one chat completion request. Replies are plain data so a test can
 * script a whole multi-step tool run with a function of the request, and so a constant reply can be
 * rendered once and replayed (the benchmark upstream).
 */
export type FakeReply = FakeCompletionReply | FakeHttpErrorReply | FakeFixtureReply | FakeHangReply;

export interface FakeToolCall {
  /** Default: a fresh `call_fake_<n>`. */
  id?: string;
  name: string;
  /** The complete JSON arguments string; streamed in `argumentDeltas` fragments. */
  arguments: string;
  /** Default 3. */
  argumentDeltas?: number;
}

/** An answer: JSON when the request says `stream: false`, SSE chunks in OpenAI's format otherwise. */
export interface FakeCompletionReply {
  type: 'completion';
  text?: string;
  /** Split `text` into this many deltas of about equal length. Default: one delta per word. */
  deltas?: number;
  /** The exact text deltas; overrides `text` and `deltas`. */
  chunks?: string[];
  /** Streamed after the text, the way OpenAI streams them (id + name first, then argument fragments). */
  toolCalls?: FakeToolCall[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: FinishReason;
  /**
   * Default: prompt_tokens 10, completion_tokens = number of deltas. `false`: never report usage, even when
   * the request asks for it (some servers ignore `stream_options`).
   */
  usage?: Partial<Usage> | false;
  /** Echoed in responses. Default: the requested model. */
  model?: string;
  /** Wait before sending the status line (nothing at all reaches the client). */
  firstByteDelayMs?: number;
  /** Wait after the headers and the role-only chunk, before the first content delta (a "thinking" model). */
  firstDeltaDelayMs?: number;
  /** Wait between deltas. */
  deltaDelayMs?: number;
  /** Stop writing after this many deltas and keep the connection open until the client leaves. */
  hangAfterDeltas?: number;
  /**
   * Stop after `after` deltas (0: right after the role chunk) until `until` settles, then go on; a JSON reply
   * (`stream: false`) is sent once `until` settles. Not plain data
   * like the rest: it lets a test hold streams mid-answer for certain while it breaks something, instead of
   * hoping a delay is long enough.
   */
  holdAfterDeltas?: { after: number; until: PromiseLike<unknown> };
  /** Destroy the socket after this many deltas (a connection dropped mid-stream). */
  dropAfterDeltas?: number;
  /** Send a chunk that is not JSON after this many deltas, then end the response. */
  malformedAfterDeltas?: number;
  /** End the response cleanly after this many deltas: no finish_reason, no `[DONE]`. */
  endAfterDeltas?: number;
  /** Send `data: {"error": ...}` after this many deltas and end the stream, as OpenRouter does mid-stream. */
  errorAfterDeltas?: { after: number; message: string; code?: number | string };
}

/** An HTTP error with OpenAI's error body. */
export interface FakeHttpErrorReply {
  type: 'http-error';
  status: number;
  message?: string;
  /** OpenAI's `error.type`; default derived from the status. */
  errorType?: string;
  code?: string | null;
  /** Sent verbatim as the Retry-After header (seconds or an HTTP date). */
  retryAfter?: string;
  firstByteDelayMs?: number;
}

/** A captured SSE stream from libs/testing/fixtures, sent byte for byte. */
export interface FakeFixtureReply {
  type: 'fixture';
  /** File name under the fixtures folder, with or without `.sse`. */
  name: string;
  /** Write the file event by event with this pause between events; default: in one write. */
  eventDelayMs?: number;
  firstByteDelayMs?: number;
}

/** Never answer: the request stays open until the client aborts or the server closes. */
export interface FakeHangReply {
  type: 'hang';
  /** Send 200 and SSE headers first, then stay silent (a stream that never produces a token). */
  afterHeaders?: boolean;
}

/** A request as the fake received it. */
export interface FakeRequest {
  /** Position among all requests this server received, from 0. */
  seq: number;
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}

/** How the exchange ended: the full response was written, the connection closed before that, or the fake dropped it. */
export type FakeRequestOutcome = 'completed' | 'closed-early' | 'dropped';

export interface RecordedRequest extends FakeRequest {
  /** Settles when the response is finished or its connection is gone. */
  readonly outcome: Promise<FakeRequestOutcome>;
}
