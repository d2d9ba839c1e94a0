import { mkdtempSync } from "node:fs";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import { connect, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { OpenShell as OpenShellService, SandboxPhase } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { OpenShell, TimeoutError } from "../../../src/index.js";
import { startTestGateway } from "../../support/test-gateway/index.js";

const home = mkdtempSync(join(tmpdir(), "openshell-response-deadline-"));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
const handshakeTimeoutMs = 500;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Methods whose calls the gateway accepts (the HTTP/2 stream is open) and then never answers. */
const mute = new Set(["ExecSandbox", "ExecSandboxInteractive", "ForwardTcp"]);

/**
 * A real HTTP/2 gateway that answers unary calls (so the connection is up and live) but leaves the
 * streams of `mute` methods open without ever sending their response headers, as a stuck gateway or a
 * proxy in front of one can.
 */
async function stuckGateway(): Promise<OpenShell> {
  const adapter = connectNodeAdapter({
    routes: (router) =>
      router.service(OpenShellService, {
        getSandbox: (req) => ({
          sandbox: {
            metadata: { id: "44444444-4444-4444-8444-444444444444", name: req.name },
            status: { phase: SandboxPhase.READY },
          },
        }),
        createSshSession: (req) => ({ sandboxId: req.sandboxId, token: "token", expiresAtMs: 0n }),
        revokeSshSession: () => ({ revoked: true }),
      }),
  });
  const held = new Set<Http2ServerResponse>();
  const server = createHttp2Server((req: Http2ServerRequest, res: Http2ServerResponse) => {
    if (mute.has(req.url.split("/").pop() ?? "")) {
      held.add(res);
      return;
    }
    adapter(req, res);
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  const os = await OpenShell.connect({
    endpoint: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    env: {},
    homeDir: home,
    retry: false,
    timeouts: { handshakeTimeoutMs },
  });
  cleanups.push(() => os.close());
  // The connection is up and answering: what follows is about one call, not about reaching the gateway.
  await os.sandboxes.get("stuck");
  return os;
}

/** Resolves with how long `promise` took to settle (at most `boundMs`), and how. */
async function settle(promise: Promise<unknown>, boundMs = 3_000) {
  const started = performance.now();
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ value }),
      (err: unknown) => ({ err }),
    ),
    new Promise<{ pending: string }>((resolve) =>
      setTimeout(() => resolve({ pending: `still waiting after ${boundMs} ms` }), boundMs),
    ),
  ]);
  return { ms: performance.now() - started, ...outcome };
}

describe("a gateway that accepts a stream and never answers it", () => {
  it("fails an exec within the handshake deadline with a TimeoutError that says what to do", async () => {
    const os = await stuckGateway();
    const result = await settle(os.sandboxes.handle("stuck").exec(["true"]));
    expect(result).toMatchObject({ err: expect.any(TimeoutError) });
    const message = (result as { err: Error }).err.message;
    expect(message).toMatch(/exec "true" in sandbox "stuck"/);
    expect(message).toMatch(/no response/);
    expect(message).toMatch(/timeouts\.handshakeTimeoutMs/);
    expect(result.ms).toBeLessThan(handshakeTimeoutMs + 700);
  });

  it("fails an interactive exec within the handshake deadline", async () => {
    const os = await stuckGateway();
    const opening = (async () => {
      const exec = await os.sandboxes.handle("stuck").execInteractive(["cat"]);
      return await exec.wait();
    })();
    const result = await settle(opening);
    expect(result).toMatchObject({ err: expect.any(TimeoutError) });
    expect(result.ms).toBeLessThan(handshakeTimeoutMs + 700);
  });

  it("resets a forwarded connection within the handshake deadline instead of leaving it hanging", async () => {
    const os = await stuckGateway();
    await using forward = await os.sandboxes.handle("stuck").forward({ port: 8080 });
    const socket = connect({ host: "127.0.0.1", port: forward.localPort });
    cleanups.push(() => socket.destroy());
    const ended = new Promise<string>((resolve) => {
      socket.once("error", (err) => resolve(`error ${(err as NodeJS.ErrnoException).code}`));
      socket.once("end", () => resolve("end"));
    });
    socket.write("GET / HTTP/1.0\r\n\r\n");
    const result = await settle(ended);
    expect(result).toMatchObject({ value: "error ECONNRESET" });
    expect(result.ms).toBeLessThan(handshakeTimeoutMs + 700);
  });
});

describe("the handshake deadline on the SDK's own gateways", () => {
  it("lets a silent exec and a silent forwarded connection run past it (test gateway)", async () => {
    const gw = await startTestGateway({ tls: false });
    cleanups.push(() => gw.close());
    const os = await OpenShell.connect({
      endpoint: gw.endpoint,
      env: {},
      homeDir: home,
      retry: false,
      timeouts: { handshakeTimeoutMs },
    });
    cleanups.push(() => os.close());
    const sb = await os.sandboxes.create({ name: "quiet", command: ["sleep", "600"] });
    await sb.ready({ timeoutMs: 10_000 });
    expect(await sb.exec(["sh", "-c", "sleep 1.5; echo done"])).toMatchObject({
      exitCode: 0,
      stdout: "done\n",
    });

    // A server in the sandbox (this host, for the test gateway) that speaks only after 1.5 s.
    const late = createTcpServer((s) => {
      s.on("error", () => {});
      setTimeout(() => s.end("late hello"), 1_500);
    });
    await new Promise<void>((resolve) => late.listen(0, "127.0.0.1", () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => late.close(() => resolve())));
    const address = late.address();
    await using forward = await sb.forward({
      port: typeof address === "object" && address ? address.port : 0,
    });
    const socket = connect({ host: "127.0.0.1", port: forward.localPort });
    cleanups.push(() => socket.destroy());
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const result = await settle(
      new Promise<string>((resolve) => {
        socket.once("error", (err) => resolve(`error ${(err as NodeJS.ErrnoException).code}`));
        socket.once("end", () => resolve("end"));
      }),
    );
    expect({ outcome: result, received: Buffer.concat(received).toString() }).toMatchObject({
      outcome: { value: "end" },
      received: "late hello",
    });
  });
});
