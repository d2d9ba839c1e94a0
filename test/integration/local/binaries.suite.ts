import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type NetworkPolicyRuleInit, OpenShell, type Sandbox } from "../../../src/index.js";
import { createCertificateAuthority, issueServerCertificate } from "../../support/certs.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";

/** Prints the body, then the status on a line of its own, so refusals and answers can both be asserted. */
const status = (url: string, client = "curl") => `${client} -s -w '\\nstatus=%{http_code}\\n' ${url}`;

/**
 * `binaries` enforced in local mode on one engine, from inside real sandboxes: the gateway (root,
 * rootful engine on this host) finds the process behind each proxied connection and lets a rule
 * with binaries through only for a binary, or a process started by one, that the rule names. A test
 * HTTP server on this host answers under several names, one per rule.
 */
export function describeBinaries(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let server: Server;
  let port: number;
  /** An HTTPS server (its own CA, trusted by the gateway): the proxy terminates the sandbox's TLS. */
  let secure: Server;
  let securePort: number;
  const seen: string[] = [];
  let os: OpenShell;
  /** Debian with curl: /usr/bin/curl, /bin/sh -> dash. */
  let debian: Sandbox;
  /** Busybox: wget is /bin/busybox. */
  let busybox: Sandbox;

  const rules = (): Record<string, NetworkPolicyRuleInit> => ({
    // Only curl may reach api.test.
    curl: { endpoints: [{ host: "api.test", port }], binaries: [{ path: "/usr/bin/curl" }] },
    // Anything a shell started: /bin/sh is a symlink in Debian, resolved inside the sandbox.
    scripts: { endpoints: [{ host: "script.test", port }], binaries: [{ path: "/bin/sh" }] },
    // Pinned by hash on first use.
    tool: { endpoints: [{ host: "tool.test", port }], binaries: [{ path: "/tmp/tool" }] },
    // Globs: `*` one path segment.
    glob: { endpoints: [{ host: "glob.test", port }], binaries: [{ path: "/usr/*/curl" }] },
    // No binaries: any process.
    open: { endpoints: [{ host: "open.test", port }] },
    // HTTPS, the tunnel's TLS terminated by the proxy.
    secure: { endpoints: [{ host: "secure.test", port: securePort }], binaries: [{ path: "/usr/bin/curl" }] },
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.headers.host} ${req.url}`);
      res.end(`hello from ${req.headers.host}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    port = (server.address() as AddressInfo).port;
    const ca = await createCertificateAuthority(`binaries-ca-${kind}`);
    secure = createHttpsServer(
      await issueServerCertificate(ca, { dnsNames: ["secure.test"] }),
      (req, res) => {
        seen.push(`${req.method} ${req.headers.host} ${req.url}`);
        res.end(`hello over TLS from ${req.headers.host}`);
      },
    );
    await new Promise<void>((resolve) => secure.listen(0, "127.0.0.1", resolve));
    securePort = (secure.address() as AddressInfo).port;
    const names = ["api.test", "script.test", "tool.test", "glob.test", "open.test", "secure.test"];
    os = await OpenShell.local({
      runtime: kind,
      runtimeOptions: { endpoint },
      ephemeral: true,
      egressHosts: Object.fromEntries(names.map((name) => [name, "127.0.0.1"])),
      egressTrustedCertificates: [ca.cert],
    });
    [debian, busybox] = await Promise.all([
      os.sandboxes.create({
        name: uniqueName("bin-deb"),
        image: testImages.curl,
        command: IDLE,
        policy: { process: { runAsUser: "1000", runAsGroup: "1000" }, networkPolicies: rules() },
      }),
      os.sandboxes.create({
        name: uniqueName("bin-bb"),
        image: testImages.busybox,
        command: IDLE,
        policy: { process: { runAsUser: "sandbox", runAsGroup: "sandbox" }, networkPolicies: rules() },
      }),
    ]);
    await Promise.all([debian.ready({ timeoutMs: 60_000 }), busybox.ready({ timeoutMs: 60_000 })]);
  }, 120_000);
  afterAll(async () => {
    await os?.close();
    await new Promise((resolve) => server?.close(resolve));
    await new Promise((resolve) => secure?.close(resolve));
  });

  const denials = async (sb: Sandbox) =>
    (await sb.logs({ sources: ["gateway"] }))
      .map((l) => l.message)
      .filter((m) => m.startsWith("egress denied"));

  it("lets curl through to a host only curl may reach, by plain request and by CONNECT", async () => {
    const plain = await debian.exec(["sh", "-c", status(`http://api.test:${port}/curl`)]);
    expect(plain.stdout).toBe(`hello from api.test:${port}\nstatus=200\n`);
    const tunnel = await debian.exec(["sh", "-c", status(`http://api.test:${port}/tunnel`, "curl -p")]);
    expect(tunnel.stdout).toBe(`hello from api.test:${port}\nstatus=200\n`);
    expect(seen).toContain(`GET api.test:${port} /tunnel`);
  });

  it("refuses busybox wget to the same host with 403 policy_denied naming the binary and the rule", async () => {
    const result = await busybox.exec([
      "sh",
      "-c",
      `wget -q -O - http://api.test:${port}/wget 2>&1; echo "exit=$?"`,
    ]);
    expect(result.stdout).toContain("403");
    expect(result.stdout).toContain("exit=1");
    expect(seen).not.toContain(`GET api.test:${port} /wget`);
    const line = (await denials(busybox)).find((m) => m.includes("/wget"));
    expect(line).toContain('rule "curl": policy_denied: binary /bin/busybox');
    expect(line).toContain('is not in binaries of rule "curl" (/usr/bin/curl)');
    // No draft proposes the host for any binary: approving it would undo the binaries rule.
    expect((await os.policy.drafts.get(busybox.name)).chunks.map((c) => c.ruleName)).not.toContain(
      `allow_api_test_${port}`,
    );
    // A rule without binaries still lets it through.
    const open = await busybox.exec(["wget", "-q", "-O", "-", `http://open.test:${port}/any`]);
    expect(open.stdout).toBe(`hello from open.test:${port}`);
  });

  it("lets a script through when its interpreter is allowed: the process's ancestors count", async () => {
    // curl alone is not /bin/sh: refused.
    const alone = await debian.exec([
      "curl",
      "-s",
      "-w",
      "\nstatus=%{http_code}\n",
      `http://script.test:${port}/alone`,
    ]);
    expect(alone.stdout).toContain("status=403");
    expect(alone.stdout).toContain("policy_denied: binary /usr/bin/curl");
    // Started by sh (which stays its parent: more follows curl), it is let through.
    const script = await debian.exec([
      "sh",
      "-c",
      `${status(`http://script.test:${port}/script`)}; echo done`,
    ]);
    expect(script.stdout).toBe(`hello from script.test:${port}\nstatus=200\ndone\n`);
    expect(seen).toContain(`GET script.test:${port} /script`);
    expect(seen).not.toContain(`GET script.test:${port} /alone`);
  });

  it("matches a glob of one path segment", async () => {
    const result = await debian.exec(["sh", "-c", status(`http://glob.test:${port}/glob`)]);
    expect(result.stdout).toBe(`hello from glob.test:${port}\nstatus=200\n`);
  });

  it("checks HTTPS the same way, once per connection: two requests of curl's one connection pass, a copy is refused at CONNECT", async () => {
    const url = (path: string) => `https://secure.test:${securePort}${path}`;
    const both = await debian.exec(["curl", "-s", "-w", "\n%{http_code}\n", url("/one"), url("/two")]);
    expect(both.stdout).toBe(
      `hello over TLS from secure.test:${securePort}\n200\nhello over TLS from secure.test:${securePort}\n200\n`,
    );
    expect(seen).toEqual(
      expect.arrayContaining([`GET secure.test:${securePort} /one`, `GET secure.test:${securePort} /two`]),
    );
    const copy = await debian.exec([
      "sh",
      "-c",
      `cp /usr/bin/curl /tmp/curl3 && /tmp/curl3 -s -w '%{http_connect}\n' ${url("/copy")}; echo "exit=$?"`,
    ]);
    expect(copy.stdout).toBe("403\nexit=56\n");
    expect(seen).not.toContain(`GET secure.test:${securePort} /copy`);
  });

  it("refuses a renamed copy of an allowed binary: the path of the running binary counts, not its content", async () => {
    const result = await debian.exec([
      "sh",
      "-c",
      `cp /usr/bin/curl /tmp/curl2 && /tmp/curl2 -s -w '\\nstatus=%{http_code}\\n' http://api.test:${port}/copy`,
    ]);
    expect(result.stdout).toContain("status=403");
    expect(result.stdout).toContain("policy_denied: binary /tmp/curl2");
    expect(seen).not.toContain(`GET api.test:${port} /copy`);
  });

  it("pins a binary's SHA-256 on first use: the same path with other content is refused", async () => {
    const first = await debian.exec([
      "sh",
      "-c",
      `cp /usr/bin/curl /tmp/tool && /tmp/tool -s -w '\\nstatus=%{http_code}\\n' http://tool.test:${port}/first`,
    ]);
    expect(first.stdout).toBe(`hello from tool.test:${port}\nstatus=200\n`);
    // Still curl, one byte longer: another hash under the same path.
    const replaced = await debian.exec([
      "sh",
      "-c",
      `cp /usr/bin/curl /tmp/t2 && printf x >> /tmp/t2 && mv /tmp/t2 /tmp/tool && /tmp/tool -s -w '\\nstatus=%{http_code}\\n' http://tool.test:${port}/second`,
    ]);
    expect(replaced.stdout).toContain("status=403");
    expect(replaced.stdout).toMatch(
      /binary \/tmp\/tool \(pid \d+\) has SHA-256 [0-9a-f]{16}\.\.\., but the sandbox first used/,
    );
    expect(seen).not.toContain(`GET tool.test:${port} /second`);
  });

  it("tells apart connections made at the same moment (lookups share the kernel's table reads)", async () => {
    const result = await debian.exec([
      "sh",
      "-c",
      `for i in $(seq 10); do curl -s -o /dev/null -w '%{http_code}\\n' http://api.test:${port}/burst & done; wait`,
    ]);
    expect(result.stdout.trim().split("\n")).toEqual(Array(10).fill("200"));
    // Refusals at the same moment: each connection is found and refused on its own.
    const mixed = await busybox.exec([
      "sh",
      "-c",
      `for i in $(seq 5); do wget -q -O /dev/null http://api.test:${port}/mixed 2>/dev/null; echo "wget=$?" & done; wait`,
    ]);
    expect(mixed.stdout.trim().split("\n").sort()).toEqual(Array(5).fill("wget=1"));
  });

  it("adds little to a connection's time (measured, printed for the record)", async () => {
    // 20 requests each, to a rule with binaries and to one without; the first of each warms caches.
    const loop = (host: string) =>
      `for i in $(seq 21); do curl -s -o /dev/null -w '%{time_starttransfer}\\n' http://${host}:${port}/t; done`;
    const times = async (host: string) =>
      (await debian.exec(["sh", "-c", loop(host)])).stdout
        .trim()
        .split("\n")
        .slice(1)
        .map(Number)
        .sort((a, b) => a - b);
    const checked = await times("api.test");
    const open = await times("open.test");
    const median = (list: number[]) => (list[Math.floor(list.length / 2)] as number) * 1000;
    console.log(
      `[${kind}] time to first byte through the proxy, median of 20: with binaries ${median(checked).toFixed(2)} ms, ` +
        `without ${median(open).toFixed(2)} ms`,
    );
    expect(checked).toHaveLength(20);
    expect(open).toHaveLength(20);
  }, 60_000);
}
