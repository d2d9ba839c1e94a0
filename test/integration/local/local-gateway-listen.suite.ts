import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GatewayConfigError, OpenShell, UnavailableError } from "../../../src/index.js";
import { testImages } from "../../support/test-engines.js";
import { type LocalSuiteContext, leftovers, uniqueName } from "./local-gateway-support.js";

/**
 * `listen()` lets other processes in: a client that knows only the gateway's name (from the config
 * root the listener registered in) drives sandboxes over mTLS, forwards included, until it closes.
 */
export function describeLocalGatewayListen(context: LocalSuiteContext): void {
  describe("a gateway listening for other clients", () => {
    const config = () => {
      const home = context.tempDir("local-xdg");
      return {
        root: join(home, "openshell"),
        connect: {
          env: { XDG_CONFIG_HOME: home, OPENSHELL_SYSTEM_GATEWAY_DIR: join(home, "none") },
          homeDir: home,
        },
      };
    };

    it("serves a client that knows only its name: create, exec, forward; closing unregisters it", async () => {
      const { root, connect } = config();
      const gatewayName = uniqueName("gw");
      await using os = await OpenShell.local({ ...context.local, ephemeral: true });
      const gateway = os.localGateway;
      if (gateway === undefined) throw new Error("OpenShell.local() has no localGateway");
      const listener = await gateway.listen({ register: gatewayName, configRoot: root });
      expect(listener.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(listener.gatewayName).toBe(gatewayName);
      expect(existsSync(join(root, "gateways", gatewayName, "metadata.json"))).toBe(true);

      const remote = await OpenShell.connect({ gateway: gatewayName, ...connect, retry: false });
      try {
        expect(remote.endpoint).toBe(listener.endpoint);
        expect((await remote.gatewayInfo()).computeDrivers.map((d) => d.name)).toEqual([context.engine.kind]);
        const body = `served by ${gatewayName}`;
        const sb = await remote.sandboxes.create({
          name: uniqueName("remote"),
          image: testImages.sandbox,
          command: [
            "sh",
            "-c",
            `mkdir -p /tmp/www && printf '%s' '${body}' > /tmp/www/index.html && exec httpd -f -p 0.0.0.0:8080 -h /tmp/www`,
          ],
        });
        await sb.ready({ timeoutMs: 30_000 });
        // The in-process client and the remote one see the same gateway.
        expect((await os.sandboxes.get(sb.name)).info?.id).toBe(sb.info?.id);
        expect(await sb.exec(["sh", "-c", "echo $((6 * 7))"])).toMatchObject({ exitCode: 0, stdout: "42\n" });
        {
          await using forward = await sb.forward({ port: 8080 });
          const page = await fetch(forward.url, { signal: AbortSignal.timeout(10_000) });
          expect(page.status).toBe(200);
          expect(await page.text()).toBe(body);
        }
        expect(await sb.delete()).toBe(true);
        await sb.deleted({ timeoutMs: 20_000 });

        await listener.close();
        expect(existsSync(join(root, "gateways", gatewayName))).toBe(false);
        await expect(OpenShell.connect({ gateway: gatewayName, ...connect })).rejects.toBeInstanceOf(
          GatewayConfigError,
        );
        await expect(remote.health()).rejects.toBeInstanceOf(UnavailableError);
        // The gateway itself carries on in-process.
        expect((await os.health()).status).toBe("healthy");
      } finally {
        await remote.close();
      }
    });

    it("stops listening and unregisters, the active gateway included, when the gateway closes", async () => {
      const { root, connect } = config();
      const gatewayName = uniqueName("gw-active");
      const os = await OpenShell.local({ ...context.local, ephemeral: true });
      const gatewayId = os.localGateway?.gatewayId ?? "";
      await os.localGateway?.listen({ register: gatewayName, configRoot: root, makeActive: true });
      const remote = await OpenShell.connect({ ...connect, retry: false });
      try {
        expect(remote.gatewayName).toBe(gatewayName);
        expect((await remote.health()).status).toBe("healthy");
        await os.close();
        expect(existsSync(join(root, "gateways", gatewayName))).toBe(false);
        expect(existsSync(join(root, "active_gateway"))).toBe(false);
        await expect(remote.health()).rejects.toBeInstanceOf(UnavailableError);
        expect(await leftovers(context.runtime(), gatewayId)).toEqual([]);
      } finally {
        await remote.close();
      }
    });
  });
}
