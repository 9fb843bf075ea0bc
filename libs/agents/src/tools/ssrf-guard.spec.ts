import { describe, expect, it } from '@jest/globals';
import { ToolError } from '../tool.js';
import { blockedAddressReason, type HostLookup, parseIPv6, vetTarget } from './ssrf-guard.js';

const closed = { allowPrivate: false, allowedHosts: [] };
const signal = new AbortController().signal;
const answers =
  (...addresses: string[]): HostLookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'a loopback'],
    ['127.255.1.2', 'a loopback'],
    ['10.0.0.1', 'a private'],
    ['172.16.0.1', 'a private'],
    ['172.31.255.255', 'a private'],
    ['192.168.1.1', 'a private'],
    ['169.254.169.254', 'the cloud metadata'],
    ['169.254.1.1', 'a link-local'],
    ['100.64.0.1', 'a shared (carrier-grade NAT)'],
    ['100.127.255.254', 'a shared (carrier-grade NAT)'],
    ['0.0.0.0', 'an unspecified ("this network")'],
    ['224.0.0.1', 'a multicast'],
    ['255.255.255.255', 'the broadcast'],
    ['240.0.0.1', 'a reserved'],
    ['192.0.2.10', 'a documentation'],
    ['198.18.0.1', 'a benchmarking'],
    ['::', 'an unspecified'],
    ['::1', 'a loopback'],
    ['fc00::1', 'a unique local (private)'],
    ['fd12:3456::1', 'a unique local (private)'],
    ['fe80::1', 'a link-local'],
    ['fe80::1%eth0', 'a link-local'],
    ['ff02::1', 'a multicast'],
    ['::ffff:127.0.0.1', 'a loopback (IPv4 inside IPv6)'],
    ['::ffff:7f00:1', 'a loopback (IPv4 inside IPv6)'],
    ['::ffff:10.1.2.3', 'a private (IPv4 inside IPv6)'],
    ['::ffff:169.254.169.254', 'the cloud metadata (IPv4 inside IPv6)'],
    ['64:ff9b::192.168.0.1', 'a private (IPv4 inside IPv6)'],
    ['2002:7f00:1::', 'a loopback (IPv4 inside IPv6)'],
    ['::127.0.0.1', 'a reserved'], // IPv4-compatible, deprecated
    ['2001:db8::1', 'a documentation'],
    ['2001::1', 'a reserved (IETF protocol assignments)'],
    ['100::1', 'a reserved'],
  ])('%s is %s address', (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:808:808::1'])(
    '%s is public',
    (address) => {
      expect(blockedAddressReason(address)).toBeUndefined();
    },
  );
});

describe('parseIPv6', () => {
  it('reads the compressed, full and dotted forms', () => {
    expect(parseIPv6('::1')).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIPv6('2001:db8:0:0:0:0:0:1')).toEqual(parseIPv6('2001:db8::1'));
    expect(parseIPv6('::ffff:1.2.3.4')?.slice(10)).toEqual([0xff, 0xff, 1, 2, 3, 4]);
  });

  it('rejects malformed addresses', () => {
    for (const bad of ['1::2::3', '12345::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '::1.2.3.400', '1:2:3:4:5:6:7::8']) {
      expect(parseIPv6(bad)).toBeUndefined();
    }
  });
});

describe('vetTarget', () => {
  it('refuses a host when any of its addresses is internal, in any position', async () => {
    const url = new URL('http://mixed.example/');
    await expect(vetTarget(url, closed, answers('93.184.216.34', '10.0.0.1'), signal)).rejects.toThrow(
      /refused to fetch http:\/\/mixed\.example: mixed\.example resolves to 10\.0\.0\.1, which is a private address/,
    );
    await expect(vetTarget(url, closed, answers('fd00::1', '93.184.216.34'), signal)).rejects.toBeInstanceOf(ToolError);
  });

  it('returns every address of a public host, to connect to those and no others', async () => {
    const target = await vetTarget(new URL('https://public.example/x'), closed, answers('93.184.216.34', '2606:4700::1111'), signal);
    expect(target).toEqual({
      hostname: 'public.example',
      addresses: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ],
    });
  });

  it('checks literal addresses without asking DNS', async () => {
    let asked = 0;
    const counting: HostLookup = async () => {
      asked += 1;
      return [];
    };
    // The WHATWG parser turns these spellings into 127.0.0.1 / ::ffff:7f00:1 before the guard looks.
    for (const spelling of ['http://2130706433/', 'http://0x7f000001/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/']) {
      await expect(vetTarget(new URL(spelling), closed, counting, signal)).rejects.toThrow(/is a loopback/);
    }
    await expect(vetTarget(new URL('http://8.8.8.8/'), closed, counting, signal)).resolves.toEqual({
      hostname: '8.8.8.8',
      addresses: [{ address: '8.8.8.8', family: 4 }],
    });
    expect(asked).toBe(0);
  });

  it('lets allowed hosts and allow_private through, and only those', async () => {
    const internal = answers('10.1.2.3');
    const allowed = { allowPrivate: false, allowedHosts: ['Wiki.Corp.'] };
    await expect(vetTarget(new URL('http://wiki.corp/'), allowed, internal, signal)).resolves.toMatchObject({ hostname: 'wiki.corp' });
    await expect(vetTarget(new URL('http://other.corp/'), allowed, internal, signal)).rejects.toThrow(/private/);
    await expect(vetTarget(new URL('http://[::1]:8080/'), { allowPrivate: false, allowedHosts: ['[::1]'] }, internal, signal)).resolves.toMatchObject({
      addresses: [{ address: '::1', family: 6 }],
    });
    await expect(vetTarget(new URL('http://other.corp/'), { allowPrivate: true, allowedHosts: [] }, internal, signal)).resolves.toMatchObject({
      addresses: [{ address: '10.1.2.3', family: 4 }],
    });
  });

  it('refuses schemes other than http and https', async () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/', 'data:text/plain,hi']) {
      await expect(vetTarget(new URL(url), { allowPrivate: true, allowedHosts: [] }, answers('8.8.8.8'), signal)).rejects.toThrow(
        /only http and https URLs can be fetched/,
      );
    }
  });

  it('turns DNS failures into ToolErrors and stops waiting for DNS when aborted', async () => {
    const notFound: HostLookup = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    await expect(vetTarget(new URL('http://nowhere.invalid/'), closed, notFound, signal)).rejects.toThrow(
      'could not resolve the host nowhere.invalid (no such host)',
    );
    await expect(vetTarget(new URL('http://empty.example/'), closed, answers(), signal)).rejects.toThrow('has no address');
    const controller = new AbortController();
    const never: HostLookup = () => new Promise(() => undefined);
    const pending = vetTarget(new URL('http://slow.example/'), closed, never, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
