import { randomBytes } from 'node:crypto';
import type { StreamPart } from '../language-model.js';

type ToolCallDelta = Extract<StreamPart, { type: 'tool-call-delta' }>;

interface CallState {
  id: string;
  name: string;
  /** Whitespace at the end of what arrived so far, held back until something follows it. */
  trailingSpace: string;
  sentArguments: boolean;
  argumentsDone: boolean;
}

export const newToolCallId = (): string => `call_${randomBytes(12).toString('hex')}`;

/**
 * Turns node-llama-cpp's function-call callbacks into OpenAI-style tool-call deltas: the first delta of each
 * call carries its index, id and name, later ones carry argument fragments. The argument grammar lets the
 * model pad the JSON with trailing newlines; those are dropped so `arguments` is the JSON text only.
 */
export class ToolCallDeltas {
  private readonly calls: CallState[] = [];
  private completedCount = 0;

  get count(): number {
    return this.calls.length;
  }

  /** From `onFunctionCallParamsChunk`. */
  paramsChunk(index: number, name: string, chunk: string, done: boolean): ToolCallDelta[] {
    const parts: ToolCallDelta[] = [];
    const call = this.start(index, name, parts);
    if (call.argumentsDone) return parts;
    const text = call.trailingSpace + chunk;
    const body = text.trimEnd();
    call.trailingSpace = text.slice(body.length);
    if (body !== '') {
      parts.push({ type: 'tool-call-delta', index, argumentsDelta: body });
      call.sentArguments = true;
    }
    if (done) call.argumentsDone = true;
    return parts;
  }

  /** From `onFunctionCall`, once a call is complete; calls arrive in index order. */
  completed(name: string, params: unknown): ToolCallDelta[] {
    const at = this.completedCount++;
    const parts: ToolCallDelta[] = [];
    const call = this.start(at, name, parts);
    if (!call.sentArguments) {
      // A call without parameters streams no argument text; OpenAI clients still expect a JSON object.
      parts.push({ type: 'tool-call-delta', index: at, argumentsDelta: JSON.stringify(params ?? {}) });
      call.sentArguments = true;
    }
    call.argumentsDone = true;
    return parts;
  }

  private start(index: number, name: string, parts: ToolCallDelta[]): CallState {
    let call = this.calls[index];
    if (!call) {
      call = { id: newToolCallId(), name, trailingSpace: '', sentArguments: false, argumentsDone: false };
      this.calls[index] = call;
      parts.push({ type: 'tool-call-delta', index, id: call.id, name });
    }
    return call;
  }
}
