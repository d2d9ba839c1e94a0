import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OpenShell, type Sandbox } from "../../../src/index.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, uniqueName } from "./local-gateway-support.js";

const run = promisify(execFile);

/** A policy file as upstream's images carry them: it allows allowed.test on `port` and runs as uid 1000. */
const validPolicy = (port: number) => `# the image's own policy
version: 1
filesystem_policy:
  include_workdir: true
  read_write:
    - /tmp
landlock:
  compatibility: best_effort
process:
  run_as_user: "1000"
  run_as_group: "1000"
network_policies:
  allowed:
    name: allowed
    endpoints:
      - { host: allowed.test, port: ${port} }
`;

/**
 * A sandbox created without a policy in local mode on one engine runs under its image's own policy
 * file, as upstream's supervisor does: /etc/openshell/policy.yaml, else /etc/navigator/policy.yaml,
 * else the default (no network); a file upstream would refuse (unknown keys) leaves the default
 * with a WARN naming it. Images are built here from the test sandbox image and removed afterwards.
 */
export function describeImagePolicy(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const tag = uniqueName("t").toLowerCase();
  const images = {
    openshell: `openshell-test/image-policy-openshell:${tag}`,
    navigator: `openshell-test/image-policy-navigator:${tag}`,
    unknownKeys: `openshell-test/image-policy-unknown:${tag}`,
  };
  let server: Server;
  let port: number;
  let os: OpenShell;
  let context: string;

  /** Builds `image` from the sandbox test image with `files` (container path -> text) in it. */
  async function build(image: string, files: Record<string, string>): Promise<void> {
    const dir = mkdtempSync(join(context, "img-"));
    const lines = [`FROM ${testImages.sandbox}`];
    Object.entries(files).forEach(([path, text], i) => {
      writeFileSync(join(dir, `f${i}`), text);
      lines.push(`COPY f${i} ${path}`);
    });
    writeFileSync(join(dir, "Dockerfile"), `${lines.join("\n")}\n`);
    await run(kind, ["build", "-q", "-t", image, dir], { timeout: 120_000 });
  }

  beforeAll(async () => {
    server = createServer((req, res) => res.end(`hello from ${req.headers.host}`));
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    port = (server.address() as AddressInfo).port;
    context = mkdtempSync(join(tmpdir(), "openshell-image-policy-"));
    await build(images.openshell, {
      "/etc/openshell/policy.yaml": validPolicy(port),
      // The older path loses to the newer one.
      "/etc/navigator/policy.yaml": "version: 1\n",
    });
    await build(images.navigator, { "/etc/navigator/policy.yaml": validPolicy(port) });
    await build(images.unknownKeys, {
      "/etc/openshell/policy.yaml": validPolicy(port).replace("filesystem_policy:", "filesystem:"),
    });
    os = await OpenShell.local({
      runtime: kind,
      runtimeOptions: { endpoint },
      ephemeral: true,
      egressHosts: { "allowed.test": "127.0.0.1", "other.test": "127.0.0.1" },
    });
  }, 300_000);
  afterAll(async () => {
    await os?.close();
    await new Promise((resolve) => server?.close(resolve));
    await run(kind, ["rmi", "-f", ...Object.values(images)]).catch(() => undefined);
    if (context !== undefined) rmSync(context, { recursive: true, force: true });
  });

  async function started(
    image: string,
    policy?: NonNullable<Parameters<OpenShell["sandboxes"]["create"]>[0]>["policy"],
  ) {
    const sb = await os.sandboxes.create({
      name: uniqueName("imgpol"),
      image,
      command: IDLE,
      ...(policy === undefined ? {} : { policy }),
    });
    await sb.ready({ timeoutMs: 60_000 });
    return sb;
  }

  const fetch = (sb: Sandbox, host: string) =>
    sb.exec(["sh", "-c", `wget -q -O - http://${host}:${port}/ 2>&1; echo " exit=$?"`]);
  const gatewayLog = async (sb: Sandbox) => (await sb.logs({ sources: ["gateway"] })).map((l) => l.message);

  it("runs a sandbox created without a policy under the image's /etc/openshell/policy.yaml", async () => {
    const sb = await started(images.openshell);
    expect((await fetch(sb, "allowed.test")).stdout).toBe(`hello from allowed.test:${port} exit=0\n`);
    const other = (await fetch(sb, "other.test")).stdout;
    expect(other).toContain("403");
    expect(other).toContain("exit=1");
    // It is the sandbox's policy: its revision 1 holds it, and the process runs as its user.
    const stored = await os.policy.get(sb.name);
    expect(stored.version).toBe(1);
    expect(Object.keys(stored.policy.networkPolicies)).toEqual(["allowed"]);
    expect(stored.policy.process).toMatchObject({ runAsUser: "1000", runAsGroup: "1000" });
    expect((await sb.exec(["id", "-u"])).stdout).toBe("1000\n");
    expect(await gatewayLog(sb)).toContainEqual(
      `image ${images.openshell}: the sandbox runs with the policy in /etc/openshell/policy.yaml (it was created without one)`,
    );
  });

  it("falls back to /etc/navigator/policy.yaml", async () => {
    const sb = await started(images.navigator);
    expect((await fetch(sb, "allowed.test")).stdout).toBe(`hello from allowed.test:${port} exit=0\n`);
    expect(await gatewayLog(sb)).toContainEqual(
      expect.stringContaining("the policy in /etc/navigator/policy.yaml"),
    );
  });

  it("uses the default (no network) for a file with unknown keys, with a WARN naming the file and the key", async () => {
    const sb = await started(images.unknownKeys);
    expect((await fetch(sb, "allowed.test")).stdout).toContain("403");
    const warning = (await sb.logs({ sources: ["gateway"] })).find((l) => l.message.includes("is not used"));
    expect(warning?.level).toBe("WARN");
    expect(warning?.message).toContain(
      `image ${images.unknownKeys}: /etc/openshell/policy.yaml is not used:`,
    );
    expect(warning?.message).toContain('unknown key "filesystem"');
    expect(warning?.message).toContain("the sandbox runs with the default policy (no network access)");
    expect(Object.keys((await os.policy.get(sb.name)).policy.networkPolicies)).toEqual([]);
  });

  it("ignores the image's file when the create gives a policy", async () => {
    const sb = await started(images.openshell, {
      process: { runAsUser: "1000", runAsGroup: "1000" },
      networkPolicies: { other: { endpoints: [{ host: "other.test", port }] } },
    });
    expect((await fetch(sb, "other.test")).stdout).toBe(`hello from other.test:${port} exit=0\n`);
    expect((await fetch(sb, "allowed.test")).stdout).toContain("403");
    expect(Object.keys((await os.policy.get(sb.name)).policy.networkPolicies)).toEqual(["other"]);
    expect((await gatewayLog(sb)).some((m) => m.includes("policy.yaml"))).toBe(false);
  });
}
