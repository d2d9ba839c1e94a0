import { describe, expect, it } from "vitest";
import { Channel } from "../../../../../src/runtime/drivers/apple-container/channel.js";

describe("Channel", () => {
  it("delivers queued items before the end, and pauses the producer while the reader is behind", async () => {
    const events: string[] = [];
    const channel = new Channel<number>({
      highWater: 4,
      pause: () => events.push("pause"),
      resume: () => events.push("resume"),
    });
    for (let i = 0; i < 5; i++) channel.push(i);
    channel.end();
    channel.push(99); // after end: dropped
    expect(events).toEqual(["pause"]);
    const read: number[] = [];
    for await (const item of channel) read.push(item);
    expect(read).toEqual([0, 1, 2, 3, 4]);
    expect(events).toEqual(["pause", "resume"]);
  });

  it("fails after what is queued, or at once when immediate", async () => {
    const later = new Channel<string>();
    later.push("a");
    later.fail(new Error("broke"));
    const iterator = later[Symbol.asyncIterator]();
    await expect(iterator.next()).resolves.toEqual({ value: "a", done: false });
    await expect(iterator.next()).rejects.toThrow("broke");
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });

    const now = new Channel<string>();
    now.push("a");
    now.fail(new Error("canceled"), true);
    await expect(now[Symbol.asyncIterator]().next()).rejects.toThrow("canceled");
  });

  it("wakes a waiting reader and tells the producer when the reader stops early", async () => {
    let returned = false;
    const channel = new Channel<number>({ onReturn: () => (returned = true) });
    const iterator = channel[Symbol.asyncIterator]();
    const pending = iterator.next();
    channel.push(1);
    await expect(pending).resolves.toEqual({ value: 1, done: false });
    await iterator.return?.();
    expect(returned).toBe(true);
    expect(channel.closed).toBe(true);
  });
});
