import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CanceledError, OpenShell } from "../../../src/index.js";
import { type ForwardGateway, startForwardGateway } from "../../support/forward-gateway.js";
import { halfCloseExchange } from "../../support/half-close-exchange.js";
import { startTestGateway } from "../../support/test-gateway/index.js";

const home = mkdtempSync(join(tmpdir(), "openshell-forward-"));
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function clientOf(gateway: ForwardGateway): Promise<OpenShell> {
  const os = await OpenShell.connect({ endpoint: gateway.endpoint, env: {}, homeDir: home, retry: false });
  cleanups.push(() => os.close());
  return os;
}

async function gateway(options: Parameters<typeof startForwardGateway>[0] = {}): Promise<ForwardGateway> {
  const gw = await startForwardGateway(options);
  cleanups.push(() => gw.close());
  return gw;
}

/** A TCP server on 127.0.0.1 (where the forward gateway's "sandbox" listens). */
async function listen(onConnection: (socket: Socket) => void, allowHalfOpen = false): Promise<number> {
  const server: Server = createServer({ allowHalfOpen }, onConnection);
  const open = new Set<Socket>();
  server.on("connection", (s) => {
    // A reset passed on from the local side is expected here; tests that care listen for it too.
    s.on("error", () => {});
    open.add(s);
    s.once("close", () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

const echo = () => listen((s) => s.pipe(s));

/** Writes `text`, waits until as many bytes came back, closes; fails after `ms`. */
async function echoOnce(port: number, text: string, ms = 5_000): Promise<string> {
  const socket = connect({ host: "127.0.0.1", port });
  try {
    const received: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no echo within ${ms} ms`)), ms);
      socket.on("error", reject);
      socket.on("data", (chunk: Buffer) => {
        received.push(chunk);
        length += chunk.length;
        if (length >= text.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.write(text);
    });
    return Buffer.concat(received).toString();
  } finally {
    socket.destroy();
  }
}

/** 5000 ms for the rest of the answer to arrive. */
const exchange = (port: number, request: string) => halfCloseExchange(port, request, 5_000);

/** A server that reads its client until EOF, then answers with what it got and closes. */
const readAllThenReply = () =>
  listen((s) => {
    const got: Buffer[] = [];
    s.on("data", (chunk: Buffer) => got.push(chunk));
    s.on("end", () => {
      const all = Buffer.concat(got);
      s.end(`got ${all.length} bytes ending in ${JSON.stringify(all.subarray(-4).toString())}`);
    });
  }, true);

describe("a forward's local connections", () => {
  it("survive a local client that resets while the forward token is being issued", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = () => {};
    const sessionAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const gw = await gateway({
      sessionGate: () => {
        asked();
        return gate;
      },
    });
    const os = await clientOf(gw);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", onUncaught);
    cleanups.push(() => process.off("uncaughtException", onUncaught));
    const port = await echo();

    await using forward = await os.sandboxes.handle(gw.sandboxName).forward({ port });
    const socket = connect({ host: "127.0.0.1", port: forward.localPort });
    socket.on("error", () => {});
    await once(socket, "connect");
    await sessionAsked;
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();

    expect(await echoOnce(forward.localPort, "still forwarding")).toBe("still forwarding");
    expect(uncaught).toEqual([]);
  });

  it("pass on the local client's half-close and still deliver the whole reply (test gateway)", async () => {
    const gw = await startTestGateway({ tls: false });
    cleanups.push(() => gw.close());
    const os = await OpenShell.connect({ endpoint: gw.endpoint, env: {}, homeDir: home, retry: false });
    cleanups.push(() => os.close());
    const sb = await os.sandboxes.create({ name: "half-close", command: ["sleep", "600"] });
    await sb.ready({ timeoutMs: 10_000 });
    const port = await readAllThenReply();

    await using forward = await sb.forward({ port });
    expect(await exchange(forward.localPort, `${"x".repeat(99_996)}last`)).toEqual({
      reply: 'got 100000 bytes ending in "last"',
      outcome: "end",
    });
    expect(await exchange(forward.localPort, "ping")).toEqual({
      reply: 'got 4 bytes ending in "ping"',
      outcome: "end",
    });
  });

  it("carry a dozen connections at once without Node warning of an abort-listener leak", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const gw = await startTestGateway({ tls: false });
      cleanups.push(() => gw.close());
      const os = await OpenShell.connect({ endpoint: gw.endpoint, env: {}, homeDir: home, retry: false });
      cleanups.push(() => os.close());
      const sb = await os.sandboxes.create({ name: "many-conns", command: ["sleep", "600"] });
      await sb.ready({ timeoutMs: 10_000 });
      const port = await echo();
      await using forward = await sb.forward({ port });
      // Twelve connections open at the same time: each holds one listener on the forward's signal.
      const sockets = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const socket = connect({ host: "127.0.0.1", port: forward.localPort });
          socket.on("error", () => {});
          await once(socket, "connect");
          socket.write("ping");
          await once(socket, "data");
          return socket;
        }),
      );
      expect(forward.activeConnections).toBe(12);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      expect(
        warnings.map((w) => `${w.name}: ${w.message}`).filter((w) => w.includes("MaxListeners")),
      ).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("pass on the sandbox side's end as an end, not a reset, and close once the local side ends too", async () => {
    const gw = await gateway();
    const os = await clientOf(gw);
    // Sends a banner and ends its side at once, before the client says anything.
    const serverSide: string[] = [];
    const port = await listen((s) => {
      s.on("error", (err) => serverSide.push(`error ${err.message}`));
      s.on("end", () => serverSide.push("end"));
      s.resume();
      s.end("banner\n");
    }, true);

    await using forward = await os.sandboxes.handle(gw.sandboxName).forward({ port });
    const socket = connect({ host: "127.0.0.1", port: forward.localPort, allowHalfOpen: true });
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const errors: Error[] = [];
    socket.on("error", (err) => errors.push(err));
    await once(socket, "end");
    expect(Buffer.concat(received).toString()).toBe("banner\n");
    // Only our side is still open: the forward waits for it instead of tearing the connection down.
    expect(socket.destroyed).toBe(false);
    expect(forward.activeConnections).toBe(1);
    socket.end();
    await once(socket, "close");
    expect(errors).toEqual([]);
    await expect.poll(() => forward.activeConnections).toBe(0);
    // The sandbox's side is closed cleanly too, not reset.
    await expect.poll(() => serverSide).toEqual(["end"]);
  });
});

describe("a reset on one side of a forwarded connection", () => {
  it("reaches the local client as a reset, so a cut reply never looks complete", async () => {
    const gw = await gateway();
    const os = await clientOf(gw);
    const port = await listen((s) => {
      s.on("error", () => {});
      s.write("partial", () => setTimeout(() => s.resetAndDestroy(), 50));
    });

    await using forward = await os.sandboxes.handle(gw.sandboxName).forward({ port });
    const socket = connect({ host: "127.0.0.1", port: forward.localPort });
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const outcome = await new Promise<string>((resolve) => {
      socket.once("error", (err) => resolve(`error ${(err as NodeJS.ErrnoException).code}`));
      socket.once("end", () => resolve("end"));
    });
    socket.destroy();
    expect({ received: Buffer.concat(received).toString(), outcome }).toEqual({
      received: "partial",
      outcome: "error ECONNRESET",
    });
  });

  it("reaches the sandbox's port as a reset, so a cut upload never looks complete", async () => {
    const gw = await gateway();
    const os = await clientOf(gw);
    const serverSide: string[] = [];
    let got = "";
    const port = await listen((s) => {
      s.on("data", (chunk: Buffer) => {
        got += chunk.toString();
      });
      s.on("error", (err) => serverSide.push(`error ${(err as NodeJS.ErrnoException).code}`));
      s.on("end", () => serverSide.push("end"));
    }, true);

    await using forward = await os.sandboxes.handle(gw.sandboxName).forward({ port });
    const socket = connect({ host: "127.0.0.1", port: forward.localPort });
    socket.on("error", () => {});
    socket.write("partial upload");
    await expect.poll(() => got).toBe("partial upload");
    socket.resetAndDestroy();
    await expect.poll(() => serverSide).toEqual(["error ECONNRESET"]);
  });
});

describe("forward() and its signal", () => {
  it("rejects an already-aborted signal with CanceledError, before asking the gateway anything", async () => {
    const gw = await gateway();
    const os = await clientOf(gw);
    const port = await echo();
    const opened = os.sandboxes.handle(gw.sandboxName).forward({ port, signal: AbortSignal.abort() });
    const err = await opened.then(
      async (forward) => {
        await forward.close();
        return "opened";
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CanceledError);
    expect(gw.lookups).toBe(0);
  });

  it("stops waiting for the sandbox's id when its signal aborts", async () => {
    const port = await echo();
    const controller = new AbortController();
    // The name lookup goes to a gateway that never answers it.
    const stuck = await listen(() => {});
    const slow = await OpenShell.connect({
      endpoint: `http://127.0.0.1:${stuck}`,
      env: {},
      homeDir: home,
      retry: false,
      timeouts: { callTimeoutMs: 10_000, handshakeTimeoutMs: 10_000 },
    });
    cleanups.push(() => slow.close());
    const opening = slow.sandboxes.handle("lookup").forward({ port, signal: controller.signal });
    const outcome = opening.then(
      () => "opened",
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    controller.abort();
    const err = await Promise.race([
      outcome,
      new Promise((resolve) => setTimeout(() => resolve("still waiting after 2 s"), 2_000)),
    ]);
    expect(err).toBeInstanceOf(CanceledError);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe("forward tokens", () => {
  it("revoke a token that is too close to expiry to hand out, while the forward stays open", async () => {
    // A token is not handed out in the last quarter of its life (at most the last 10 s): these
    // 2 s tokens are handed out for 1.5 s, and are still valid for a while after.
    const gw = await gateway({ sessionTtlMs: 2_000 });
    const os = await clientOf(gw);
    const port = await echo();
    const forward = await os.sandboxes.handle(gw.sandboxName).forward({ port });
    expect(await echoOnce(forward.localPort, "one")).toBe("one");
    await new Promise((resolve) => setTimeout(resolve, 1_650));
    expect(await echoOnce(forward.localPort, "two")).toBe("two");
    const [first, second] = gw.issued;
    expect(gw.issued).toHaveLength(2);
    await expect.poll(() => gw.revoked).toEqual([first]);
    await forward.close();
    expect(gw.revoked).toEqual([first, second]);
  });

  it("use tokens that live less than the expiry margin, one mint per need, and forget expired ones", async () => {
    const gw = await gateway({ sessionTtlMs: 300 });
    const os = await clientOf(gw);
    const port = await echo();
    const forward = await os.sandboxes.handle(gw.sandboxName).forward({ port });
    expect(await echoOnce(forward.localPort, "one")).toBe("one");
    expect(await echoOnce(forward.localPort, "two")).toBe("two");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await echoOnce(forward.localPort, "three")).toBe("three");
    await forward.close();
    // The first token served both early connections; the second replaced it once it had expired.
    expect(gw.issued).toHaveLength(2);
    // An expired token needs no revoking, and the live one is revoked once.
    expect(gw.revoked.filter((t) => t === gw.issued[0])).toEqual([]);
  });
});
