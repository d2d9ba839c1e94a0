import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, SandboxPhase } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { startTestGateway, type TestGateway } from "../../support/test-gateway/index.js";

/** The test gateway, driven with the raw generated client over HTTP/2 and mTLS. */
describe("test gateway", () => {
  let gateway: TestGateway;
  let client: Client<typeof OpenShell>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    client = createClient(
      OpenShell,
      createGrpcTransport({
        baseUrl: gateway.endpoint,
        nodeOptions: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
      }),
    );
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it("runs a sandbox as a real process: ready, exec, delete", async () => {
    const created = await client.createSandbox({
      name: "smoke",
      spec: { command: ["sh", "-c", "echo hello; sleep 30"] },
    });
    expect(created.sandbox?.status?.phase).toBe(SandboxPhase.PROVISIONING);
    const id = created.sandbox?.metadata?.id ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const phases: SandboxPhase[] = [];
    for await (const event of client.watchSandbox({ id, followStatus: true })) {
      if (event.payload.case !== "sandbox") continue;
      const phase = event.payload.value.status?.phase ?? SandboxPhase.UNSPECIFIED;
      phases.push(phase);
      if (phase === SandboxPhase.READY || phase === SandboxPhase.ERROR) break;
    }
    expect(phases.at(-1)).toBe(SandboxPhase.READY);

    let stdout = "";
    const exits: number[] = [];
    for await (const event of client.execSandbox({ sandboxId: id, command: ["echo", "hi"] })) {
      if (event.payload.case === "stdout") stdout += Buffer.from(event.payload.value.data).toString();
      if (event.payload.case === "exit") exits.push(event.payload.value.exitCode);
    }
    expect(stdout).toBe("hi\n");
    expect(exits).toEqual([0]);

    const logs = await client.getSandboxLogs({ sandboxId: id, sources: ["sandbox"] });
    expect(logs.logs.map((l) => l.message)).toContain("hello");

    expect((await client.deleteSandbox({ name: "smoke" })).deleted).toBe(true);
    await expect(async () => {
      for (let i = 0; i < 50; i++) {
        await client.getSandbox({ name: "smoke" });
        await new Promise((r) => setTimeout(r, 20));
      }
    }).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("refuses a client without a certificate", async () => {
    const anonymous = createClient(
      OpenShell,
      createGrpcTransport({ baseUrl: gateway.endpoint, nodeOptions: { ca: gateway.ca } }),
    );
    const err = await anonymous.health({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    // The refusal is a TLS alert, surfaced by connect-node as an internal transport error.
    expect((err as ConnectError).message).toMatch(/certificate/i);
  });
});
