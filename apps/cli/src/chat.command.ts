import type { MessageDto, PageResponse, RunDto } from '@switchboard/contracts';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { AnswerFollower } from './answer-follower.js';
import type { PlatformCommandContext } from './command-context.js';
import { PlatformApiError } from './platform-client.js';
import { TailPositions } from './tail-positions.js';

interface Turn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatOptions {
  resume?: string;
  system?: string;
}

/** How long `chat --resume` waits for the resumed run to be recorded in its conversation (it is batched). */
const RECORD_WAIT_MS = 10000;

/**
 * `switchboard chat [agent]`: a REPL over the gateway. Each line is a user message; the answer streams to
 * stdout (the run id and hints go to stderr). The conversation is the platform's: the first run names it and
 * every later turn joins it (X-Conversation-Id). Ctrl-C during an answer detaches (the run goes on; `runs
 * tail` resumes it), Ctrl-C or end of input at the prompt quits.
 */
export async function chatCommand(ctx: PlatformCommandContext, model: string, opts: ChatOptions, stdin: NodeJS.ReadStream = process.stdin): Promise<void> {
  const { platform, out } = ctx;
  const tty = stdin.isTTY === true;
  const positions = new TailPositions(ctx.env);
  const follower = new AnswerFollower(platform, out, positions, (text) => {
    if (!out.json) process.stdout.write(text);
  });
  const rl = createInterface({ input: stdin, ...(tty ? { output: process.stdout, terminal: true } : {}) });
  // Iterate from the start: lines readline reads while this awaits (piped input arrives at once) are kept.
  const lines = rl[Symbol.asyncIterator]();
  const interrupt = (): void => {
    if (follower.detach()) process.exit(130);
    rl.close();
  };
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  // Ctrl-D (or Ctrl-C at the prompt) may come while an answer streams: the answer ends, then the chat does. A
  // prompt after that would resume stdin and keep the process waiting on a closed interface.
  let closed = false;
  rl.once('close', () => (closed = true));

  const history: Turn[] = opts.system ? [{ role: 'system', content: opts.system }] : [];
  let conversationId: string | null = null;
  const answered = (runId: string, text: string, finishReason: string | null): void => {
    if (!out.json) process.stdout.write('\n');
    out.event({ event: 'answer', run_id: runId, text, finish_reason: finishReason });
  };

  if (opts.resume) {
    const run = await platform.request<RunDto>('GET', `/api/runs/${encodeURIComponent(opts.resume)}`);
    model = run.model;
    const progress = await follower.tail(run.id, positions.get(run.id));
    answered(run.id, progress.text, progress.finishReason);
    conversationId = run.conversation_id ?? run.id;
    history.push(...(await recordedHistory(ctx, run.id, conversationId)));
  }

  out.note(`chatting with ${model} on ${await platform.gatewayUrl()}${tty ? '; Ctrl-C during an answer detaches, Ctrl-D quits' : ''}`);
  if (tty) rl.setPrompt('> ');
  if (tty) rl.prompt();
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const line = next.value;
    const content = line.trim();
    if (content) {
      history.push({ role: 'user', content });
      try {
        const progress = await follower.chat({ model, messages: history }, conversationId ? { 'x-conversation-id': conversationId } : {});
        // The first run of a conversation the platform made for it is named after the run.
        conversationId ??= progress.runId;
        history.push({ role: 'assistant', content: progress.text });
        answered(progress.runId, progress.text, progress.finishReason);
      } catch (error) {
        // A person at a terminal can rephrase or fix the model name; a script gets the error and exit 1.
        if (!tty || !(error instanceof PlatformApiError)) throw error;
        history.pop();
        process.stderr.write(`\n${error.message}\n`);
      }
    }
    if (tty && !closed) rl.prompt();
  }
  process.off('SIGINT', interrupt);
}

/**
 * The conversation as the platform stored it, the resumed answer included: the history later turns send. The
 * run's messages are written in a batch after it ends, so this waits a little for them.
 */
async function recordedHistory(ctx: PlatformCommandContext, runId: string, conversationId: string): Promise<Turn[]> {
  const deadline = Date.now() + RECORD_WAIT_MS;
  for (;;) {
    const messages = await conversationMessages(ctx, conversationId);
    if (messages.some((m) => m.run_id === runId && m.role === 'assistant') || Date.now() > deadline) {
      if (!messages.some((m) => m.run_id === runId)) ctx.out.note(`run ${runId} is not recorded in its conversation yet: later turns go without its answer`);
      return messages.filter((m): m is MessageDto & { role: Turn['role'] } => m.role === 'system' || m.role === 'user' || m.role === 'assistant').map((m) => ({ role: m.role, content: m.content }));
    }
    await sleep(250);
  }
}

/** Every message of a conversation, oldest first; none while the platform has not recorded it yet (404). */
async function conversationMessages(ctx: PlatformCommandContext, conversationId: string): Promise<MessageDto[]> {
  const messages: MessageDto[] = [];
  let cursor: string | null = null;
  try {
    do {
      const page: PageResponse<MessageDto> = await ctx.platform.request('GET', `/api/conversations/${encodeURIComponent(conversationId)}/messages?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      messages.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
  } catch (error) {
    if (error instanceof PlatformApiError && error.status === 404) return [];
    throw error;
  }
  return messages;
}
