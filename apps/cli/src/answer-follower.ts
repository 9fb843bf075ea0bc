import { type AnswerProgress, answerProgress, followAnswer } from './answer-stream.js';
import type { CliOutput } from './cli-output.js';
import type { PlatformClient } from './platform-client.js';
import type { TailPositions } from './tail-positions.js';

/**
 * Streams answers from the gateway to stdout, one at a time, and detaches from the one in flight on Ctrl-C:
 * the run goes on (requests carry `X-On-Disconnect: continue`), the position shown is saved for
 * `switchboard runs tail <id>`, and the hint to resume is printed.
 */
export class AnswerFollower {
  private current: { progress: AnswerProgress | null; controller: AbortController } | null = null;

  constructor(
    private readonly platform: PlatformClient,
    private readonly out: CliOutput,
    private readonly positions: TailPositions,
    private readonly write: (text: string) => void,
  ) {}

  get answering(): boolean {
    return this.current !== null;
  }

  /** POST /v1/chat/completions, streamed; the run id is announced as soon as the response head names it. */
  async chat(body: object, headers: Record<string, string> = {}): Promise<AnswerProgress> {
    const gateway = await this.platform.gatewayUrl();
    return this.follow(async (signal) => {
      const response = await this.platform.open(`${gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-on-disconnect': 'continue', ...headers },
        body: { ...body, stream: true },
        signal,
      });
      const runId = response.headers.get('x-run-id');
      if (!runId) throw new Error(`${gateway} answered without an X-Run-Id header: is SWITCHBOARD_GATEWAY_URL a Switchboard gateway?`);
      return { response, progress: answerProgress(runId) };
    });
  }

  /** GET /v1/runs/:id/events after `after` (null: from the start): the rest of an answer, nothing repeated. */
  async tail(runId: string, after: string | null): Promise<AnswerProgress> {
    const gateway = await this.platform.gatewayUrl();
    return this.follow(async (signal) => {
      const response = await this.platform.open(`${gateway}/v1/runs/${encodeURIComponent(runId)}/events`, {
        headers: after === null ? {} : { 'last-event-id': after },
        signal,
      });
      return { response, progress: answerProgress(runId, after) };
    });
  }

  /**
   * Stops following the answer in flight (Ctrl-C): saves where it stopped and says how to resume. False when
   * no answer is in flight (Ctrl-C at the prompt).
   */
  detach(): boolean {
    const current = this.current;
    if (!current) return false;
    this.current = null;
    current.controller.abort();
    const progress = current.progress;
    if (!progress) {
      this.out.note('\nstopped before the gateway named the run');
      return true;
    }
    if (progress.lastEventId !== null) this.positions.save(progress.runId, progress.lastEventId);
    this.out.note(`\ndetached from run ${progress.runId}; it goes on. Resume with: switchboard runs tail ${progress.runId}`);
    this.out.event({ event: 'detached', run_id: progress.runId, last_event_id: progress.lastEventId, resume: `switchboard runs tail ${progress.runId}` });
    return true;
  }

  private async follow(start: (signal: AbortSignal) => Promise<{ response: Response; progress: AnswerProgress }>): Promise<AnswerProgress> {
    const current: { progress: AnswerProgress | null; controller: AbortController } = { progress: null, controller: new AbortController() };
    this.current = current;
    try {
      const { response, progress } = await start(current.controller.signal);
      current.progress = progress;
      this.out.note(`run ${progress.runId}`);
      this.out.event({ event: 'run', run_id: progress.runId });
      await followAnswer(response, progress, this.write);
      this.positions.forget(progress.runId);
      return progress;
    } finally {
      if (this.current === current) this.current = null;
    }
  }
}
