import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from './fake-local-servers.js';

export interface FakeModelHub {
  url: string;
  /** The Range header of each request (undefined when none), in order. */
  ranges: (string | undefined)[];
  close(): Promise<void>;
}

/**
 * A loopback stand-in for a model hub serving one file with Range support. Routes by the first path segment:
 * `/ok/...` serves it; `/drop/...` cuts the first response halfway (the next one resumes); `/corrupt/...`
 * serves other bytes of the same length; `/slow/...` sends 16 KB every 50 ms (time to cancel);
 * `/unsized/...` sends it chunked, without a Content-Length; `/missing/...` answers 404.
 */
export async function startFakeModelHub(file: Buffer): Promise<FakeModelHub> {
  const ranges: (string | undefined)[] = [];
  let dropped = false;
  const server: Server = createServer((req, res) => {
    ranges.push(req.headers.range);
    const route = (req.url ?? '/').split('/')[1] ?? '';
    if (route === 'missing') return void res.writeHead(404).end('Entry not found');
    const body = route === 'corrupt' ? Buffer.from(file).fill(7, 1000, 2000) : file;
    const m = req.headers.range?.match(/^bytes=(\d+)-$/);
    const start = m ? Number(m[1]) : 0;
    const part = body.subarray(start);
    if (route === 'unsized') {
      res.writeHead(200);
      return void res.end(part);
    }
    res.writeHead(m ? 206 : 200, {
      'content-length': String(part.length),
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (route === 'drop' && !dropped) {
      dropped = true;
      return void res.write(part.subarray(0, Math.floor(part.length / 2)), () => res.destroy());
    }
    if (route === 'slow') {
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed || at >= part.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(part.subarray(at, at + 16_384));
        at += 16_384;
      }, 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(part);
  });
  return { ranges, ...(await listenOnLoopback(server)) };
}
