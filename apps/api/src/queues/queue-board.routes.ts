import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { type QueuesClient } from './queues.client.js';

export const QUEUE_BOARD_PATH = '/api/admin/queues';
export const BOARD_COOKIE = 'sb_board';
export const BOARD_SESSION_SECONDS = 900;

type Board = FastifyInstance;

/**
 * bull-board (the BullMQ dashboard) at /api/admin/queues, for admins. A page or iframe load cannot carry a Bearer
 * header, so an admin first calls `POST /api/queues/board-session` (Bearer, admin only), which sets a short-lived
 * HttpOnly, SameSite=Strict cookie scoped to this path; its token is checked in Redis on every request here.
 *
 * The board runs in a Fastify instance of its own, built on first use and reached with `inject`: its Fastify
 * adapter needs @fastify/static, which Jest's module loader cannot load (see swagger-ui.routes.ts), and a
 * dashboard nobody opens should cost nothing at start.
 */
export function registerQueueBoard(fastify: FastifyInstance, queues: QueuesClient): void {
  let board: Promise<Board> | null = null;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = readCookie(request.headers.cookie, BOARD_COOKIE);
    if (!token || !(await queues.hasBoardSession(token).catch(() => false))) {
      const error = new ApiError(401, 'authentication_error', 'The queue board needs a board session: POST /api/queues/board-session with an admin key first', undefined, 'board_session_required');
      return reply.code(401).send({ error: { message: error.message, type: error.type, param: null, code: error.code } });
    }
    board ??= buildBoard(queues);
    board.catch(() => {
      board = null;
    });
    const response = await (await board).inject({
      method: request.method as 'GET',
      url: request.url,
      headers: { ...request.headers, host: 'board' },
      payload: request.body === undefined ? undefined : (request.body as object),
    });
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && !['content-length', 'transfer-encoding', 'connection'].includes(name)) void reply.header(name, value);
    }
    return reply.code(response.statusCode).send(response.rawPayload);
  };
  fastify.all(QUEUE_BOARD_PATH, handler);
  fastify.all(`${QUEUE_BOARD_PATH}/*`, handler);
}

async function buildBoard(queues: QueuesClient): Promise<Board> {
  const [{ default: Fastify }, { createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('fastify'),
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: (await queues.queues()).map((q) => new BullMQAdapter(q, { readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Switchboard queues' } },
  });
  const app = Fastify({ logger: false });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  await app.ready();
  return app as unknown as Board;
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of header?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=') || null;
  }
  return null;
}
