import { mkdtempSync } from "node:fs";
import { createServer as createHttp2Server } from "node:http2";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import {
  ExecSandboxEventSchema,
  OpenShell as OpenShellService,
  SandboxPhase,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import {
  CanceledError,
  OpenShell,
  OpenShellError,
  ProtocolError,
  TimeoutError,
  UnavailableError,
} from "../../../src/index.js";
import { startTestGateway, type TestGateway } from "../../support/test-gateway/index.js";

const home = mkdtempSync(join(tmpdir(), "openshell-streams-"));
const idleTimeoutMs = 2_000;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatewayAndClient(): Promise<{ gateway: TestGateway; os: OpenShell }> {
  const gateway = await startTestGateway();
  const os = await OpenShell.connect({
    endpoint: gateway.endpoint,
    tls: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
    env: {},
    homeDir: home,
    timeouts: { idleTimeoutMs, handshakeTimeoutMs: 2_000 },
    retry: false,
  });
  cleanups.push(
    () => gateway.close(),
    () => os.close(),
  );
  return { gateway, os };
}

async function readySandbox(os: OpenShell, name: string, command = ["sh", "-c", "echo started; sleep 600"]) {
  const sb = await os.sandboxes.create({ name, command });
  await sb.ready({ timeoutMs: 10_000 });
  return sb;
}

/** A plaintext HTTP/2 gateway with only the handlers a test scripts; returns a client for it. */
async function scriptedGateway(
  routes: Parameters<typeof connectNodeAdapter>[0]["routes"],
  handshakeTimeoutMs = 2_000,
) {
  const server = createHttp2Server(connectNodeAdapter({ routes }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (session) => sessions.add(session));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const session of sessions) session.destroy();
        server.close(() => r());
      }),
  );
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const os = await OpenShell.connect({
    endpoint: `http://127.0.0.1:${port}`,
    env: {},
    homeDir: home,
    timeouts: { handshakeTimeoutMs },
  });
  cleanups.push(() => os.close());
  return os;
}

/** Resolves with how long `promise` took to reject, and the error. */
async function timeRejection(promise: Promise<unknown>): Promise<{ ms: number; err: unknown }> {
  const started = performance.now();
  try {
    await promise;
  } catch (err) {
    return { ms: performance.now() - started, err };
  }
  throw new Error("expected the call to fail");
}

describe("a gateway that dies or freezes mid-stream", () => {
  it("fails a running exec within the idle timeout when the gateway crashes", async () => {
    const { gateway, os } = await gatewayAndClient();
    const sb = await readySandbox(os, "crash-exec");
    const run = sb.exec(["sleep", "60"]);
    await new Promise((r) => setTimeout(r, 300));
    gateway.crash();
    const { ms, err } = await timeRejection(run);
    // Nobody canceled anything: a gateway that went away is UNAVAILABLE, never CanceledError.
    expect(err).toBeInstanceOf(UnavailableError);
    expect(ms).toBeLessThan(idleTimeoutMs + 500);
  });

  it("fails a log follow within the idle timeout when the gateway crashes", async () => {
    const { gateway, os } = await gatewayAndClient();
    const sb = await readySandbox(os, "crash-follow");
    const follow = (async () => {
      for await (const line of sb.logs({ follow: true })) void line;
    })();
    await new Promise((r) => setTimeout(r, 300));
    gateway.crash();
    const { ms, err } = await timeRejection(follow);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(ms).toBeLessThan(idleTimeoutMs + 500);
  });

  it("fails a silent exec within the idle timeout when the gateway stops answering", async () => {
    const { gateway, os } = await gatewayAndClient();
    const sb = await readySandbox(os, "freeze-exec");
    const run = sb.exec(["sleep", "60"]);
    await new Promise((r) => setTimeout(r, 300));
    gateway.freeze();
    const { ms, err } = await timeRejection(run);
    expect(err).toBeInstanceOf(OpenShellError);
    expect(ms).toBeLessThan(idleTimeoutMs + 1_000);
  });

  it("keeps a silent exec alive while the gateway answers pings", async () => {
    const { os } = await gatewayAndClient();
    const sb = await readySandbox(os, "quiet-exec");
    const res = await sb.exec(["sh", "-c", `sleep ${(idleTimeoutMs * 2) / 1000}; echo done`]);
    expect(res).toMatchObject({ exitCode: 0, stdout: "done\n" });
  });
});

describe("cancellation", () => {
  it("stops a unary call within 100 ms of abort", async () => {
    const os = await scriptedGateway((router) =>
      router.service(OpenShellService, {
        async getSandbox(_req, ctx) {
          // Answers only when the client goes away.
          await new Promise((r) => ctx.signal.addEventListener("abort", r));
          return {};
        },
      }),
    );
    const controller = new AbortController();
    const call = os.sandboxes.get("slow", { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(CanceledError);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("stops a wait for deletion within 100 ms of abort", async () => {
    const { os } = await gatewayAndClient();
    await readySandbox(os, "abort-wait");
    const controller = new AbortController();
    const waiting = os.sandboxes.deleted("abort-wait", { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CanceledError);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("stops a log follow within 100 ms of abort", async () => {
    const { os } = await gatewayAndClient();
    const sb = await readySandbox(os, "abort-follow");
    const controller = new AbortController();
    const follow = (async () => {
      for await (const line of sb.logs({ follow: true, signal: controller.signal })) void line;
    })();
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    controller.abort();
    await expect(follow).rejects.toBeInstanceOf(CanceledError);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("rejects at once when the signal is already aborted, sending nothing", async () => {
    const { os } = await gatewayAndClient();
    await expect(os.health({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CanceledError);
  });
});

describe("handshake and protocol", () => {
  it("gives up on a gateway that accepts TCP but never completes TLS, within the handshake timeout", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createTcpServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const os = await OpenShell.connect({
      endpoint: `https://127.0.0.1:${port}`,
      env: {},
      homeDir: home,
      timeouts: { handshakeTimeoutMs: 500 },
    });
    cleanups.push(() => os.close());
    const { ms, err } = await timeRejection(os.sandboxes.list());
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/could not reach the gateway/);
    expect(ms).toBeLessThan(1_500);
  });

  it("treats an exec stream that ends without an exit event as a failure, not success", async () => {
    const os = await scriptedGateway((router) =>
      router.service(OpenShellService, {
        getSandbox: (req) => ({
          sandbox: {
            metadata: { id: "11111111-1111-4111-8111-111111111111", name: req.name },
            status: { phase: SandboxPhase.READY },
          },
        }),
        async *execSandbox() {
          yield create(ExecSandboxEventSchema, {
            payload: { case: "stdout", value: { data: new TextEncoder().encode("partial") } },
          });
        },
      }),
    );
    const err = await os.sandboxes
      .handle("cut")
      .exec(["echo"])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as Error).message).toMatch(/without an exit code/);
  });

  it("reports a watch that sends nothing as a timeout", async () => {
    const os = await scriptedGateway(
      (router) =>
        router.service(OpenShellService, {
          getSandbox: (req) => ({
            sandbox: {
              metadata: { id: "22222222-2222-4222-8222-222222222222", name: req.name },
              status: { phase: SandboxPhase.READY },
            },
          }),
          async *watchSandbox(_req, ctx) {
            await new Promise((r) => ctx.signal.addEventListener("abort", r));
          },
        }),
      500,
    );
    const { err } = await timeRejection(os.sandboxes.ready("mute", { timeoutMs: 10_000 }));
    expect(err).toBeInstanceOf(TimeoutError);
  });
});
