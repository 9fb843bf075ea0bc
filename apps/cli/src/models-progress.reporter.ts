import cliProgress from 'cli-progress';
import type { DownloadProgress } from '@switchboard/providers';

export interface ProgressReporter {
  update(progress: DownloadProgress): void;
  /** Ends the bar (or prints the last line); call on success and on failure alike. */
  done(): void;
}

export interface ProgressReporterOptions {
  label: string;
  /** Where it writes: a bar on a terminal, plain lines elsewhere (logs, CI, pipes). */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Plain mode: at most one line per this many ms. Default 5000. */
  intervalMs?: number;
  now?: () => number;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

/**
 * Download progress for people: a redrawn bar on a TTY (cli-progress); otherwise a plain line now and then,
 * so a log or a CI job shows that the download moves without one line per network chunk.
 */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  return options.stream.isTTY ? barReporter(options) : lineReporter(options);
}

function barReporter({ label, stream }: ProgressReporterOptions): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} {bar} {percentage}% | {got}/{size} MB | {speed} MB/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let first = { at: Date.now(), bytes: 0 };
  return {
    update(p) {
      const total = p.totalBytes ?? p.receivedBytes;
      if (!started) {
        started = true;
        first = { at: Date.now(), bytes: p.receivedBytes };
        bar.start(total, p.receivedBytes, { got: mb(p.receivedBytes), size: mb(total), speed: '-' });
        return;
      }
      const seconds = (Date.now() - first.at) / 1000;
      const speed = seconds > 0 ? mb((p.receivedBytes - first.bytes) / seconds) : '-';
      bar.setTotal(total);
      bar.update(p.receivedBytes, { got: mb(p.receivedBytes), size: mb(total), speed });
    },
    done() {
      if (started) bar.stop();
    },
  };
}

function lineReporter({ label, stream, intervalMs = 5000, now = Date.now }: ProgressReporterOptions): ProgressReporter {
  let last: DownloadProgress | undefined;
  let lastPrinted = -Infinity;
  let printedBytes = -1;
  let first: { at: number; bytes: number } | undefined;
  const print = (p: DownloadProgress): void => {
    const elapsed = first ? (now() - first.at) / 1000 : 0;
    const speed = first && elapsed >= 1 ? `, ${mb((p.receivedBytes - first.bytes) / elapsed)} MB/s` : '';
    const share = p.totalBytes ? ` (${Math.floor((100 * p.receivedBytes) / p.totalBytes)}%)` : '';
    stream.write(`${label}: ${mb(p.receivedBytes)}${p.totalBytes ? ` / ${mb(p.totalBytes)}` : ''} MB${share}${speed}\n`);
    lastPrinted = now();
    printedBytes = p.receivedBytes;
  };
  return {
    update(p) {
      first ??= { at: now(), bytes: p.receivedBytes };
      last = p;
      if (now() - lastPrinted >= intervalMs) print(p);
    },
    done() {
      if (last && last.receivedBytes !== printedBytes) print(last);
    },
  };
}
