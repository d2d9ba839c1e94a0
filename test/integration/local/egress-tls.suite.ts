import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import { createCertificateAuthority, issueServerCertificate } from "../../support/certs.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";

/** A shell line that prints what a command printed and its exit code. */
function shell(line: string): string[] {
  return ["sh", "-c", `${line} 2>&1; echo "exit=$?"`];
}

/** Names the HTTPS server on this host answers as (its certificate lists them all). */
const NAMES = ["api.test", "ro.test", "audit.test", "open.test", "skip.test"];

/**
 * Local mode terminating a sandbox's TLS on one engine: an HTTPS server on this host has its own
 * CA, which the gateway is told to trust (`egressTrustedCertificates`) and the sandbox is not.
 * curl in the sandbox (no -k) reaches it through the proxy trusting only the gateway's egress CA,
 * L7 rules apply to the decrypted requests, `tls: skip` tunnels the server's own certificate, and
 * a server whose CA the gateway does not trust is answered 502 naming it.
 */
export function describeEgressTls(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const seen: string[] = [];
  let upstreamCaPem: string;
  let server: Server;
  let stranger: Server;
  let port: number;
  let strangerPort: number;
  let os: OpenShell;
  let sb: Sandbox;

  beforeAll(async () => {
    const upstreamCa = await createCertificateAuthority(`upstream-ca-${kind}`);
    upstreamCaPem = upstreamCa.cert;
    server = createServer(await issueServerCertificate(upstreamCa, { dnsNames: NAMES }), (req, res) => {
      seen.push(`${req.method} ${req.headers.host} ${req.url}`);
      res.end(`hello over TLS from ${req.headers.host}: ${req.method} ${req.url}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    // Signed by a CA nobody was told about.
    const strangerCa = await createCertificateAuthority(`stranger-ca-${kind}`);
    stranger = createServer(
      await issueServerCertificate(strangerCa, { dnsNames: ["stranger.test"] }),
      (_q, res) => res.end("should not be reached\n"),
    );
    await new Promise<void>((resolve) => stranger.listen(0, "127.0.0.1", resolve));
    strangerPort = (stranger.address() as AddressInfo).port;

    os = await OpenShell.local({
      runtime: kind,
      runtimeOptions: { endpoint },
      ephemeral: true,
      egressHosts: Object.fromEntries([...NAMES, "stranger.test"].map((name) => [name, "127.0.0.1"])),
      egressTrustedCertificates: [upstreamCa.cert],
    });
    const at = (host: string, extra: Record<string, string> = {}) => ({
      endpoints: [{ host, port, ...extra }],
    });
    sb = await os.sandboxes.create({
      name: uniqueName("tls"),
      image: testImages.curl,
      command: IDLE,
      policy: {
        process: { runAsUser: "1000", runAsGroup: "1000" },
        networkPolicies: {
          // Deprecated, and the same as leaving tls empty.
          api: at("api.test", { tls: "terminate" }),
          ro: at("ro.test", { access: "read-only", enforcement: "enforce" }),
          audit: at("audit.test", { access: "read-only", enforcement: "audit" }),
          open: at("open.test", { access: "read-only" }),
          skip: at("skip.test", { tls: "skip" }),
          stranger: { endpoints: [{ host: "stranger.test", port: strangerPort }] },
        },
      },
    });
    await sb.ready({ timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await os?.close();
    await new Promise((resolve) => server?.close(resolve));
    await new Promise((resolve) => stranger?.close(resolve));
  });

  const gatewayLines = async () =>
    (await sb.logs({ sources: ["gateway"] })).filter((l) => l.message.startsWith("egress"));
  const curl = (args: string) => sb.exec(shell(`curl -sS ${args}`));

  it("gives the sandbox the egress CA and a bundle with it, as upstream names them", async () => {
    const env = (await sb.exec(["env"])).stdout;
    for (const name of ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "GIT_SSL_CAINFO"]) {
      expect(env).toMatch(new RegExp(`^${name}=/etc/openshell-tls/ca-bundle.pem$`, "m"));
    }
    expect(env).toMatch(/^NODE_EXTRA_CA_CERTS=\/etc\/openshell-tls\/openshell-ca.pem$/m);
    expect(env).toMatch(/^DENO_CERT=\/etc\/openshell-tls\/openshell-ca.pem$/m);
    expect(env).toMatch(/^ALL_PROXY=http:\/\/[\d.]+:\d+$/m);
    expect(env).toMatch(/^NODE_USE_ENV_PROXY=1$/m);
  });

  it("lets curl reach an HTTPS server through the proxy trusting only the gateway's CA (no -k)", async () => {
    const result = await curl(`https://api.test:${port}/hello?x=1`);
    expect(result.stdout).toBe(`hello over TLS from api.test:${port}: GET /hello?x=1\nexit=0\n`);
    // The certificate curl checked was the gateway's, for the host it asked for.
    const issuer = await curl(`-v -o /dev/null https://api.test:${port}/who`);
    expect(issuer.stdout).toMatch(/issuer: CN=openshell-local-egress-ca/);
    expect(issuer.stdout).toMatch(/subject: CN=api\.test/);
    expect(seen).toContain(`GET api.test:${port} /hello?x=1`);
    const lines = (await gatewayLines()).map((l) => l.message);
    expect(lines).toContainEqual(
      expect.stringContaining(
        `egress allowed for sandbox "${sb.name}": GET https://api.test:${port}/hello (rule "api")`,
      ),
    );
    const deprecation = (await sb.logs({ sources: ["gateway"] })).filter((l) =>
      l.message.includes("deprecated"),
    );
    expect(deprecation.map((l) => `${l.level} ${l.message}`)).toEqual([
      expect.stringMatching(
        /^WARN policy version 1: tls "terminate" and "passthrough" are deprecated and mean the same as leaving tls empty: .* Set in network_policies\["api"\]\.endpoints\[0\]\.tls \("terminate"\)$/,
      ),
    ]);
  });

  it("applies L7 rules to decrypted requests: enforce answers 403 and the server sees nothing", async () => {
    expect((await curl(`https://ro.test:${port}/read`)).stdout).toContain("exit=0");
    const before = seen.length;
    const denied = await curl(`-i -X DELETE https://ro.test:${port}/thing`);
    expect(denied.stdout).toMatch(/^HTTP\/1\.1 403 Forbidden/m);
    expect(denied.stdout).toContain(
      'openshell egress proxy: rule "ro": method DELETE not allowed by access read-only',
    );
    expect(seen.length).toBe(before);
  });

  it("forwards a violation under audit and under empty enforcement, with a WARN line on the sandbox's log", async () => {
    for (const host of ["audit.test", "open.test"]) {
      const result = await curl(`-X DELETE https://${host}:${port}/thing`);
      expect(result.stdout).toBe(`hello over TLS from ${host}:${port}: DELETE /thing\nexit=0\n`);
      const warned = (await gatewayLines()).find(
        (l) => l.level === "WARN" && l.message.includes(`DELETE https://${host}:${port}/thing`),
      );
      expect(warned?.message).toContain(`egress allowed (audit) for sandbox "${sb.name}"`);
      expect(warned?.message).toContain("would deny: method DELETE not allowed by access read-only");
    }
  });

  it("tunnels tls: skip untouched: curl sees the server's own certificate", async () => {
    const untrusting = await curl(`https://skip.test:${port}/raw`);
    expect(untrusting.stdout).toMatch(/SSL certificate problem/);
    expect(untrusting.stdout).toContain("exit=60");
    await sb.exec(["sh", "-c", `printf '%s\\n' '${upstreamCaPem.trim()}' > /tmp/upstream-ca.pem`]);
    const trusting = await curl(`--cacert /tmp/upstream-ca.pem https://skip.test:${port}/raw`);
    expect(trusting.stdout).toBe(`hello over TLS from skip.test:${port}: GET /raw\nexit=0\n`);
  });

  it("answers 502 naming an upstream whose certificate the gateway does not trust, and how to trust it", async () => {
    const result = await curl(`-i https://stranger.test:${strangerPort}/x`);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 502 Bad Gateway/m);
    expect(result.stdout).toContain(
      `openshell egress proxy: the certificate of stranger.test:${strangerPort} is not trusted by the gateway`,
    );
    expect(result.stdout).toContain("egressTrustedCertificates");
  });
}
