import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where a detached answer stopped on this machine: one small file per run holding the last event id the CLI
 * showed, so `switchboard runs tail <id>` (or `chat --resume`) goes on after it without repeating text.
 * Kept in the XDG state folder (`$XDG_STATE_HOME/switchboard/runs`, default `~/.local/state/switchboard/runs`).
 */
export class TailPositions {
  private readonly dir: string;

  constructor(env: NodeJS.ProcessEnv) {
    const base = env.XDG_STATE_HOME?.trim() || path.join(env.HOME?.trim() || homedir(), '.local', 'state');
    this.dir = path.join(base, 'switchboard', 'runs');
  }

  /** The last event id shown of this run, or null when this machine never detached from it. */
  get(runId: string): string | null {
    try {
      const text = readFileSync(this.file(runId), 'utf8').trim();
      return /^\d+$/.test(text) ? text : null;
    } catch {
      return null;
    }
  }

  /** Synchronous: it runs in a SIGINT handler right before the process exits. */
  save(runId: string, lastEventId: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.file(runId), `${lastEventId}\n`);
  }

  /** The run was followed to its end: nothing is left to resume. */
  forget(runId: string): void {
    rmSync(this.file(runId), { force: true });
  }

  private file(runId: string): string {
    // Run ids are the platform's own (uuid-like); anything else must not name a path outside the folder.
    return path.join(this.dir, runId.replace(/[^A-Za-z0-9_-]/g, '_'));
  }
}
