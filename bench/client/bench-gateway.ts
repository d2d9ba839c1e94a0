import { once } from "node:events";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  ExecSandboxEventSchema,
  OpenShell,
  SandboxPhase,
  ServiceStatus,
  type TcpForwardFrame,
  TcpForwardFrameSchema,
} from "../../src/gen/openshell/v1/openshell_pb.js";

/** Bytes of each synthetic exec output chunk, the size a relay typically forwards. */
const chunkBytes = 64 * 1024;

export interface BenchGateway {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * A gateway that does no work of its own, so a benchmark measures the client: Health and GetSandbox
 * answer at once, ExecSandbox streams `argv[1]` bytes of synthetic output, ForwardTcp echoes.
 */
export async function startBenchGateway(tls: {
  key: string;
  cert: string;
  ca: string;
}): Promise<BenchGateway> {
  const sandboxId = "00000000-0000-4000-8000-000000000001";
  const payload = new Uint8Array(chunkBytes).fill(120);
  const routes = (router: ConnectRouter) =>
    router.service(OpenShell, {
      health: () => ({ status: ServiceStatus.HEALTHY, version: "bench" }),
      getSandbox: (req) => ({
        sandbox: { metadata: { id: sandboxId, name: req.name }, status: { phase: SandboxPhase.READY } },
      }),
      async *execSandbox(req) {
        let remaining = Number(req.command[1] ?? 0);
        while (remaining > 0) {
          const n = Math.min(remaining, chunkBytes);
          yield create(ExecSandboxEventSchema, {
            payload: { case: "stdout", value: { data: payload.subarray(0, n) } },
          });
          remaining -= n;
        }
        yield create(ExecSandboxEventSchema, { payload: { case: "exit", value: { exitCode: 0 } } });
      },
      createSshSession: () => ({ sandboxId, token: "bench-token", expiresAtMs: 0n }),
      revokeSshSession: () => ({ revoked: true }),
      async *forwardTcp(frames: AsyncIterable<TcpForwardFrame>) {
        let first = true;
        for await (const frame of frames) {
          if (first && frame.payload.case !== "init")
            throw new ConnectError("init first", Code.InvalidArgument);
          first = false;
          if (frame.payload.case === "data") {
            yield create(TcpForwardFrameSchema, { payload: { case: "data", value: frame.payload.value } });
          }
        }
      },
    });
  const server: Http2SecureServer = createSecureServer(
    {
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: false,
    },
    connectNodeAdapter({ routes }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  return {
    endpoint: `https://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
