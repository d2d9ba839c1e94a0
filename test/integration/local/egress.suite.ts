import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  type NetworkPolicyRuleInit,
  OpenShell,
  PolicyLoadError,
  type Sandbox,
} from "../../../src/index.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName, until } from "./local-gateway-support.js";

/** A policy user the test image has (uid 1000): root is refused. */
const PROCESS = { runAsUser: "sandbox", runAsGroup: "sandbox" };

/** This host's own addresses that are not on a container bridge: a sandbox must not reach them directly. */
function hostAddresses(): string[] {
  return Object.entries(networkInterfaces())
    .filter(([name]) => !/^(lo|docker|br-|cni-|os-|veth|podman)/.test(name))
    .flatMap(([, list]) =>
      (list ?? []).filter((a) => a.family === "IPv4" && !a.internal).map((a) => a.address),
    );
}

/** A shell line that prints what a command printed and its exit code, so refusals can be asserted. */
function shell(line: string): string[] {
  return ["sh", "-c", `${line} 2>&1; echo "exit=$?"`];
}

/**
 * Egress in local mode on one engine, seen from inside a sandbox: the only way out is the gateway's
 * proxy, which applies the sandbox's network policy, logs each decision on the sandbox's gateway
 * log, and picks up a policy update without a restart. A test HTTP server on this host stands in
 * for the internet: the proxy knows it by names given through `egressHosts`.
 */
export function describeEgress(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let server: Server;
  let port: number;
  const seen: string[] = [];
  let os: OpenShell;
  let sb: Sandbox;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.headers.host} ${req.url}`);
      res.end(`hello from ${req.headers.host}\n`);
    });
    // All addresses: the point is that the sandbox still cannot connect to it directly.
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    port = (server.address() as AddressInfo).port;
    os = await OpenShell.local({
      runtime: kind,
      runtimeOptions: { endpoint },
      ephemeral: true,
      egressHosts: { "allowed.test": "127.0.0.1", "denied.test": "127.0.0.1", "audited.test": "127.0.0.1" },
    });
    sb = await os.sandboxes.create({
      name: uniqueName("egress"),
      image: testImages.busybox,
      command: IDLE,
      policy: {
        process: PROCESS,
        networkPolicies: {
          allowed: { endpoints: [{ host: "allowed.test", port }] },
          audited: { endpoints: [{ host: "audited.test", port, access: "read-only", enforcement: "audit" }] },
        },
      },
    });
    await sb.ready({ timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await os?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const gatewayLines = async () =>
    (await sb.logs({ sources: ["gateway"] }))
      .map((line) => line.message)
      .filter((m) => m.startsWith("egress"));

  it("announces the proxy in the sandbox's environment", async () => {
    const env = (await sb.exec(["env"])).stdout;
    expect(env).toMatch(/^HTTP_PROXY=http:\/\/[\d.]+:\d+$/m);
    expect(env).toMatch(/^https_proxy=http:\/\/[\d.]+:\d+$/m);
    expect(env).toMatch(/^NO_PROXY=localhost,127\.0\.0\.1/m);
  });

  it("lets an allowed host answer through the proxy", async () => {
    const result = await sb.exec(["wget", "-q", "-O", "-", `http://allowed.test:${port}/hi`]);
    expect(result).toMatchObject({ exitCode: 0, stdout: `hello from allowed.test:${port}\n` });
    expect(seen).toContain(`GET allowed.test:${port} /hi`);
    expect(await gatewayLines()).toContainEqual(
      expect.stringContaining(
        `egress allowed for sandbox "${sb.name}": GET http://allowed.test:${port}/hi (rule "allowed")`,
      ),
    );
  });

  it("refuses a host no rule allows with 403, and logs sandbox, destination and rule", async () => {
    const result = await sb.exec(shell(`wget -q -O - http://denied.test:${port}/secret?token=abc`));
    expect(result.stdout).toContain("403");
    expect(result.stdout).toContain("exit=1");
    expect(seen.some((line) => line.includes("denied.test"))).toBe(false);
    const lines = await gatewayLines();
    const denied = lines.find((m) => m.includes("denied.test"));
    expect(denied).toContain(`egress denied for sandbox "${sb.name}": GET http://denied.test:${port}/secret`);
    expect(denied).toContain("no rule");
    // The query string may carry secrets: it never reaches the log.
    expect(denied).not.toContain("token=abc");
  });

  it("tunnels CONNECT to an allowed host and refuses it to a denied one", async () => {
    const connect = (host: string) =>
      sb.exec([
        "sh",
        "-c",
        `p=\${http_proxy#http://}; printf 'CONNECT ${host}:${port} HTTP/1.1\\r\\nHost: ${host}:${port}\\r\\n\\r\\nGET /tunnel HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 5 \${p%:*} \${p##*:}`,
      ]);
    const allowed = await connect("allowed.test");
    expect(allowed.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(allowed.stdout).toContain("hello from allowed.test");
    const denied = await connect("denied.test");
    expect(denied.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(denied.stdout).not.toContain("hello from");
  });

  it("allows and logs what an audit rule would deny", async () => {
    // Busybox wget cannot POST through a proxy: write the request by hand (stdin stays open until the answer is in).
    const post = await sb.exec([
      "sh",
      "-c",
      `p=\${http_proxy#http://}; (printf 'POST http://audited.test:${port}/write HTTP/1.0\\r\\nHost: audited.test\\r\\nContent-Length: 3\\r\\n\\r\\nx=1'; sleep 3) | nc -w 5 \${p%:*} \${p##*:}`,
    ]);
    expect(post.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(post.stdout).toContain(`hello from audited.test:${port}`);
    expect(await gatewayLines()).toContainEqual(
      expect.stringMatching(/egress allowed \(audit\).*POST http:\/\/audited\.test.*rule "audited"/),
    );
  });

  it("gives a connection that ignores the proxy no way to this host", async () => {
    const proxyHost = (await sb.exec(["sh", "-c", `p=\${http_proxy#http://}; echo \${p%:*}`])).stdout.trim();
    for (const address of [proxyHost, ...hostAddresses()]) {
      // -Y off: no proxy; the server listens on every address of this host.
      const direct = await sb.exec(shell(`wget -Y off -q -T 3 -O - http://${address}:${port}/direct`));
      expect(direct.stdout, `direct connection to ${address}`).not.toContain("hello from");
      expect(direct.stdout).toMatch(/exit=[1-9]/);
      const raw = await sb.exec(shell(`echo ping | nc -w 3 ${address} ${port}`));
      expect(raw.stdout, `raw TCP to ${address}`).not.toContain("HTTP/1.1");
    }
    expect(seen.some((line) => line.includes("/direct"))).toBe(false);
  });

  it("applies a policy update to the running sandbox: LOADED, then the host answers", async () => {
    // PID 1's start time (clock ticks since boot) changes only if the container restarts.
    const started = async () => (await sb.exec(["sh", "-c", "cut -d' ' -f22 /proc/1/stat"])).stdout;
    const before = await started();
    const update = await os.policy.update(sb.name, {
      networkPolicies: {
        allowed: { endpoints: [{ host: "allowed.test", port }] },
        later: { endpoints: [{ host: "denied.test", ports: [port] }] },
      },
    });
    const status = await until("the revision to load", async () => {
      const s = await os.policy.status(sb.name, { version: update.version });
      return s.revision.status === "loaded" ? s : undefined;
    });
    expect(status.activeVersion).toBe(update.version);
    const result = await sb.exec(["wget", "-q", "-O", "-", `http://denied.test:${port}/now`]);
    expect(result).toMatchObject({ exitCode: 0, stdout: `hello from denied.test:${port}\n` });
    // Same container, no restart.
    expect(await started()).toBe(before);
  });

  it("refuses at create a policy it cannot enforce, naming the field", async () => {
    const create = os.sandboxes.create({
      name: uniqueName("binaries"),
      image: testImages.busybox,
      command: IDLE,
      policy: {
        process: PROCESS,
        networkPolicies: {
          // A binary is always an absolute path: a bare name could never match one.
          gh: {
            endpoints: [{ host: "api.github.com", port: 443, enforcement: "enforce" }],
            binaries: [{ path: "curl" }],
          },
        },
      },
    });
    const error = await create.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('network_policies["gh"].binaries[0].path');
    expect((error as Error).message).toContain("not an absolute path");
  });

  it("fails a revision it cannot enforce, with the reason, and keeps the active one", async () => {
    const active = (await os.policy.status(sb.name)).activeVersion;
    // L7 rules on a raw tunnel could never apply.
    const unenforceable = { endpoints: [{ host: "allowed.test", port, tls: "skip", access: "read-only" }] };
    const result = await os.policy.update(sb.name, { networkPolicies: { tls: unenforceable } });
    const status = await os.policy.status(sb.name, { version: result.version });
    expect(status.revision.status).toBe("failed");
    expect(status.revision.loadError).toMatch(/tls/);
    expect(status.activeVersion).toBe(active);
    await expect(
      os.policy.update(sb.name, {
        networkPolicies: { tls: unenforceable },
        wait: true,
      }),
    ).rejects.toThrow(PolicyLoadError);
    // The active revision still applies.
    expect((await sb.exec(["wget", "-q", "-O", "-", `http://allowed.test:${port}/still`])).exitCode).toBe(0);
  });

  describe("this host's loopback", () => {
    // A service bound only to the host's 127.0.0.1: a development server, a local model server.
    let loopbackOnly: Server;
    let loopbackPort: number;
    const reached: string[] = [];
    let optIn: OpenShell | undefined;

    beforeAll(async () => {
      loopbackOnly = createServer((req, res) => {
        reached.push(`${req.headers.host} ${req.url}`);
        res.end("loopback-only service\n");
      });
      await new Promise<void>((resolve) => loopbackOnly.listen(0, "127.0.0.1", resolve));
      loopbackPort = (loopbackOnly.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await optIn?.close();
      await new Promise((resolve) => loopbackOnly?.close(resolve));
    });

    /** A sandbox with these network rules, on `gateway`, ready. */
    async function sandboxWith(
      gateway: OpenShell,
      prefix: string,
      rules: Record<string, NetworkPolicyRuleInit>,
    ) {
      const created = await gateway.sandboxes.create({
        name: uniqueName(prefix),
        image: testImages.busybox,
        command: IDLE,
        policy: { process: PROCESS, networkPolicies: rules },
      });
      await created.ready({ timeoutMs: 60_000 });
      return created;
    }

    const fetchFrom = (from: Sandbox, host: string, path: string) =>
      from.exec(shell(`wget -q -O - http://${host}:${loopbackPort}${path}`));

    it("is out of reach of a rule that allows every host on its port, by no host or a glob", async () => {
      const broad = await sandboxWith(os, "broad", {
        anyHost: { endpoints: [{ port: loopbackPort, allowedIps: ["0.0.0.0/0"] }] },
        glob: {
          endpoints: [{ host: "*.openshell.internal", port: loopbackPort, allowedIps: ["0.0.0.0/0"] }],
        },
      });
      try {
        // host.openshell.internal (through either rule) and a name egressHosts maps to 127.0.0.1.
        for (const host of ["host.openshell.internal", "allowed.test"]) {
          const result = await fetchFrom(broad, host, `/broad-${host}`);
          expect(result.stdout, host).not.toContain("loopback-only service");
          expect(result.stdout, host).toMatch(/exit=[1-9]/);
        }
        expect(reached.filter((line) => line.includes("/broad-"))).toEqual([]);
        const lines = (await broad.logs({ sources: ["gateway"] })).map((l) => l.message);
        expect(lines).toContainEqual(
          expect.stringMatching(
            /egress denied .*allowed\.test.* resolves to 127\.0\.0\.1, which is a loopback address, reached only by an endpoint that names allowed\.test exactly/,
          ),
        );
      } finally {
        await broad.delete();
      }
    });

    it("is out of reach of host.openshell.internal by default: the alias is the host-gateway address", async () => {
      const exact = await sandboxWith(os, "alias", {
        host: { endpoints: [{ host: "host.openshell.internal", ports: [loopbackPort, port] }] },
      });
      try {
        const result = await fetchFrom(exact, "host.openshell.internal", "/default-alias");
        expect(result.stdout).not.toContain("loopback-only service");
        expect(result.stdout).toMatch(/exit=[1-9]/);
        expect(reached.filter((line) => line.includes("/default-alias"))).toEqual([]);
        // A service listening on every address answers there, as on the gateway.
        const everywhere = await exact.exec(
          shell(`wget -q -O - http://host.openshell.internal:${port}/alias`),
        );
        expect(everywhere.stdout).toContain(`hello from host.openshell.internal:${port}`);
        expect(everywhere.stdout).toContain("exit=0");
        // The sandbox's own lookup of the alias finds the same host: the proxy's address on its
        // network (Podman 4 used to write "host-gateway" there verbatim, Docker its default bridge).
        const proxy = new URL((await exact.exec(["sh", "-c", "echo $HTTP_PROXY"])).stdout.trim());
        const hosts = (await exact.exec(["cat", "/etc/hosts"])).stdout;
        const aliasLines = hosts
          .split("\n")
          .filter((line) => line.split(/\s+/).includes("host.openshell.internal"));
        expect(aliasLines.map((line) => line.split(/\s+/)[0])).toEqual([proxy.hostname]);
      } finally {
        await exact.delete();
      }
    });

    it('is reached through host.openshell.internal with hostAlias "loopback", by a rule naming it exactly only', async () => {
      optIn = await OpenShell.local({
        runtime: kind,
        runtimeOptions: { endpoint },
        ephemeral: true,
        hostAlias: "loopback",
      });
      const exact = await sandboxWith(optIn, "optin", {
        host: { endpoints: [{ host: "host.openshell.internal", port: loopbackPort }] },
      });
      const broad = await sandboxWith(optIn, "optin-broad", {
        anyHost: { endpoints: [{ port: loopbackPort, allowedIps: ["0.0.0.0/0"] }] },
        glob: {
          endpoints: [{ host: "*.openshell.internal", port: loopbackPort, allowedIps: ["0.0.0.0/0"] }],
        },
      });
      const allowed = await fetchFrom(exact, "host.openshell.internal", "/opt-in");
      expect(allowed.stdout).toBe("loopback-only service\nexit=0\n");
      expect(reached).toContain(`host.openshell.internal:${loopbackPort} /opt-in`);

      const refused = await fetchFrom(broad, "host.openshell.internal", "/opt-in-broad");
      expect(refused.stdout).toContain("403");
      expect(refused.stdout).toMatch(/exit=[1-9]/);
      expect(reached.filter((line) => line.includes("/opt-in-broad"))).toEqual([]);
    });

    it("refuses a hostAlias or egressHosts value it does not take, naming the option", async () => {
      const local = { runtime: kind, runtimeOptions: { endpoint }, ephemeral: true };
      const alias = await OpenShell.local({ ...local, hostAlias: "127.0.0.1" as "loopback" }).catch(
        (e: unknown) => e,
      );
      expect(alias).toBeInstanceOf(InvalidArgumentError);
      expect(alias).toMatchObject({ field: "hostAlias" });
      const hosts = await OpenShell.local({ ...local, egressHosts: { "api.test": "localhost" } }).catch(
        (e: unknown) => e,
      );
      expect(hosts).toBeInstanceOf(InvalidArgumentError);
      expect((hosts as Error).message).toBe(
        "invalid options.egressHosts.api.test: must be an IPv4 or IPv6 address",
      );
    });
  });

  describe("inference.local", () => {
    const SECRET = "sk-local-inference-secret-0123456789";
    let provider: Server;
    let providerPort: number;
    const calls: { url: string; authorization: string | undefined; body: string }[] = [];

    beforeAll(async () => {
      provider = createServer((req, res) => {
        let body = "";
        req.on("data", (chunk) => {
          body += chunk;
        });
        req.on("end", () => {
          calls.push({ url: req.url ?? "", authorization: req.headers.authorization, body });
          const model = (JSON.parse(body || "{}") as { model?: string }).model;
          res.setHeader("content-type", "application/json");
          res.end(
            JSON.stringify({ object: "chat.completion", model, choices: [{ message: { content: "hi" } }] }),
          );
        });
      });
      await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
      providerPort = (provider.address() as AddressInfo).port;
      const name = uniqueName("llm");
      await os.providers.create({
        name,
        type: "openai",
        credentials: { OPENAI_API_KEY: SECRET },
        config: { OPENAI_BASE_URL: `http://127.0.0.1:${providerPort}/v1` },
      });
      await os.inference.setRoute({ provider: name, model: "routed-model", verify: false });
    });
    afterAll(async () => {
      await new Promise((resolve) => provider?.close(resolve));
    });

    /** A chat completion sent the way an agent's HTTP client sends it through HTTP_PROXY. */
    const chat = () =>
      sb.exec([
        "sh",
        "-c",
        `p=\${http_proxy#http://}; body='{"model":"agent-model","messages":[]}'; (printf 'POST http://inference.local/v1/chat/completions HTTP/1.1\\r\\nHost: inference.local\\r\\nAuthorization: Bearer sandbox-made-up\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' \${#body} "$body"; sleep 3) | nc -w 5 \${p%:*} \${p##*:}`,
      ]);

    it("reaches the route's provider with the provider's credential and the route's model", async () => {
      const result = await chat();
      expect(result.stdout).toMatch(/^HTTP\/1\.1 200/);
      expect(result.stdout).toContain('"model":"routed-model"');
      const call = calls.at(-1);
      expect(call?.url).toBe("/v1/chat/completions");
      expect(call?.authorization).toBe(`Bearer ${SECRET}`);
      expect(JSON.parse(call?.body ?? "{}")).toMatchObject({ model: "routed-model" });
      expect(result.stdout).not.toContain(SECRET);
    });

    it("keeps the credential out of the sandbox: environment, processes, files and logs", async () => {
      await chat();
      const env = await sb.exec(["env"]);
      expect(env.stdout).not.toContain(SECRET);
      const environ = await sb.exec(["sh", "-c", "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'"]);
      expect(environ.stdout).toContain("HTTP_PROXY=");
      expect(environ.stdout).not.toContain(SECRET);
      const args = await sb.exec(["sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"]);
      expect(args.stdout).not.toContain(SECRET);
      // Every file outside the kernel's views (busybox grep has no --exclude-dir).
      const files = await sb.exec([
        "sh",
        "-c",
        `for d in /*; do case $d in /proc|/sys|/dev) ;; *) grep -rl ${SECRET} $d ;; esac; done 2>/dev/null; echo done`,
      ]);
      expect(files.stdout).toBe("done\n");
      const lines = await sb.logs();
      expect(lines.some((line) => line.message.includes("inference.local"))).toBe(true);
      expect(lines.some((line) => line.message.includes(SECRET))).toBe(false);
    });

    it("serves https://inference.local with a certificate the sandbox's tools trust", async () => {
      const mounted = await sb.exec(["sh", "-c", "ls /etc/openshell-tls; echo $NODE_EXTRA_CA_CERTS"]);
      expect(mounted.stdout).toBe("ca-bundle.pem\nopenshell-ca.pem\n/etc/openshell-tls/openshell-ca.pem\n");
      // curl checks the certificate (against CURL_CA_BUNDLE, which the gateway set) and uses CONNECT.
      await using client = await os.sandboxes.create({
        name: uniqueName("curl"),
        image: testImages.curl,
        command: IDLE,
        policy: { process: { runAsUser: "1000", runAsGroup: "1000" } },
      });
      await client.ready({ timeoutMs: 60_000 });
      const result = await client.exec(
        shell(
          `curl -sS --fail-with-body -H 'content-type: application/json' -d '{"model":"x","messages":[]}' https://inference.local/v1/chat/completions`,
        ),
      );
      expect(result.stdout).toContain('"model":"routed-model"');
      expect(result.stdout).toContain("exit=0");
      expect(calls.at(-1)?.authorization).toBe(`Bearer ${SECRET}`);
      // Without the gateway's CA the same call fails verification: the trust comes from the mount.
      const untrusted = await client.exec(
        shell("curl -sS --cacert /etc/ssl/certs/ca-certificates.crt https://inference.local/v1/models"),
      );
      expect(untrusted.stdout).toMatch(/certificate|SSL/i);
      expect(untrusted.stdout).not.toContain("exit=0");
    });
  });

  it("keeps egress working for a sandbox across a gateway restart, and names this host as host.openshell.internal", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "openshell-egress-restart-"));
    const options = { runtime: kind, runtimeOptions: { endpoint }, stateDir };
    try {
      const first = await OpenShell.local(options);
      const name = uniqueName("restart");
      const kept = await first.sandboxes.create({
        name,
        image: testImages.sandbox,
        command: IDLE,
        policy: { networkPolicies: { host: { endpoints: [{ host: "host.openshell.internal", port }] } } },
      });
      await kept.ready({ timeoutMs: 60_000 });
      const url = `http://host.openshell.internal:${port}/restart`;
      expect((await kept.exec(["wget", "-q", "-O", "-", url])).exitCode).toBe(0);
      await first.close();

      // The sandbox ran on without a gateway: its proxy address is the same after the restart.
      const second = await OpenShell.local(options);
      try {
        const again = await second.sandboxes.get(name);
        const result = await again.exec(["wget", "-q", "-O", "-", url]);
        expect(result).toMatchObject({ exitCode: 0, stdout: `hello from host.openshell.internal:${port}\n` });
      } finally {
        await second.localGateway?.close({ removeSandboxes: true });
        await second.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}
