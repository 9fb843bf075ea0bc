import pretty from 'pino-pretty';
import { pino, type DestinationStream, type Logger } from 'pino';
import { traceLogFields } from './tracing.js';

export type { Logger };

/** Where log lines go: a terminal gets them readable (pino-pretty), anything else JSON, one object per line. */
export interface LogOutput {
  /** Whether the output is a terminal; default: process.stdout.isTTY. */
  tty?: boolean;
  /** Default: stdout. */
  stream?: NodeJS.WritableStream;
}

/**
 * A person at a terminal reads pretty lines; collectors (Docker, systemd, Loki) get JSON, which is what a
 * pipe or a file is. Pretty printing runs in this thread (no transport worker) and synchronously, so lines
 * written just before an exit are not lost.
 */
export function logDestination(output: LogOutput = {}): DestinationStream | undefined {
  const stream = output.stream ?? process.stdout;
  if (!(output.tty ?? process.stdout.isTTY === true)) return output.stream ? (stream as DestinationStream) : undefined;
  return pretty({ destination: stream, sync: true, colorize: output.tty ?? undefined, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}

/**
 * Structured logs (pino) for every app. Authorization headers and anything named like a secret are
 * redacted at the logger, so a careless `log.info({ config })` still cannot leak a key. With tracing on, a line
 * written inside a span carries its `trace_id` and `span_id`.
 */
export function createLogger(app: string, level: string = process.env.LOG_LEVEL ?? 'info', output: LogOutput = {}): Logger {
  const options = {
    name: app,
    level,
    base: { app },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        '*.api_key',
        '*.admin_key',
        '*.apiKey',
        '*.password',
        '*.secret',
        'config.auth',
      ],
      censor: '***',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The trace of the request or job a line was written for, while tracing is on (nothing otherwise).
    mixin: traceLogFields,
  };
  const destination = logDestination(output);
  return destination ? pino(options, destination) : pino(options);
}
