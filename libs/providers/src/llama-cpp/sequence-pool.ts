/**
 * Hands out a fixed set of items (context sequences) one caller at a time. Callers beyond the set wait in
 * FIFO order; a waiting caller whose signal aborts leaves the queue at once without taking a turn.
 */
export class SequencePool<T> {
  private readonly free: T[];
  private readonly waiters: Waiter<T>[] = [];
  private closedWith: { reason: unknown } | undefined;

  constructor(items: readonly T[]) {
    this.free = [...items];
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get available(): number {
    return this.free.length;
  }

  /** Rejects every waiter and all later acquires with `reason` (the owner is shutting down). */
  close(reason: unknown): void {
    this.closedWith = { reason };
    for (const waiter of this.waiters.splice(0)) waiter.fail(reason);
  }

  /** Resolves with a lease once an item is free; rejects with `signal.reason` if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<Lease<T>> {
    if (this.closedWith) return Promise.reject(this.closedWith.reason);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const item = this.waiters.length === 0 ? this.free.shift() : undefined;
    if (item !== undefined) return Promise.resolve(this.lease(item));

    return new Promise<Lease<T>>((resolve, reject) => {
      const waiter: Waiter<T> = {
        grant: (granted) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.lease(granted));
        },
        fail: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private lease(item: T): Lease<T> {
    let released = false;
    return {
      item,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) next.grant(item);
        else this.free.push(item);
      },
    };
  }
}

export interface Lease<T> {
  readonly item: T;
  /** Gives the item to the next waiter; calling it twice is harmless. */
  release(): void;
}

interface Waiter<T> {
  grant(item: T): void;
  fail(reason: unknown): void;
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('aborted', 'AbortError');
}
