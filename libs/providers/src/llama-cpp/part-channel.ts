/**
 * A one-consumer async queue: the generation pushes parts from node-llama-cpp callbacks (which cannot wait),
 * the caller iterates at its own pace. A consumer that stops early (break / return) triggers `onCancel`, so
 * the generation is aborted and its sequence freed instead of running on for nobody.
 */
export class PartChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly onCancel: () => void) {}

  push(part: T): void {
    if (this.closed) return;
    this.buffer.push(part);
    this.notify();
  }

  close(): void {
    this.closed = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    let finished = false;
    try {
      for (;;) {
        const next = this.buffer.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.closed) {
          finished = true;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!finished) this.onCancel();
    }
  }
}
