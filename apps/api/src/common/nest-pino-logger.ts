import { type LoggerService } from '@nestjs/common';
import { type Logger } from 'pino';

/**
 * Routes Nest's own messages into the app's pino logger. Nest's chatty `log` level (every mapped route at
 * start) goes to debug; warnings and errors keep their level.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: unknown): void {
    this.logger.debug(fields(context), text(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    this.logger.error({ ...fields(context), ...(message instanceof Error ? { err: message } : {}) }, text(message));
  }
  warn(message: unknown, context?: unknown): void {
    this.logger.warn(fields(context), text(message));
  }
  debug(message: unknown, context?: unknown): void {
    this.logger.debug(fields(context), text(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.logger.trace(fields(context), text(message));
  }
  fatal(message: unknown, context?: unknown): void {
    this.logger.fatal(fields(context), text(message));
  }
}

function fields(context: unknown): { context?: string } {
  return typeof context === 'string' ? { context } : {};
}

function text(message: unknown): string {
  if (message instanceof Error) return message.message;
  return typeof message === 'string' ? message : JSON.stringify(message);
}
