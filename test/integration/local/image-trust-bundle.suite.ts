import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import { SandboxTrustBundles } from "../../../src/local/network/sandbox-trust-bundles.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { createCertificateAuthority, issueServerCertificate } from "../../support/certs.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, leftovers, uniqueName } from "./local-gateway-support.js";

/** A shell line that prints what a command printed and its exit code. */
function shell(line: string): string[] {
  return ["sh", "-c", `${line} 2>&1; echo "exit=$?"`];
}

/**
 * The CA bundle a sandbox gets is its image's, plus the egress CA. An image built here from the
 * curl test image has an extra CA appended to its system bundle file, which this host's bundle
 * lacks; an HTTPS server on this host is signed by it. (Appended, not added with
 * update-ca-certificates: that also links it into /etc/ssl/certs, which Debian's curl reads as its
 * CA path whatever CURL_CA_BUNDLE says, so curl would trust it without the bundle.) Through `tls: skip` (not terminated)
 * the sandbox's curl trusts the server only through the image's CA in SSL_CERT_FILE's bundle;
 * terminated, through the egress CA in the same bundle (the gateway trusts the server by
 * egressTrustedCertificates). The plain curl image, without the extra CA, is refused the skip
 * server; the busybox sandbox image, without any bundle, still gets SSL_CERT_FILE holding the CA.
 */
export function describeImageTrustBundle(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const image = `openshell-test/extra-ca-${kind}:${Math.random().toString(16).slice(2, 8)}`;
  let runtime: ContainerRuntime;
  let server: Server;
  let port: number;
  let extraCaPem: string;
  let os: OpenShell;
  let gatewayId: string;
  let withExtra: Sandbox;
  let plain: Sandbox;
  let bare: Sandbox;

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: kind, endpoint });
    const extraCa = await createCertificateAuthority(`image-extra-ca-${kind}`);
    extraCaPem = extraCa.cert;
    const context = mkdtempSync(join(tmpdir(), "openshell-extra-ca-"));
    try {
      writeFileSync(join(context, "extra-ca.crt"), `${extraCa.cert.trimEnd()}\n`);
      await runtime.buildImage({
        tag: image,
        context,
        dockerfileText: `FROM ${testImages.curl}\nCOPY extra-ca.crt /tmp/extra-ca.crt\nRUN cat /tmp/extra-ca.crt >> /etc/ssl/certs/ca-certificates.crt && rm /tmp/extra-ca.crt\n`,
      });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    server = createServer(
      await issueServerCertificate(extraCa, { dnsNames: ["skip.test", "term.test"] }),
      (req, res) => res.end(`hello from ${req.headers.host}\n`),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;

    os = await OpenShell.local({
      runtime: kind,
      runtimeOptions: { endpoint },
      ephemeral: true,
      egressHosts: { "skip.test": "127.0.0.1", "term.test": "127.0.0.1" },
      egressTrustedCertificates: [extraCa.cert],
    });
    gatewayId = os.localGateway?.gatewayId ?? "";
    const policy = {
      process: { runAsUser: "1000", runAsGroup: "1000" },
      networkPolicies: {
        skip: { endpoints: [{ host: "skip.test", port, tls: "skip" }] },
        term: { endpoints: [{ host: "term.test", port }] },
      },
    };
    const create = (prefix: string, from: string) =>
      os.sandboxes.create({ name: uniqueName(prefix), image: from, command: IDLE, policy });
    [withExtra, plain, bare] = await Promise.all([
      create("extra-ca", image),
      create("plain-ca", testImages.curl),
      create("no-ca", testImages.sandbox),
    ]);
    await Promise.all([withExtra, plain, bare].map((sb) => sb.ready({ timeoutMs: 60_000 })));
  }, 240_000);

  afterAll(async () => {
    await os?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    await runtime?.removeImage(image, { force: true }).catch(() => undefined);
    await runtime?.close();
  });

  it("reaches a tls: skip server through the image's own extra CA, the proxy not terminating", async () => {
    const result = await withExtra.exec(shell(`curl -sS -v https://skip.test:${port}/raw`));
    expect(result.stdout).toContain(`hello from skip.test:${port}\n`);
    expect(result.stdout).toContain("exit=0");
    // The server's own certificate, checked against the image's CA.
    expect(result.stdout).toMatch(new RegExp(`issuer: CN=image-extra-ca-${kind}`));
  });

  it("refuses that server to an image without the extra CA: the bundle is the image's, not this host's", async () => {
    const result = await plain.exec(shell(`curl -sS https://skip.test:${port}/raw`));
    expect(result.stdout).toMatch(/SSL certificate problem/);
    expect(result.stdout).toContain("exit=60");
  });

  it("reaches the same server terminated, trusting the egress CA from the same bundle", async () => {
    const result = await withExtra.exec(shell(`curl -sS -v https://term.test:${port}/t`));
    expect(result.stdout).toContain(`hello from term.test:${port}\n`);
    expect(result.stdout).toContain("exit=0");
    expect(result.stdout).toMatch(/issuer: CN=openshell-local-egress-ca/);
  });

  it("makes the bundle of the image's system bundle then the egress CA, at upstream's paths", async () => {
    const result = await withExtra.exec(
      shell(
        'echo "$SSL_CERT_FILE $CURL_CA_BUNDLE $REQUESTS_CA_BUNDLE $GIT_SSL_CAINFO $NODE_EXTRA_CA_CERTS"; cat /etc/ssl/certs/ca-certificates.crt "$NODE_EXTRA_CA_CERTS" | cmp - "$SSL_CERT_FILE" && echo same',
      ),
    );
    expect(result.stdout).toBe(
      `${"/etc/openshell-tls/ca-bundle.pem ".repeat(4)}/etc/openshell-tls/openshell-ca.pem\nsame\nexit=0\n`,
    );
    const bundle = (await withExtra.exec(["cat", "/etc/openshell-tls/ca-bundle.pem"])).stdout;
    expect(bundle).toContain(extraCaPem.trim());
    // Read-only for the sandbox.
    const write = await withExtra.exec(shell("echo x >> /etc/openshell-tls/ca-bundle.pem"));
    expect(write.stdout).not.toContain("exit=0");
  });

  it("gives an image without a CA bundle the egress CA alone, and the variables all the same", async () => {
    const env = (await bare.exec(["env"])).stdout;
    for (const name of ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "GIT_SSL_CAINFO"]) {
      expect(env).toMatch(new RegExp(`^${name}=/etc/openshell-tls/ca-bundle.pem$`, "m"));
    }
    const [bundle, ca] = await Promise.all([
      bare.exec(["cat", "/etc/openshell-tls/ca-bundle.pem"]),
      bare.exec(["cat", "/etc/openshell-tls/openshell-ca.pem"]),
    ]);
    expect(ca.stdout).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(bundle.stdout).toBe(ca.stdout);
  });

  it("removes an image's CA folder when the gateway removes its sandboxes, and only then", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "openshell-trust-state-"));
    const start = () => OpenShell.local({ runtime: kind, runtimeOptions: { endpoint }, stateDir });
    const key = SandboxTrustBundles.keyOf((await runtime.inspectImage(testImages.sandbox)).id);
    const bundles = join(stateDir, "egress-tls", "bundles");
    const folder = join(bundles, key);
    try {
      const own = await start();
      try {
        const sb = await own.sandboxes.create({
          name: uniqueName("prune"),
          image: testImages.sandbox,
          command: IDLE,
        });
        await sb.ready({ timeoutMs: 60_000 });
        expect(readdirSync(folder).sort()).toEqual(["ca-bundle.pem", "openshell-ca.pem"]);
      } finally {
        // A close that leaves the sandbox running keeps what it mounts.
        await own.close();
      }
      expect(existsSync(folder)).toBe(true);
    } finally {
      const last = await start();
      await last.localGateway?.close({ removeSandboxes: true });
      await last.close();
      const left = existsSync(folder) || readdirSync(bundles).some((name) => name.startsWith(key));
      rmSync(stateDir, { recursive: true, force: true });
      expect(left).toBe(false);
    }
  }, 120_000);
}
