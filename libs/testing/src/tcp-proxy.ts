import { createServer, type AddressInfo, connect, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections passed through right now. */
  readonly connections: number;
  /**
   * Drops every connection and refuses new ones (each is closed as soon as it is accepted) until `restore`:
   * an outage that lasts exactly as long as the test wants, whatever the client's reconnect timing.
   */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP pass-through on loopback (port 0) to `target`, that a test can cut and restore. A fault injector in
 * the manner of toxiproxy: the process under test connects here instead of to the real server.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) s.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const dropAll = (): void => {
    for (const pair of [...pairs]) for (const s of pair) s.destroy();
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return pairs.size;
    },
    cut() {
      refusing = true;
      dropAll();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
