import { describe, expect, it } from "vitest";
import { HandoffQueue } from "../../../src/client/internal/handoff-queue.js";

describe("HandoffQueue", () => {
  it("delivers pushed items in order and ends after end()", async () => {
    const q = new HandoffQueue<number>();
    void q.push(1);
    void q.push(2);
    q.end();
    const seen: number[] = [];
    for await (const n of q) seen.push(n);
    expect(seen).toEqual([1, 2]);
  });

  it("resolves push only once the consumer has taken the item", async () => {
    const q = new HandoffQueue<string>();
    let taken = false;
    const pushed = q.push("a").then(() => {
      taken = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(taken).toBe(false);
    const it = q[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: "a", done: false });
    await pushed;
    expect(taken).toBe(true);
  });

  it("wakes a waiting consumer on end()", async () => {
    const q = new HandoffQueue<string>();
    const next = q[Symbol.asyncIterator]().next();
    q.end();
    expect(await next).toEqual({ value: undefined, done: true });
  });

  it("rejects pushes after end()", async () => {
    const q = new HandoffQueue<string>();
    q.end();
    await expect(q.push("late")).rejects.toThrow(/already closed/);
  });

  it("stops when the transport calls throw(), as connect does when sending fails", async () => {
    const q = new HandoffQueue<string>();
    const it = q[Symbol.asyncIterator]();
    await it.throw?.(new Error("send failed"));
    expect(q.closed).toBe(true);
    await expect(q.push("late")).rejects.toThrow(/already closed/);
  });
});
