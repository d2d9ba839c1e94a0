export interface ChannelOptions {
  /** Items held before `pause` is called (the producer should stop); `resume` once half are read. */
  highWater?: number;
  pause?: () => void;
  resume?: () => void;
  /** The consumer stopped early (`break` out of `for await`). */
  onReturn?: () => void;
}

type Waiter<T> = {
  resolve: (result: IteratorResult<T, undefined>) => void;
  reject: (error: unknown) => void;
};

/**
 * A single-consumer queue from stream events to an async iterator, which ends either with `end()`
 * (after every queued item) or with an error. Streams of a child process feed it; its backpressure
 * hooks pause them while the consumer is behind.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: Waiter<T> | undefined;
  private state: "open" | "ended" | "failed" | "finished" = "open";
  private failure: unknown;
  private paused = false;
  private readonly highWater: number;

  constructor(private readonly options: ChannelOptions = {}) {
    this.highWater = options.highWater ?? 64;
  }

  /** No more items will be accepted. */
  get closed(): boolean {
    return this.state !== "open";
  }

  push(item: T): void {
    if (this.state !== "open") return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.paused && this.items.length >= this.highWater) {
      this.paused = true;
      this.options.pause?.();
    }
  }

  /** The consumer finishes after what is queued. */
  end(): void {
    if (this.state !== "open") return;
    this.state = "ended";
    this.settleWaiter();
  }

  /**
   * The consumer gets `error` after what is queued, or at once (queued items dropped) when
   * `immediate`: a cancel should not wait behind output nobody wants any more.
   */
  fail(error: unknown, immediate = false): void {
    if (this.state !== "open") return;
    this.state = "failed";
    this.failure = error;
    if (immediate) this.items.length = 0;
    this.settleWaiter();
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (waiter === undefined || this.items.length > 0) return;
    this.waiter = undefined;
    this.finishWith(waiter);
  }

  private finishWith(waiter: Waiter<T>): void {
    if (this.state === "failed") {
      this.state = "finished";
      waiter.reject(this.failure);
    } else {
      this.state = "finished";
      waiter.resolve({ value: undefined, done: true });
    }
  }

  private next(): Promise<IteratorResult<T, undefined>> {
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      if (this.paused && this.items.length <= this.highWater / 2) {
        this.paused = false;
        this.options.resume?.();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.state === "open") {
      return new Promise((resolve, reject) => {
        this.waiter = { resolve, reject };
      });
    }
    if (this.state === "finished") return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.finishWith({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => this.next(),
      return: () => {
        if (this.state === "open") this.options.onReturn?.();
        this.state = "finished";
        this.items.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
