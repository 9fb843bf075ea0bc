import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse, GbnfJsonSchema } from 'node-llama-cpp';
import type { ChatMessage, ToolChoice, ToolDefinition } from '@switchboard/contracts';

type MessageContent = Extract<ChatMessage, { role: 'user' }>['content'];

/**
 * The text of a message. Local models here read text only: image and other parts are left out, and text
 * parts are joined by newlines as separate paragraphs.
 */
export function contentText(content: MessageContent | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : []))
    .join('\n');
}

function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    // A model (or client) produced arguments that are not JSON; keep them as they were sent.
    return raw;
  }
}

/**
 * Maps an OpenAI-style conversation to node-llama-cpp chat history. Tool results are folded into the
 * assistant turn that called them (node-llama-cpp keeps a call and its result together), and the history
 * always ends with a model turn: an empty one to answer, or the caller's last assistant turn to continue.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const results = new Map<string, string>();
  for (const m of messages) if (m.role === 'tool') results.set(m.tool_call_id, contentText(m.content));
  const calledIds = new Set<string>();

  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
      case 'developer':
        history.push({ type: 'system', text: contentText(m.content) });
        break;
      case 'user':
        history.push({ type: 'user', text: contentText(m.content) });
        break;
      case 'assistant': {
        const response: ChatModelResponse['response'] = [];
        const text = contentText(m.content);
        if (text !== '') response.push(text);
        (m.tool_calls ?? []).forEach((call, i) => {
          calledIds.add(call.id);
          const item: ChatModelFunctionCall = {
            type: 'functionCall',
            name: call.function.name,
            params: parseArguments(call.function.arguments),
            result: results.get(call.id) ?? '',
            startsNewChunk: i === 0,
          };
          response.push(item);
        });
        history.push({ type: 'model', response });
        break;
      }
      case 'tool':
        // Results of calls we saw are inside their model turn; an orphan result still reaches the model.
        if (!calledIds.has(m.tool_call_id)) {
          history.push({ type: 'user', text: `Result of tool call ${m.tool_call_id}:\n${contentText(m.content)}` });
        }
        break;
    }
  }

  // A trailing model turn is continued: after tool results that is how node-llama-cpp renders the next
  // assistant turn, and a partial assistant text is a prefill to complete.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/**
 * The functions the model may call for this request, or undefined for none. `tool_choice: "none"` hides the
 * tools entirely; a named choice offers only that function.
 */
export function toChatFunctions(tools: readonly ToolDefinition[] | undefined, toolChoice: ToolChoice | undefined): ChatModelFunctions | undefined {
  if (!tools || tools.length === 0 || toolChoice === 'none') return undefined;
  const only = typeof toolChoice === 'object' ? toolChoice.function.name : undefined;
  const functions: Record<string, ChatModelFunctions[string]> = {};
  for (const tool of tools) {
    const fn = tool.function;
    if (only !== undefined && fn.name !== only) continue;
    functions[fn.name] = {
      ...(fn.description ? { description: fn.description } : {}),
      // node-llama-cpp turns this JSON schema into a grammar for the arguments; an unsupported schema
      // fails when the grammar is built and is reported as a bad request.
      ...(fn.parameters ? { params: fn.parameters as unknown as GbnfJsonSchema } : {}),
    };
  }
  return functions;
}

/** True when the request demands a tool call rather than leaving the choice to the model. */
export function toolCallRequired(toolChoice: ToolChoice | undefined): boolean {
  return toolChoice === 'required' || typeof toolChoice === 'object';
}
