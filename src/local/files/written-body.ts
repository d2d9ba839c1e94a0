import { Readable, type Writable } from "node:stream";

/**
 * An archive request's body that asks its source for the next chunk only once the request has
 * written the last one to the engine's socket, so the source may read the next into the same
 * memory (see `ArchiveAccess.put`): a 256 MiB upload then leaves no chunks for the collector,
 * where fresh ones (some 30 MiB of them waiting for each young-generation collection) were most of
 * the process's growth during the transfer.
 *
 * The engine client pipes the body into its request (docker-modem: `body.pipe(request)`), so
 * `pipe` is where the writes happen, each with its completion callback. Read as a plain stream
 * instead, there is no completion to wait for, and each chunk is copied before it is passed on.
 * A source that throws destroys the body with its error, which ends the request with it.
 */
export class WrittenBody extends Readable {
  readonly #source: AsyncIterator<Uint8Array>;
  #stopped = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    super();
    this.#source = source[Symbol.asyncIterator]();
  }

  override _read(): void {
    this.#source.next().then(
      (next) => {
        this.push(next.done ? null : Buffer.from(next.value));
      },
      (error: unknown) => this.destroy(error as Error),
    );
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    void this.writeAll(destination as unknown as Writable, options?.end !== false);
    return destination;
  }

  private async writeAll(destination: Writable, end: boolean): Promise<void> {
    try {
      for (;;) {
        if (this.#stopped || this.destroyed) return;
        const next = await this.#source.next();
        if (next.done) break;
        if (!(await written(destination, next.value))) {
          // The request ended (the engine's error or a cancel reaches the caller through it).
          this.#stopped = true;
          await this.#source.return?.();
          return;
        }
      }
      this.#stopped = true;
      if (end) destination.end();
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#stopped = true;
    // Ends the source's generator (its files closed), whether it was pulled by pipe or by reads.
    Promise.resolve(this.#source.return?.()).then(
      () => callback(error),
      () => callback(error),
    );
  }
}

/**
 * Writes `chunk` and resolves true once the write completed (its memory no longer in use), or
 * false when the request ended first (an engine error, a cancel): a request whose connection is
 * gone may drop a write without ever calling back.
 */
function written(destination: Writable, chunk: Uint8Array): Promise<boolean> {
  if (destination.destroyed || destination.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const gone = () => settle(false);
    const settle = (ok: boolean) => {
      destination.off("close", gone);
      destination.off("error", gone);
      resolve(ok);
    };
    destination.once("close", gone);
    destination.once("error", gone);
    destination.write(chunk, (error) => settle(error == null));
  });
}
