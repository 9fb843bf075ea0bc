import type { PageResponse, RunDto } from '@switchboard/contracts';
import { AnswerFollower } from './answer-follower.js';
import { formatRecord, formatTable, shortTime } from './cli-output.js';
import type { PlatformCommandContext } from './command-context.js';
import { TailPositions } from './tail-positions.js';

const runPath = (id: string): string => `/api/runs/${encodeURIComponent(id)}`;

/** `runs list [--status] [--limit]`: the caller's runs (an admin's: everyone's), newest first. */
export async function listRunsCommand(ctx: PlatformCommandContext, opts: { status?: string; limit?: number }): Promise<void> {
  const query = new URLSearchParams();
  if (opts.status) query.set('status', opts.status);
  if (opts.limit) query.set('limit', String(opts.limit));
  const page = await ctx.platform.request<PageResponse<RunDto>>('GET', `/api/runs${query.toString() ? `?${query.toString()}` : ''}`);
  ctx.out.result(page, () =>
    page.data.length === 0
      ? 'no runs'
      : formatTable(
          ['id', 'status', 'model', 'answered by', 'tokens', 'created'],
          page.data.map((r) => [r.id, r.status, r.model, r.provider ? `${r.provider}/${r.provider_model ?? ''}` : '-', String(r.usage.total_tokens), shortTime(r.created_at)]),
        ),
  );
}

/** `runs show <id>`: one run, its usage and every provider attempt. */
export async function showRunCommand(ctx: PlatformCommandContext, id: string): Promise<void> {
  const run = await ctx.platform.request<RunDto>('GET', runPath(id));
  ctx.out.result(run, () => formatRun(run));
}

/** `runs cancel <id>`: the API takes a queued run off the queue at once, a running one is aborted by its worker. */
export async function cancelRunCommand(ctx: PlatformCommandContext, id: string): Promise<void> {
  const run = await ctx.platform.request<RunDto>('POST', `${runPath(id)}/cancel`);
  ctx.out.result(run, () => (run.status === 'cancelled' ? `run ${run.id} cancelled` : `run ${run.id}: cancel sent (${run.status}); \`switchboard runs show ${run.id}\` shows when it stopped`));
}

/**
 * `runs tail <id>`: the run's answer as it streams, from where this machine last detached from it (or from
 * `--after`, or from the start), to its end. Ctrl-C detaches again.
 */
export async function tailRunCommand(ctx: PlatformCommandContext, id: string, opts: { after?: string; fromStart?: boolean }): Promise<void> {
  const positions = new TailPositions(ctx.env);
  const follower = new AnswerFollower(ctx.platform, ctx.out, positions, (text) => {
    if (!ctx.out.json) process.stdout.write(text);
  });
  const interrupt = (): void => {
    follower.detach();
    process.exit(130);
  };
  process.on('SIGINT', interrupt);
  try {
    const after = opts.after ?? (opts.fromStart ? null : positions.get(id));
    const progress = await follower.tail(id, after);
    if (!ctx.out.json) process.stdout.write('\n');
    ctx.out.event({ event: 'answer', run_id: id, text: progress.text, finish_reason: progress.finishReason, resumed_after: after });
  } finally {
    process.off('SIGINT', interrupt);
  }
}

function formatRun(r: RunDto): string {
  const fields: [string, string][] = [
    ['id', r.id],
    ['status', `${r.status}${r.mode === 'background' ? ' (background)' : ''}`],
    ['model', r.model],
    ['answered by', r.provider ? `${r.provider}/${r.provider_model ?? ''}` : '-'],
    ['conversation', r.conversation_id ?? '-'],
    ['attempt', String(r.attempt)],
    ['tokens', `${r.usage.prompt_tokens} in, ${r.usage.completion_tokens} out`],
    ['cost', String(r.cost)],
    ['finish', r.finish_reason ?? '-'],
    ['created', shortTime(r.created_at)],
    ['finished', shortTime(r.finished_at)],
  ];
  if (r.error) fields.push(['error', r.error]);
  const lines = [formatRecord(fields)];
  if (r.attempts.length) {
    lines.push(
      '',
      formatTable(
        ['attempt', 'outcome', 'latency', 'ttft', 'error'],
        r.attempts.map((a) => [`${a.provider}/${a.model}${a.cached ? ' (cache)' : ''}`, a.outcome, `${a.latency_ms} ms`, a.ttft_ms === null ? '-' : `${a.ttft_ms} ms`, a.error ?? '']),
      ),
    );
  }
  return lines.join('\n');
}
