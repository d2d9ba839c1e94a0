/**
 * A single-consumer queue exposed as an async iterable, for client-streaming calls whose messages
 * come from user calls (`write`, `resize`). `push` resolves once the transport has taken the item,
 * which is how backpressure reaches the caller.
 */
export class HandoffQueue<T> implements AsyncIterable<T> {
  private readonly items: { value: T; taken: () => void }[] = [];
  private waiting: ((r: IteratorResult<T, undefined>) => void) | undefined;
  private ended = false;

  get closed(): boolean {
    return this.ended;
  }

  push(value: T): Promise<void> {
    if (this.ended) return Promise.reject(new Error("the input stream is already closed"));
    return new Promise<void>((taken) => {
      if (this.waiting) {
        const deliver = this.waiting;
        this.waiting = undefined;
        deliver({ value, done: false });
        taken();
      } else {
        this.items.push({ value, taken });
      }
    });
  }

  /** No more items: the consumer finishes after draining what is queued. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting && this.items.length === 0) {
      const deliver = this.waiting;
      this.waiting = undefined;
      deliver({ value: undefined, done: true });
    }
  }

  private close(): Promise<IteratorResult<T, undefined>> {
    this.end();
    for (const item of this.items.splice(0)) item.taken();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item) {
          item.taken();
          return Promise.resolve({ value: item.value, done: false });
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => this.close(),
      // The transport calls throw() when sending fails; the queue just stops.
      throw: () => this.close(),
    };
  }
}
