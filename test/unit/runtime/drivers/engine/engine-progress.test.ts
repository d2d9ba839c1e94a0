import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  CanceledError,
  ContainerRuntimeError,
  NotFoundError,
  UnavailableError,
} from "../../../../../src/errors.js";
import { EngineContext } from "../../../../../src/runtime/drivers/engine/engine-context.js";
import { followProgress } from "../../../../../src/runtime/drivers/engine/engine-progress.js";
import type { ProgressEvent } from "../../../../../src/runtime/image-types.js";

// followProgress only reads the engine's kind and maps errors; it never calls the client.
const engine = new EngineContext(undefined as never, "docker", "unix:///x");

function lines(...docs: unknown[]): string {
  const text = docs.map((doc) => (typeof doc === "string" ? doc : JSON.stringify(doc)));
  return `${text.join("\n")}\n`;
}

/** The text cut into Buffers of `size` bytes, as network reads would deliver it. */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return Readable.from(pieces);
}

const pull = lines(
  { status: "Pulling from library/alpine", id: "3.20" },
  { status: "Pulling fs layer", progressDetail: {}, id: "c6a83fedfae6" },
  {
    status: "Downloading",
    progressDetail: { current: 32768, total: 3623807 },
    progress: "[>      ]  32.77kB/3.624MB",
    id: "c6a83fedfae6",
  },
  { status: "Downloading", progressDetail: { current: 3623807, total: 3623807 }, id: "c6a83fedfae6" },
  { status: "Download complete", progressDetail: {}, id: "c6a83fedfae6" },
  { status: "Digest: sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d" },
  { status: "Status: Downloaded newer image for alpine:3.20" },
);

const pullEvents: ProgressEvent[] = [
  { message: "Pulling from library/alpine", id: "3.20" },
  { message: "Pulling fs layer", id: "c6a83fedfae6" },
  { message: "Downloading", id: "c6a83fedfae6", current: 32768, total: 3623807 },
  { message: "Downloading", id: "c6a83fedfae6", current: 3623807, total: 3623807 },
  { message: "Download complete", id: "c6a83fedfae6" },
  { message: "Digest: sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d" },
  { message: "Status: Downloaded newer image for alpine:3.20" },
];

describe("followProgress", () => {
  it("delivers pull progress in order with id, current and total, and returns every message", async () => {
    const events: ProgressEvent[] = [];
    const messages = await followProgress(
      engine,
      "pull image alpine:3.20",
      chunked(pull, 4096),
      (e) => events.push(e),
      undefined,
    );
    expect(events).toStrictEqual(pullEvents);
    expect(messages).toHaveLength(7);
    expect(messages[2]).toMatchObject({ progressDetail: { current: 32768, total: 3623807 } });
  });

  it("gives the same events when every line is cut across reads", async () => {
    for (const size of [1, 7, 50]) {
      const events: ProgressEvent[] = [];
      await followProgress(engine, "pull", chunked(pull, size), (e) => events.push(e), undefined);
      expect(events, `reads of ${size} bytes`).toStrictEqual(pullEvents);
    }
  });

  it("delivers build output without its trailing newline and skips empty steps", async () => {
    const build = lines(
      { stream: "Step 1/2 : FROM alpine:3.20\n" },
      { stream: "\n" },
      { stream: " ---> 91ef0af61f39\n" },
      { stream: "Step 2/2 : RUN echo hi\n" },
      { aux: { ID: "sha256:0a1b2c" } },
      { stream: "Successfully built 0a1b2c\n" },
    );
    const events: ProgressEvent[] = [];
    const messages = await followProgress(
      engine,
      "build",
      chunked(build, 10),
      (e) => events.push(e),
      undefined,
    );
    expect(events).toStrictEqual([
      { message: "Step 1/2 : FROM alpine:3.20" },
      { message: " ---> 91ef0af61f39" },
      { message: "Step 2/2 : RUN echo hi" },
      { message: "Successfully built 0a1b2c" },
    ]);
    // Callers look for the result among the messages, including those that were no progress event.
    expect(messages).toContainEqual({ aux: { ID: "sha256:0a1b2c" } });
    expect(messages).toHaveLength(6);
  });

  it("passes lines that are not JSON on as plain messages", async () => {
    const events: ProgressEvent[] = [];
    await followProgress(
      engine,
      "load",
      chunked(lines({ status: "Loading layer" }, "some plain text", { stream: "Loaded image: a:1\n" }), 9),
      (e) => events.push(e),
      undefined,
    );
    expect(events).toStrictEqual([
      { message: "Loading layer" },
      { message: "some plain text" },
      { message: "Loaded image: a:1" },
    ]);
  });

  it("works without an onProgress callback", async () => {
    const messages = await followProgress(engine, "pull", chunked(pull, 64), undefined, undefined);
    expect(messages).toHaveLength(7);
  });

  it("fails with the engine's errorDetail message when the stream reports an error midway", async () => {
    const stream = lines(
      { status: "Pulling from library/app", id: "latest" },
      {
        errorDetail: { message: "failed to register layer: no space left on device" },
        error: "failed to register layer: no space left on device",
      },
      { status: "never delivered" },
    );
    const events: ProgressEvent[] = [];
    const failure = followProgress(
      engine,
      "pull image app",
      chunked(stream, 16),
      (e) => events.push(e),
      undefined,
    );
    await expect(failure).rejects.toBeInstanceOf(ContainerRuntimeError);
    await expect(failure).rejects.toMatchObject({
      code: "runtime",
      runtime: "docker",
      message: "pull image app: failed to register layer: no space left on device",
    });
    expect(events).toStrictEqual([{ message: "Pulling from library/app", id: "latest" }]);
  });

  it("reports a missing image inside the stream (Podman's way) as NotFoundError, like Docker's 404", async () => {
    const stream = lines(
      { status: "Pulling from library/nope", id: "latest" },
      { error: "manifest for nope:latest not found: manifest unknown" },
    );
    const failure = followProgress(engine, "pull image nope", chunked(stream, 16), undefined, undefined);
    await expect(failure).rejects.toBeInstanceOf(NotFoundError);
    await expect(failure).rejects.toMatchObject({
      code: "not_found",
      message: "pull image nope: manifest for nope:latest not found: manifest unknown",
    });
  });

  it("fails at once with CanceledError when the signal was aborted before it started", async () => {
    const controller = new AbortController();
    controller.abort();
    const stream = chunked(lines({ status: "Pulling" }), 64);
    const events: ProgressEvent[] = [];
    await expect(
      followProgress(engine, "pull image a", stream, (e) => events.push(e), controller.signal),
    ).rejects.toBeInstanceOf(CanceledError);
    expect(events).toEqual([]);
    expect(stream.destroyed).toBe(true);
  });

  it("fails with a bare error field too", async () => {
    const stream = lines(
      { stream: "Step 1/1 : RUN false\n" },
      { error: "The command '/bin/sh -c false' returned a non-zero code: 1" },
    );
    await expect(
      followProgress(engine, "build", chunked(stream, 32), undefined, undefined),
    ).rejects.toMatchObject({
      message: "build: The command '/bin/sh -c false' returned a non-zero code: 1",
    });
  });

  it("maps the stream breaking to the SDK's errors", async () => {
    const stream = new PassThrough();
    stream.write(`${JSON.stringify({ status: "Downloading", id: "a" })}\n`);
    const failure = followProgress(engine, "pull image alpine", stream, undefined, undefined);
    setImmediate(() => stream.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })));
    await expect(failure).rejects.toBeInstanceOf(UnavailableError);
    await expect(failure).rejects.toThrow("cannot reach the docker engine at unix:///x (ECONNRESET)");
  });

  it("stops with CanceledError when the signal aborts, and closes the stream", async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const failure = followProgress(
      engine,
      "pull image alpine",
      stream,
      (e) => {
        events.push(e);
        controller.abort();
      },
      controller.signal,
    );
    // The engine keeps the stream open: only the abort can end this call.
    stream.write(
      `${JSON.stringify({ status: "Downloading", id: "a", progressDetail: { current: 1, total: 9 } })}\n`,
    );
    await expect(failure).rejects.toBeInstanceOf(CanceledError);
    await expect(failure).rejects.toThrow("pull image alpine: canceled by the caller's signal");
    expect(events).toStrictEqual([{ message: "Downloading", id: "a", current: 1, total: 9 }]);
    expect(stream.destroyed).toBe(true);
  });

  it("reports CanceledError, not success, when the signal aborts as the stream ends", async () => {
    const controller = new AbortController();
    const stream = Readable.from([Buffer.from(pull)]);
    const failure = followProgress(engine, "pull", stream, () => controller.abort(), controller.signal);
    await expect(failure).rejects.toBeInstanceOf(CanceledError);
  });
});
