import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapabilityError, OpenShell, type Sandbox } from "../../../src/index.js";
import { GATEWAY_LABEL } from "../../../src/local/gateway-identity.js";
import type { AppleContainerRuntime } from "../../../src/runtime/drivers/apple-container/apple-container-runtime.js";
import { testImages } from "../../support/test-engines.js";
import { appleContainerEngine } from "./apple-container-engine.js";
import { IDLE, uniqueName } from "./local-gateway-support.js";

const PROCESS = { runAsUser: "sandbox", runAsGroup: "sandbox" };

/**
 * Egress on Apple `container` (emulated over Docker, as a 1.1 CLI on macOS 26): sandboxes sit on a
 * host-only network whose host side this host cannot firewall, so local mode refuses under the
 * default host isolation and, under best-effort, says so plainly and still sends every request
 * through the proxy at the network's gateway address.
 */
describe("local mode's egress over apple-container 1.1.0 (emulated)", () => {
  const engine = appleContainerEngine("1.1.0");
  let server: Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    await engine.open();
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.headers.host} ${req.url}`);
      res.end(`hello from ${req.headers.host}\n`);
    });
    // On all addresses, as a Mac's own services often are: sandboxes there can reach it directly.
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await engine.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("refuses to start under the default host isolation, naming the address sandboxes could reach, and leaves no network", async () => {
    const runtime = engine.local().runtime as AppleContainerRuntime;
    const before = (await runtime.listNetworks()).map((n) => n.name);
    const error = await OpenShell.local({ runtime, ephemeral: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapabilityError);
    expect((error as CapabilityError).missing).toEqual(["host-firewall"]);
    expect((error as Error).message).toMatch(
      /sandboxes can connect to services on this host at \d+\.\d+\.\d+\.\d+ and to each other: the apple-container engine's network openshell-local-\w+ has no bridge on this host that local mode can firewall/,
    );
    expect((error as Error).message).toContain('hostIsolation: "best-effort"');
    expect((await runtime.listNetworks()).map((n) => n.name)).toEqual(before);
  });

  describe("under best-effort host isolation", () => {
    let os: OpenShell;
    let sb: Sandbox;
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === "OPENSHELL_EGRESS_LIMITED") warnings.push(warning.message);
    };

    beforeAll(async () => {
      process.on("warning", onWarning);
      os = await OpenShell.local({
        ...engine.local(),
        ephemeral: true,
        egressHosts: { "allowed.test": "127.0.0.1", "denied.test": "127.0.0.1" },
      });
      sb = await os.sandboxes.create({
        name: uniqueName("apple-egress"),
        image: testImages.sandbox,
        command: IDLE,
        policy: {
          process: PROCESS,
          networkPolicies: { allowed: { endpoints: [{ host: "allowed.test", port }] } },
        },
      });
      await sb.ready({ timeoutMs: 60_000 });
    }, 120_000);
    afterAll(async () => {
      process.off("warning", onWarning);
      const gatewayId = os?.localGateway?.gatewayId;
      await os?.close();
      if (gatewayId !== undefined) {
        const runtime = await engine.connect();
        expect(await runtime.listNetworks({ labels: { [GATEWAY_LABEL]: gatewayId } })).toEqual([]);
        await runtime.close();
      }
    });

    const proxyAddress = async () => {
      const env = (await sb.exec(["env"])).stdout;
      const match = /^HTTP_PROXY=http:\/\/([\d.]+):(\d+)$/m.exec(env);
      if (match === null) throw new Error(`no HTTP_PROXY in the sandbox's environment:\n${env}`);
      return { host: match[1] as string, port: Number(match[2]) };
    };

    it("says once, as a process warning and in the sandbox's gateway log, that this host is reachable", async () => {
      const { host } = await proxyAddress();
      const text = `sandboxes can connect to services on this host at ${host} and to each other`;
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([expect.stringContaining(text)]);
      const gatewayLog = (await sb.logs({ sources: ["gateway"] })).map((l) => `${l.level} ${l.message}`);
      expect(gatewayLog.filter((line) => line.includes(text))).toEqual([expect.stringMatching(/^WARN /)]);
    });

    it("points sandboxes at the proxy on the host-only network's gateway address", async () => {
      const { host } = await proxyAddress();
      const networks = await (engine.local().runtime as AppleContainerRuntime).listNetworks({
        labels: { [GATEWAY_LABEL]: os.localGateway?.gatewayId ?? "" },
      });
      expect(networks.map((n) => ({ internal: n.internal, gateway: n.gateway }))).toEqual([
        { internal: true, gateway: host },
      ]);
    });

    it("lets an allowed host answer through the proxy and refuses another with 403", async () => {
      const allowed = await sb.exec(["wget", "-q", "-O", "-", `http://allowed.test:${port}/hi`]);
      expect(allowed).toMatchObject({ exitCode: 0, stdout: `hello from allowed.test:${port}\n` });
      expect(seen).toContain(`GET allowed.test:${port} /hi`);
      const denied = await sb.exec([
        "sh",
        "-c",
        `wget -q -O - http://denied.test:${port}/ 2>&1; echo exit=$?`,
      ]);
      expect(denied.stdout).toContain("403");
      expect(seen.some((line) => line.includes("denied.test"))).toBe(false);
    });

    it("cannot keep the sandbox from this host's own services, as the warning says", async () => {
      // The limitation is real, not a formality: a direct connection, past the proxy, reaches the
      // server listening on all of this host's addresses.
      const { host } = await proxyAddress();
      const direct = await sb.exec(["wget", "-q", "-O", "-", "-Y", "off", `http://${host}:${port}/direct`]);
      expect(direct).toMatchObject({ exitCode: 0 });
      expect(seen).toContain(`GET ${host}:${port} /direct`);
    });
  });
});
