import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenShell } from "../../../src/index.js";
import { failingImage, startTestGateway } from "../../support/test-gateway/index.js";
import type { E2eTarget } from "../e2e-target.js";

/**
 * The scripted test gateway over real HTTP/2 and mTLS on loopback. Its sandboxes are host
 * processes, so the servers the suite starts are small Node programs.
 */
export async function testGatewayTarget(): Promise<E2eTarget> {
  const gateway = await startTestGateway();
  const home = mkdtempSync(join(tmpdir(), "openshell-e2e-"));
  return {
    name: "test gateway (mTLS, loopback)",
    image: "host-process",
    failingImage,
    idleCommand: ["sleep", "3600"],
    httpServerCommand: (port, body) => [
      process.execPath,
      "-e",
      `require("node:http").createServer((q, r) => r.end(${JSON.stringify(body)})).listen(${port}, "0.0.0.0")`,
    ],
    echoServerCommand: (port) => [
      process.execPath,
      "-e",
      `require("node:net").createServer((s) => s.pipe(s)).listen(${port}, "0.0.0.0")`,
    ],
    connect: () =>
      OpenShell.connect({
        endpoint: gateway.endpoint,
        tls: { ca: gateway.ca, cert: gateway.client.cert, key: gateway.client.key },
        env: {},
        homeDir: home,
      }),
    close: () => gateway.close(),
  };
}
