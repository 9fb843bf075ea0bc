import { describe, expect, it } from '@jest/globals';
import { SequencePool } from './sequence-pool.js';

describe('SequencePool', () => {
  it('hands out free items at once and queues the rest in arrival order', async () => {
    const pool = new SequencePool(['a', 'b']);
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect([first.item, second.item].sort()).toEqual(['a', 'b']);

    const order: string[] = [];
    const third = pool.acquire().then((l) => (order.push('third'), l));
    const fourth = pool.acquire().then((l) => (order.push('fourth'), l));
    expect(pool.waiting).toBe(2);

    first.release();
    const third1 = await third;
    expect(third1.item).toBe(first.item);
    second.release();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it('a waiter whose signal aborts leaves the queue without taking a turn', async () => {
    const pool = new SequencePool(['only']);
    const busy = await pool.acquire();
    const controller = new AbortController();
    const aborted = pool.acquire(controller.signal);
    const next = pool.acquire();
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(pool.waiting).toBe(1);
    busy.release();
    expect((await next).item).toBe('only');
  });

  it('rejects at once for an already aborted signal, and a double release frees once', async () => {
    const pool = new SequencePool([1]);
    await expect(pool.acquire(AbortSignal.abort())).rejects.toBeDefined();
    const lease = await pool.acquire();
    lease.release();
    lease.release();
    expect(pool.available).toBe(1);
  });

  it('close rejects the waiters and later acquires', async () => {
    const pool = new SequencePool(['x']);
    await pool.acquire();
    const waiting = pool.acquire();
    pool.close(new Error('closing'));
    await expect(waiting).rejects.toThrow('closing');
    await expect(pool.acquire()).rejects.toThrow('closing');
  });
});
