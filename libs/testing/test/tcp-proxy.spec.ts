import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { startTcpProxy, type TcpProxy } from '../src/index.js';

let echo: Server;
let proxy: TcpProxy;

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  proxy = await startTcpProxy({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
});

afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

const open = (): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect(proxy.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });

/** What comes back for `text`, or 'closed' when the connection ends first. */
const roundTrip = (s: Socket, text: string): Promise<string> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve('closed');
    s.once('data', (d: Buffer) => resolve(d.toString()));
    s.once('close', () => resolve('closed'));
    s.on('error', () => undefined);
    s.write(text);
  });

describe('TCP proxy', () => {
  it('passes bytes through, drops every connection on cut, refuses new ones until restored', async () => {
    const before = await open();
    expect(await roundTrip(before, 'one')).toBe('one');
    expect(proxy.connections).toBe(1);

    const closed = new Promise<void>((resolve) => before.once('close', () => resolve()));
    proxy.cut();
    await closed;
    expect(proxy.connections).toBe(0);
    const during = await open();
    expect(await roundTrip(during, 'two')).toBe('closed');

    proxy.restore();
    const after = await open();
    expect(await roundTrip(after, 'three')).toBe('three');
    after.destroy();
  });
});
