import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { AuthError } from '@switchboard/auth';
import { type ApiErrorBody } from '@switchboard/contracts';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type Logger } from 'pino';
import type { Database } from '@switchboard/db';
import { DATABASE, LOGGER } from '../api.tokens.js';
import { ApiError, errorTypeForStatus, isNamedError } from './api-error.js';

/**
 * The one place errors become responses. Every error leaves as `{ error: { message, type, param, code, details? } }`;
 * only messages we wrote (or Fastify's own 4xx wording) reach the client, never a stack or a driver message.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DATABASE) private readonly db: Pick<Database, 'ping'>,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const error = toApiError(exception);
    if (error.status !== 500) return this.send(reply, error);
    // An unexplained failure while the database is unreachable is the outage, not a bug: say so with 503 and
    // Retry-After, as /readyz does, instead of a bare 500. Drivers word lost connections in many ways; a ping
    // is the one test that does not depend on their wording.
    void pingWithin(this.db, 1000).then((reachable) => {
      if (reachable) {
        this.logger.error({ err: exception, reqId: request.id }, 'request failed');
        return this.send(reply, error);
      }
      this.logger.warn({ reqId: request.id }, 'request failed: the database is not reachable');
      return this.send(reply, new ApiError(503, 'service_unavailable_error', 'The database is not reachable right now; try again shortly.', undefined, 'database_unavailable'), 5);
    });
  }

  private send(reply: FastifyReply, error: ApiError, retryAfter?: number): void {
    const body: ApiErrorBody = {
      error: { message: error.message, type: error.type, param: error.param, code: error.code, ...(error.details ? { details: error.details } : {}) },
    };
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.status(error.status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

async function pingWithin(db: Pick<Database, 'ping'>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([db.ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  if (exception instanceof AuthError) return new ApiError(exception.status, exception.type, exception.message, undefined, exception.code);
  if (exception instanceof HttpException) {
    // Nest also wraps Fastify's body parser errors (bad JSON, too large) in HttpExceptions.
    const status = exception.getStatus();
    return new ApiError(status, errorTypeForStatus(status), status === 413 ? BODY_TOO_LARGE : httpExceptionMessage(exception));
  }
  if (isNamedError(exception, 'ConflictError')) return ApiError.conflict('The request conflicts with an existing resource');
  if (isNamedError(exception, 'NotFoundError')) return new ApiError(404, 'not_found_error', 'Resource not found');
  // libs/db writes these messages for people and keeps driver details out of them.
  if (isNamedError(exception, 'InvalidCursorError')) return ApiError.badRequest(exception.message, [{ path: 'cursor', message: exception.message }]);
  if (isNamedError(exception, 'InvalidDataError')) return ApiError.badRequest(exception.message);
  const fastifyStatus = clientErrorStatus(exception);
  if (fastifyStatus !== undefined) {
    return new ApiError(fastifyStatus, errorTypeForStatus(fastifyStatus), fastifyMessage(exception as Error, fastifyStatus));
  }
  return new ApiError(500, 'server_error', 'Internal server error');
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  if (typeof response === 'object' && response !== null && 'message' in response) {
    const { message } = response as { message: unknown };
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.join('; ');
  }
  return exception.message;
}

/** Fastify's body parsing errors (bad JSON, too large, wrong media type) carry a 4xx `statusCode`. */
function clientErrorStatus(exception: unknown): number | undefined {
  if (!(exception instanceof Error) || !('statusCode' in exception)) return undefined;
  const { statusCode } = exception as { statusCode: unknown };
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined;
}

const BODY_TOO_LARGE = 'Request body is larger than the configured limit (server.body_limit_mb)';

function fastifyMessage(exception: Error, status: number): string {
  if (status === 413) return BODY_TOO_LARGE;
  if (exception instanceof SyntaxError || /JSON/i.test(exception.message)) return 'Request body is not valid JSON';
  return exception.message;
}
