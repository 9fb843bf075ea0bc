import type { ChatCompletion, FinishReason, RunEvent, ToolCall, Usage } from '@switchboard/contracts';

/** `system_fingerprint` of answers from the generated test model, so no client mistakes its noise for a model's. */
export const TEST_MODEL_FINGERPRINT = 'switchboard-test-model';

/**
 * Turns run events into the exact bytes OpenAI streams: `chat.completion.chunk` objects as SSE `data:` lines,
 * each with an `id:` (the event's seq) so `Last-Event-ID` can resume. Chunks are built by string
 * concatenation around a prefix rendered once per stream: this runs for every token of every answer.
 */
export class ChunkRenderer {
  private head = '';
  private modelJson = '';
  private model = '';
  private fingerprint = 'null';
  private roleSent = false;
  readonly completionId: string;

  constructor(
    runId: string,
    model: string,
    readonly created: number,
    private readonly includeUsage: boolean,
    /**
     * Name the model that answers (`provider/model` from the run's `start` and `route` events) rather than the
     * one asked for: true for `auto` and provider models, whose answer may come from a fallback; agents and
     * pipelines keep their own name.
     */
    private readonly followServed = false,
  ) {
    this.completionId = `chatcmpl-${runId}`;
    this.setModel(model);
  }

  private setModel(model: string): void {
    if (model === this.model) return;
    this.model = model;
    this.modelJson = JSON.stringify(model);
    this.renderHead();
  }

  private renderHead(): void {
    this.head = `{"id":"${this.completionId}","object":"chat.completion.chunk","created":${this.created},"model":${this.modelJson},"system_fingerprint":${this.fingerprint},"choices":[`;
  }

  private choice(delta: string, finish: FinishReason | null = null): string {
    return `${this.head}{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish ? `"${finish}"` : 'null'}}]}`;
  }

  private roleDelta(): string {
    if (this.roleSent) return '';
    this.roleSent = true;
    return `data: ${this.choice('{"role":"assistant","content":""}')}\n\n`;
  }

  /** The SSE text for one event ('' when it has nothing to show); terminal events end with `[DONE]`. */
  render(seq: number, event: RunEvent): string {
    const id = `id: ${seq}\n`;
    switch (event.t) {
      case 'route':
        if (this.followServed) this.setModel(`${event.provider}/${event.model}`);
        return '';
      case 'start':
        if (this.followServed && event.provider !== 'none') this.setModel(`${event.provider}/${event.model}`);
        if (event.test_model) {
          this.fingerprint = JSON.stringify(TEST_MODEL_FINGERPRINT);
          this.renderHead();
        }
        // A retried attempt sends another start; the client already has its role chunk.
        if (this.roleSent) return '';
        this.roleSent = true;
        return `${id}data: ${this.choice('{"role":"assistant","content":""}')}\n\n`;
      case 'text':
        return `${this.roleDelta()}${id}data: ${this.choice(`{"content":${JSON.stringify(event.d)}}`)}\n\n`;
      case 'reasoning':
        return `${this.roleDelta()}${id}data: ${this.choice(`{"reasoning_content":${JSON.stringify(event.d)}}`)}\n\n`;
      case 'tool': {
        const fn =
          event.name !== undefined
            ? `{"index":${event.i},"id":${JSON.stringify(event.id ?? '')},"type":"function","function":{"name":${JSON.stringify(event.name)},"arguments":${JSON.stringify(event.args ?? '')}}}`
            : `{"index":${event.i},"function":{"arguments":${JSON.stringify(event.args ?? '')}}}`;
        return `${this.roleDelta()}${id}data: ${this.choice(`{"tool_calls":[${fn}]}`)}\n\n`;
      }
      case 'finish': {
        let out = `${this.roleDelta()}${id}data: ${this.choice('{}', event.reason)}\n\n`;
        if (this.includeUsage) {
          out += `data: {"id":"${this.completionId}","object":"chat.completion.chunk","created":${this.created},"model":${this.modelJson},"system_fingerprint":${this.fingerprint},"choices":[],"usage":${JSON.stringify(event.usage)}}\n\n`;
        }
        return `${out}data: [DONE]\n\n`;
      }
      case 'background': {
        // `background: true` beside the standard fields (clients ignore what they do not know): a client can mark
        // the run as going on without waiting for the socket.io notification, which a page that has only just
        // connected may never get.
        const message = this.choice(`{"content":${JSON.stringify(event.message)}}`);
        return `${this.roleDelta()}${id}data: ${message.slice(0, -1)},"background":true}\n\ndata: ${this.choice('{}', 'stop')}\n\ndata: [DONE]\n\n`;
      }
      case 'error':
        return `${id}data: ${JSON.stringify({ error: { message: event.message, type: event.type, param: null, code: event.code } })}\n\ndata: [DONE]\n\n`;
    }
  }
}

/** Accumulates a run's events into one `chat.completion` for non-streaming requests. */
export class CompletionAccumulator {
  private text = '';
  private reasoning = '';
  private testModel = false;
  private readonly tools: ToolCall[] = [];
  /** Who answered (`provider/model`), from the run's `start` and `route` events. */
  served: string | null = null;

  add(event: RunEvent): void {
    switch (event.t) {
      case 'start':
        if (event.test_model) this.testModel = true;
        this.served = `${event.provider}/${event.model}`;
        break;
      case 'route':
        this.served = `${event.provider}/${event.model}`;
        break;
      case 'text':
        this.text += event.d;
        break;
      case 'reasoning':
        this.reasoning += event.d;
        break;
      case 'tool': {
        let call = this.tools[event.i];
        if (!call) call = this.tools[event.i] = { id: event.id ?? '', type: 'function', function: { name: event.name ?? '', arguments: '' } };
        if (event.id) call.id = event.id;
        if (event.name) call.function.name = event.name;
        call.function.arguments += event.args ?? '';
        break;
      }
      case 'background':
        this.text += event.message;
        break;
      case 'finish':
      case 'error':
        break;
    }
  }

  build(id: string, model: string, created: number, finishReason: FinishReason, usage: Usage): ChatCompletion {
    const toolCalls = this.tools.filter(Boolean);
    return {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: this.testModel ? TEST_MODEL_FINGERPRINT : null,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: this.text.length > 0 || toolCalls.length === 0 ? this.text : null,
            ...(this.reasoning ? { reasoning_content: this.reasoning } : {}),
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
            refusal: null,
          },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
    };
  }
}
