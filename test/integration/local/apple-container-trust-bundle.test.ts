import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import { testImages } from "../../support/test-engines.js";
import { appleContainerEngine } from "./apple-container-engine.js";
import { IDLE, uniqueName } from "./local-gateway-support.js";

/**
 * Apple `container` cannot copy files out of a container (no archive-copy), so local mode cannot
 * read an image's CA bundle there: its sandboxes get this host's bundle plus the egress CA at
 * upstream's path, with the same variables as on Docker and Podman (emulated over Docker, as a
 * 1.1 CLI on macOS 26; the busybox image has no bundle, so what the sandbox holds is the host's).
 */
describe("a sandbox's CA bundle on apple-container 1.1.0 (emulated)", () => {
  const engine = appleContainerEngine("1.1.0");
  let os: OpenShell;
  let sb: Sandbox;

  beforeAll(async () => {
    await engine.open();
    os = await OpenShell.local({ ...engine.local(), ephemeral: true, hostIsolation: "best-effort" });
    sb = await os.sandboxes.create({
      name: uniqueName("apple-trust"),
      image: testImages.sandbox,
      command: IDLE,
      policy: { process: { runAsUser: "sandbox", runAsGroup: "sandbox" } },
    });
    await sb.ready({ timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await os?.close();
    await engine.close();
  });

  it("holds this host's CA bundle then the egress CA, named by the usual variables", async () => {
    const env = (await sb.exec(["env"])).stdout;
    expect(env).toMatch(/^SSL_CERT_FILE=\/etc\/openshell-tls\/ca-bundle.pem$/m);
    expect(env).toMatch(/^NODE_EXTRA_CA_CERTS=\/etc\/openshell-tls\/openshell-ca.pem$/m);
    const [bundle, ca] = await Promise.all([
      sb.exec(["cat", "/etc/openshell-tls/ca-bundle.pem"]),
      sb.exec(["cat", "/etc/openshell-tls/openshell-ca.pem"]),
    ]);
    expect(ca.stdout).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    // Where the gateway looks for this host's bundle; a host without one gives the CA alone.
    const hostBundle = [
      "/etc/ssl/certs/ca-certificates.crt",
      "/etc/pki/tls/certs/ca-bundle.crt",
      "/etc/ssl/cert.pem",
    ].find((file) => existsSync(file));
    const roots = hostBundle === undefined ? "" : readFileSync(hostBundle, "utf8");
    expect(roots === "" || roots.endsWith("\n")).toBe(true);
    expect(bundle.stdout).toBe(`${roots}${ca.stdout}`);
  });
});
