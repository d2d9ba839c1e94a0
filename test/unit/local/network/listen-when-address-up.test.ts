import { createServer } from "node:net";
import { describe, expect, it, vi } from "vitest";
import {
  freeLoopbackPort,
  listenWhenAddressUp,
} from "../../../../src/local/network/listen-when-address-up.js";

const notAvailable = () =>
  Object.assign(new Error("listen EADDRNOTAVAIL: address not available"), { code: "EADDRNOTAVAIL" });

describe("listenWhenAddressUp", () => {
  it("keeps trying while the address is not on this host, and is up once it is", async () => {
    let tries = 0;
    const listen = vi.fn(async () => {
      tries += 1;
      if (tries < 3) throw notAvailable();
      return "listening";
    });
    const onError = vi.fn();
    const pending = listenWhenAddressUp({ listen, intervalMs: 1, onError });
    expect(pending.current).toBeUndefined();
    expect(await pending.ready).toBe("listening");
    expect(pending.current).toBe("listening");
    expect(listen).toHaveBeenCalledTimes(3);
    // Waiting for the address is expected, not an error worth telling.
    expect(onError).not.toHaveBeenCalled();
  });

  it("tells other failures and stops when told to, settling with nothing", async () => {
    const taken = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
    const pending = listenWhenAddressUp({
      listen: async () => {
        throw taken;
      },
      intervalMs: 1,
      onError: (error) => {
        expect(error).toBe(taken);
        pending.stop();
      },
    });
    expect(await pending.ready).toBeUndefined();
    expect(pending.current).toBeUndefined();
  });

  it("stops between tries at once, without waiting out the interval", async () => {
    const pending = listenWhenAddressUp({
      listen: async () => {
        throw notAvailable();
      },
      intervalMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const before = Date.now();
    pending.stop();
    expect(await pending.ready).toBeUndefined();
    expect(Date.now() - before).toBeLessThan(1000);
  });
});

describe("freeLoopbackPort", () => {
  it("returns a port that can be listened on", async () => {
    const port = await freeLoopbackPort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(port).toBeGreaterThan(0);
  });
});
