/**
 * A push/pull queue that turns callbacks (process output, socket data, state changes) into the async
 * iterables connect-es streams from. `end()` finishes after the buffered items; `fail()` too, then
 * throws, so a stream always delivers what was produced before it broke.
 */
export class BufferedQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;

  /**
   * @param onDrain called when the consumer takes an item and the backlog is at most `lowWater`, so a
   *   producer that paused (a socket, a pipe) can resume: data flows no faster than HTTP/2 takes it.
   */
  constructor(
    private readonly onDrain?: () => void,
    private readonly lowWater = 8,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get closed(): boolean {
    return this.ended || this.failure !== undefined;
  }

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = { error };
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        if (this.items.length <= this.lowWater) this.onDrain?.();
        yield item;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
