import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { countBytes, describeBytes } from "../../../../../adapters/image/load/byte-progress.js";
import type { ImageProgressEvent } from "../../../../../adapters/image/progress.js";

/** Runs `chunks` through a counter whose clock advances `msPerChunk` per chunk; returns the events. */
async function run(chunks: number[], totalBytes: number, msPerChunk: number): Promise<ImageProgressEvent[]> {
  const events: ImageProgressEvent[] = [];
  let clock = 0;
  const counter = countBytes({
    totalBytes,
    describe: describeBytes,
    onProgress: (event) => events.push(event),
    now: () => clock,
  });
  const source = Readable.from(
    (function* () {
      for (const size of chunks) {
        clock += msPerChunk;
        yield Buffer.alloc(size);
      }
    })(),
  );
  await pipeline(source, counter.stream, new Writable({ write: (_chunk, _encoding, done) => done() }));
  counter.flush();
  expect(counter.bytes()).toBe(chunks.reduce((sum, size) => sum + size, 0));
  return events;
}

describe("counting the archive's bytes", () => {
  it("reports the first chunk, then each 5% of the total however fast, then the end", async () => {
    const events = await run(Array(100).fill(1000), 100_000, 1);
    expect(events.map((event) => event.bytes)).toEqual([
      1000, 6000, 11000, 16000, 21000, 26000, 31000, 36000, 41000, 46000, 51000, 56000, 61000, 66000, 71000,
      76000, 81000, 86000, 91000, 96000, 100000,
    ]);
    expect(events.every((event) => event.phase === "load" && event.totalBytes === 100_000)).toBe(true);
    expect(events.at(-1)?.message).toBe("97.7 KiB of ~97.7 KiB moved");
  });

  it("reports every half second when the bytes come slowly, and has no total when the size is unknown", async () => {
    const events = await run(Array(10).fill(10), 0, 250);
    expect(events.map((event) => event.bytes)).toEqual([10, 30, 50, 70, 90, 100]);
    expect(events.some((event) => "totalBytes" in event)).toBe(false);
    expect(events[0]?.message).toBe("10 B moved");
  });

  it("does not report the same count twice", async () => {
    const events = await run([5, 5], 10, 1000);
    expect(events.map((event) => event.bytes)).toEqual([5, 10]);
  });

  it("counts a watched source piped later by its reader, without losing a chunk read before the pipe", async () => {
    const events: ImageProgressEvent[] = [];
    const counter = countBytes({
      totalBytes: 3000,
      describe: describeBytes,
      onProgress: (e) => events.push(e),
    });
    const source = new Readable({ read() {} });
    source.push(Buffer.alloc(1000));
    source.push(Buffer.alloc(2000));
    source.push(null);
    counter.watch(source);
    // The reader starts later, as dockerode pipes the archive only once it has the socket's path.
    await new Promise((resolve) => setTimeout(resolve, 20));
    let received = 0;
    await pipeline(
      source,
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          received += chunk.length;
          done();
        },
      }),
    );
    counter.flush();
    expect(received).toBe(3000);
    expect(counter.bytes()).toBe(3000);
    expect(events.at(-1)?.message).toBe("2.9 KiB of ~2.9 KiB moved");
  });
});
