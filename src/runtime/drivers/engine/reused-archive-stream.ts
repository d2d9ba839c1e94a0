import { Readable } from "node:stream";
import type { EngineBodyChunks } from "./engine-body-reader.js";

/**
 * An archive whose `for await` hands out the engine reader's own chunks (views into reused
 * buffers, each valid until the next is asked for), while the Readable side (`pipe`, `data`
 * events, `read()`) gets copies: a Readable asks for the next chunk before its consumer is done
 * with the last, so views there would be overwritten under it.
 */
export class ReusedArchiveStream extends Readable {
  constructor(private readonly body: EngineBodyChunks) {
    super();
  }

  override _read(): void {
    this.body.next().then(
      (result) => {
        if (result.done) this.push(null);
        else this.push(Buffer.from(result.value));
      },
      (error: unknown) => this.destroy(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.body.return().then(
      () => callback(error),
      () => callback(error),
    );
  }

  override [Symbol.asyncIterator](): NodeJS.AsyncIterator<Buffer> {
    const { body } = this;
    const stream = this;
    const close = async (): Promise<IteratorResult<Buffer, undefined>> => {
      await body.return();
      stream.destroy();
      return { done: true, value: undefined };
    };
    return {
      async next(): Promise<IteratorResult<Buffer, undefined>> {
        try {
          const result = await body.next();
          if (result.done) stream.destroy();
          return result;
        } catch (error) {
          stream.destroy();
          throw error;
        }
      },
      return: close,
      [Symbol.asyncIterator]() {
        return this;
      },
      async [Symbol.asyncDispose](): Promise<void> {
        await close();
      },
    };
  }
}
