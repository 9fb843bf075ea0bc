import { createServer, type AddressInfo } from 'node:net';

/**
 * A port that was free a moment ago on 127.0.0.1. Prefer listening on port 0 directly; this is for code that
 * must be told its port before it starts (a child process, a config file).
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
