import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  OpenShell as OpenShellService,
  type TcpForwardFrame,
  TcpForwardFrameSchema,
} from "../../../src/gen/openshell/v1/openshell_pb.js";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { callFailure } from "../../support/call-failure.js";
import { halfCloseExchange } from "../../support/half-close-exchange.js";
import { testImages } from "../../support/test-engines.js";
import { type LocalEngine, localEngine } from "./local-engine.js";
import { IDLE, type LocalKind, leftovers, uniqueName, until } from "./local-gateway-support.js";

/** 10000 ms for the rest of the answer to arrive. */
const exchange = (port: number, request: string) => halfCloseExchange(port, request, 10_000);

/**
 * Port forwarding through the local gateway over a real engine, driven by an independent client
 * (`OpenShell.connect()` to the gateway's mTLS listener): connections whose client half-closes get
 * their whole reply, and forward sessions (CreateSshSession / RevokeSshSession) answer as the upstream
 * gateway does.
 */
export function describeLocalForwards(on: LocalKind | LocalEngine): void {
  const engine = localEngine(on);
  let runtime: ContainerRuntime;
  let local: OpenShell;
  let remote: OpenShell;
  let gatewayId: string;
  const home = mkdtempSync(join(tmpdir(), "openshell-local-forward-"));

  beforeAll(async () => {
    await engine.open();
    runtime = await engine.connect();
    local = await OpenShell.local({ ...engine.local(), ephemeral: true });
    gatewayId = local.localGateway?.gatewayId ?? "";
    const gatewayName = uniqueName("fwd");
    await local.localGateway?.listen({ register: gatewayName, configRoot: join(home, "openshell") });
    remote = await OpenShell.connect({
      gateway: gatewayName,
      env: { XDG_CONFIG_HOME: home, OPENSHELL_SYSTEM_GATEWAY_DIR: join(home, "none") },
      homeDir: home,
      retry: false,
    });
  });
  afterAll(async () => {
    await remote?.close();
    await local?.close();
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    await runtime?.close();
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function ready(command: string[]): Promise<Sandbox> {
    const sb = await remote.sandboxes.create({ name: uniqueName("fwd"), image: testImages.sandbox, command });
    await sb.ready({ timeoutMs: 30_000 });
    return sb;
  }

  it("delivers the whole reply to a local client that half-closes, as nc -N and HTTP/1.0 clients do", async () => {
    // A server that reads its client until EOF, then answers with what it got and closes.
    const sb = await ready([
      "sh",
      "-c",
      [
        `printf '%s\\n' '#!/bin/sh' 'f=/tmp/req.$$; cat > $f' 'printf "got %s bytes ending in \\"%s\\"" "$(wc -c < $f)" "$(tail -c 4 $f)"; rm $f' > /sandbox/reply.sh`,
        "chmod +x /sandbox/reply.sh",
        "exec nc -ll -p 9000 -e /sandbox/reply.sh",
      ].join(" && "),
    ]);
    await until("the server to listen", async () =>
      (await sb.exec(["sh", "-c", "netstat -ltn | grep -q ':9000 '"])).exitCode === 0 ? true : undefined,
    );

    await using forward = await sb.forward({ port: 9000 });
    expect(await exchange(forward.localPort, "ping")).toEqual({
      reply: 'got 4 bytes ending in "ping"',
      outcome: "end",
    });
    expect(await exchange(forward.localPort, `${"x".repeat(199_996)}last`)).toEqual({
      reply: 'got 200000 bytes ending in "last"',
      outcome: "end",
    });
    await expect.poll(() => forward.activeConnections).toBe(0);
    await sb.delete();
  });

  it("answers exec and forward streams at once, so a silent command or port outlives the handshake deadline", async () => {
    const sb = await ready([
      "sh",
      "-c",
      [
        `printf '%s\\n' '#!/bin/sh' 'sleep 1.5' 'echo late' > /sandbox/late.sh`,
        "chmod +x /sandbox/late.sh",
        "exec nc -ll -p 9001 -e /sandbox/late.sh",
      ].join(" && "),
    ]);
    await until("the server to listen", async () =>
      (await sb.exec(["sh", "-c", "netstat -ltn | grep -q ':9001 '"])).exitCode === 0 ? true : undefined,
    );
    // The gateway answers the call (its response headers) long before the command says anything:
    // in-process, and over mTLS.
    const request = { sandboxId: sb.info?.id ?? "", command: ["sh", "-c", "sleep 1.5; echo done"] };
    for (const client of [
      createClient(OpenShellService, local.localGateway?.transport() as Transport),
      remote.raw.openshell,
    ]) {
      const started = performance.now();
      let answeredMs = Number.NaN;
      let stdout = "";
      for await (const event of client.execSandbox(request, {
        onHeader: () => {
          answeredMs = performance.now() - started;
        },
      })) {
        if (event.payload.case === "stdout") stdout += Buffer.from(event.payload.value.data).toString();
      }
      expect(stdout).toBe("done\n");
      expect(answeredMs).toBeLessThan(500);
    }

    // So a client whose handshake deadline is shorter than the silence still gets the output.
    const hurried = await OpenShell.connect({
      gateway: remote.gatewayName ?? "",
      env: { XDG_CONFIG_HOME: home, OPENSHELL_SYSTEM_GATEWAY_DIR: join(home, "none") },
      homeDir: home,
      retry: false,
      timeouts: { handshakeTimeoutMs: 500 },
    });
    try {
      const quiet = hurried.sandboxes.handle(sb.name);
      expect(await quiet.exec(["sh", "-c", "sleep 1.5; echo done"])).toMatchObject({
        exitCode: 0,
        stdout: "done\n",
      });
      await using forward = await quiet.forward({ port: 9001 });
      expect(await exchange(forward.localPort, "")).toEqual({ reply: "late\n", outcome: "end" });
    } finally {
      await hurried.close();
    }
    await sb.delete();
  });

  it("refuses a forward session for a sandbox that is not ready, as upstream does", async () => {
    const sb = await ready(IDLE);
    const sandboxId = sb.info?.id ?? "";
    await sb.stop();
    expect(await callFailure(remote.raw.openshell.createSshSession({ sandboxId }))).toEqual({
      code: "FailedPrecondition",
      message: "sandbox is not ready",
    });
    expect(await callFailure(remote.raw.openshell.createSshSession({ sandboxId: "" }))).toEqual({
      code: "InvalidArgument",
      message: "sandbox_id is required",
    });
    await sb.delete();
  });

  it("revokes forward sessions as upstream does: the token is required, and revoking twice is true twice", async () => {
    const sb = await ready(IDLE);
    const sandboxId = sb.info?.id ?? "";
    expect(await callFailure(remote.raw.openshell.revokeSshSession({ token: "" }))).toEqual({
      code: "InvalidArgument",
      message: "token is required",
    });
    expect(await remote.raw.openshell.revokeSshSession({ token: "no-such-token" })).toMatchObject({
      revoked: false,
    });
    const { token } = await remote.raw.openshell.createSshSession({ sandboxId });
    expect(await remote.raw.openshell.revokeSshSession({ token })).toMatchObject({ revoked: true });
    expect(await remote.raw.openshell.revokeSshSession({ token })).toMatchObject({ revoked: true });
    // And a revoked token opens nothing.
    async function* init(): AsyncGenerator<TcpForwardFrame> {
      yield create(TcpForwardFrameSchema, {
        payload: {
          case: "init",
          value: {
            sandboxId,
            authorizationToken: token,
            target: { case: "tcp", value: { host: "127.0.0.1", port: 1 } },
          },
        },
      });
    }
    const frames = remote.raw.openshell.forwardTcp(init());
    expect(
      await callFailure(
        (async () => {
          for await (const frame of frames) void frame;
        })(),
      ),
    ).toMatchObject({ code: "Unauthenticated" });
    await sb.delete();
  });
}
