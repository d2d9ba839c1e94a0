import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { InvalidArgumentError, OpenShell, type Sandbox, SandboxFailedError } from "../../../src/index.js";
import { SANDBOX_ID_LABEL, SANDBOX_NAME_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, leftovers, uniqueName, until } from "./local-gateway-support.js";

/** Exit code and combined output of a shell line in the sandbox. */
async function sh(sb: Sandbox, line: string): Promise<{ exitCode: number; out: string }> {
  const { exitCode, stdout, stderr } = await sb.exec(["sh", "-c", line]);
  return { exitCode, out: `${stdout}${stderr}` };
}

/** The container's PID limit, from cgroup v2 or v1. */
const PIDS_MAX = "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max";

/**
 * The static part of a sandbox's policy, enforced by the engine itself: who the sandbox runs as
 * (never root), what it can write (the read_write paths and the workdir, nothing else), and what it
 * cannot do at all (capabilities, setuid, unbounded forks). Seen from inside the sandbox, by exec.
 */
export function describeStaticPolicy(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  let os: OpenShell;
  let runtime: ContainerRuntime;
  let gatewayId: string;

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: kind, endpoint });
    os = await OpenShell.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
    gatewayId = os.localGateway?.gatewayId ?? "";
  });
  afterAll(async () => {
    await os?.close();
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    await runtime?.close();
  });

  async function ready(options: Parameters<OpenShell["sandboxes"]["create"]>[0]): Promise<Sandbox> {
    const sb = await os.sandboxes.create({ command: IDLE, ...options });
    await sb.ready({ timeoutMs: 30_000 });
    return sb;
  }

  async function remove(sb: Sandbox): Promise<void> {
    await sb.delete();
    await sb.deleted({ timeoutMs: 20_000 });
  }

  /** Nothing of a sandbox by that name: no record, no container. */
  async function expectNothingNamed(name: string): Promise<void> {
    expect((await os.sandboxes.list()).map((s) => s.name)).not.toContain(name);
    expect(await runtime.listContainers({ labels: { [SANDBOX_NAME_LABEL]: name } })).toEqual([]);
  }

  it("runs a sandbox without a policy as the image's USER in its WORKDIR, writable only there and in /tmp", async () => {
    const sb = await ready({ name: uniqueName("nopolicy"), image: testImages.sandbox });
    expect(await sh(sb, "id -u; id -g; pwd")).toEqual({ exitCode: 0, out: "1000\n1000\n/sandbox\n" });

    // Undeclared writes fail: the root is read-only, Podman's own /run, /tmp and /var/tmp included
    // (the image has no /run: on Docker it cannot be made either).
    for (const path of ["/x", "/etc/x", "/home/sandbox/x", "/var/tmp/x", "/run/x"]) {
      const denied = await sh(sb, `touch ${path}`);
      expect(denied.exitCode, path).not.toBe(0);
      expect(denied.out, path).toMatch(/Read-only file system|Permission denied|No such file or directory/);
    }
    // The workdir and /tmp are writable, and a program written there runs.
    expect(
      await sh(
        sb,
        "touch /tmp/a /sandbox/b && printf '#!/bin/sh\\necho ran\\n' > /sandbox/run.sh && chmod +x /sandbox/run.sh && ./run.sh",
      ),
    ).toEqual({ exitCode: 0, out: "ran\n" });

    // Nothing to raise privileges with: no capabilities, no-new-privileges, a PID limit.
    const status = await sh(sb, "grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/self/status");
    expect(status.out).toMatch(/CapPrm:\s+0000000000000000/);
    expect(status.out).toMatch(/CapEff:\s+0000000000000000/);
    expect(status.out).toMatch(/NoNewPrivs:\s+1/);
    expect((await sh(sb, PIDS_MAX)).out.trim()).toBe("1024");
    const chown = await sh(sb, "chown 0:0 /tmp/a");
    expect(chown.exitCode).not.toBe(0);
    expect(chown.out).toMatch(/Operation not permitted/);
    const mknod = await sh(sb, "mknod /tmp/null c 1 3");
    expect(mknod.exitCode).not.toBe(0);
    expect(mknod.out).toMatch(/Operation not permitted/);

    // The engine has nothing of the policy to report as not enforced.
    const gatewayLines = await sb.logs({ sources: ["gateway"] });
    const gaps = /is not enforced|are not dropped|is not set|are not limited/;
    expect(gatewayLines.filter((l) => l.level === "WARN" && gaps.test(l.message))).toEqual([]);
    await remove(sb);
  });

  it("runs a root image as the policy's user, with the declared paths writable and nothing else", async () => {
    const sb = await ready({
      name: uniqueName("declared"),
      image: testImages.busybox,
      policy: {
        process: { runAsUser: "1001", runAsGroup: "1002" },
        filesystem: { includeWorkdir: false, readOnly: ["/etc", "/proc"], readWrite: ["/data", "/dev/null"] },
        landlock: { compatibility: "hard_requirement" },
      },
    });
    expect(await sh(sb, "id -u; id -g; pwd")).toEqual({ exitCode: 0, out: "1001\n1002\n/sandbox\n" });
    expect(await sh(sb, "touch /data/x && echo ok > /dev/null && echo written")).toEqual({
      exitCode: 0,
      out: "written\n",
    });
    // Not declared this time: /tmp and the workdir stay read-only.
    for (const path of ["/tmp/x", "/sandbox/x", "/etc/x"]) {
      const denied = await sh(sb, `touch ${path}`);
      expect(denied.exitCode, path).not.toBe(0);
      expect(denied.out, path).toMatch(/Read-only file system|Permission denied/);
    }
    await remove(sb);
  });

  it("takes the PID limit from the template's limits.pids", async () => {
    const name = uniqueName("pids");
    await os.raw.openshell.createSandbox({
      name,
      spec: {
        command: IDLE,
        template: { image: testImages.sandbox, resources: { limits: { pids: 64 } } },
      },
    });
    const sb = await os.sandboxes.get(name);
    await sb.ready({ timeoutMs: 30_000 });
    expect((await sh(sb, PIDS_MAX)).out.trim()).toBe("64");
    await remove(sb);
  });

  it("loses what was written to the writable paths when the sandbox stops", async () => {
    const sb = await ready({ name: uniqueName("restart"), image: testImages.sandbox });
    expect((await sh(sb, "echo kept > /sandbox/f && cat /sandbox/f")).out).toBe("kept\n");
    await sb.stop();
    await until("the sandbox to stop", async () =>
      (await sb.refresh()).phase === "stopped" ? true : undefined,
    );
    await sb.start();
    await sb.ready({ timeoutMs: 30_000 });
    expect(await sh(sb, "ls -A /sandbox; touch /sandbox/g && echo writable")).toEqual({
      exitCode: 0,
      out: "writable\n",
    });
    await remove(sb);
  });

  it("fails a sandbox whose image runs as root with reason RootUser, saying what to do", async () => {
    const sb = await os.sandboxes.create({
      name: uniqueName("root"),
      image: testImages.busybox,
      command: IDLE,
    });
    const error = await sb.ready({ timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxFailedError);
    expect(error).toMatchObject({ phase: "error", reason: "RootUser" });
    expect((error as Error).message).toContain(`image ${testImages.busybox} sets no USER`);
    // Named as the SDK's option is (runAsUser), and as a policy file names it.
    expect((error as Error).message).toMatch(
      /set policy\.process\.runAsUser and runAsGroup \(run_as_user and run_as_group in a policy file\)/,
    );
    expect((error as Error).message).toMatch(/give the image a non-root USER/);
    expect(await runtime.listContainers({ labels: { [SANDBOX_ID_LABEL]: await sb.id() } })).toEqual([]);
    const logs = await sb.logs({ sources: ["gateway"] });
    expect(logs.some((l) => l.level === "ERROR" && l.message.includes("would run as root"))).toBe(true);
    await remove(sb);
    await expectNothingNamed(sb.name);
  });

  it("refuses at create a policy that runs as root or cannot be enforced, naming the fields", async () => {
    const name = uniqueName("refused");
    const root = await os.sandboxes
      .create({ name, image: testImages.sandbox, policy: { process: { runAsUser: "0", runAsGroup: "0" } } })
      .catch((e: unknown) => e);
    expect(root).toBeInstanceOf(InvalidArgumentError);
    expect((root as Error).message).toContain('spec.policy.process.run_as_user "0" is root');

    const cases: [Record<string, unknown>, RegExp][] = [
      [{ process: { runAsUser: "root" } }, /spec\.policy\.process\.run_as_user "root" is root/],
      [
        { process: { runAsUser: "1000", runAsGroup: "0" } },
        /spec\.policy\.process\.run_as_group "0" is root/,
      ],
      [
        { filesystem: { readOnly: ["/data/keys"], readWrite: ["/data"] } },
        /spec\.policy\.filesystem\.read_only\[0\] "\/data\/keys" is inside spec\.policy\.filesystem\.read_write\[0\] "\/data"/,
      ],
      [{ filesystem: { readWrite: ["/proc/sys"] } }, /read_write\[0\] "\/proc\/sys" is under \/proc/],
      [{ filesystem: { readWrite: ["tmp"] } }, /read_write\[0\] "tmp" must be an absolute path/],
      [{ filesystem: { readWrite: ["/tmp/"] } }, /read_write\[0\] "\/tmp\/" must be a normalized path/],
      [{ landlock: { compatibility: "strict" } }, /spec\.policy\.landlock\.compatibility "strict"/],
    ];
    for (const [policy, message] of cases) {
      const raw = await os.raw.openshell
        .createSandbox({ name, spec: { template: { image: testImages.sandbox }, command: IDLE, policy } })
        .catch((e: unknown) => e);
      expect(raw, JSON.stringify(policy)).toBeInstanceOf(ConnectError);
      expect((raw as ConnectError).code, JSON.stringify(policy)).toBe(Code.InvalidArgument);
      expect((raw as ConnectError).rawMessage).toMatch(message);
    }
    await expectNothingNamed(name);
  });

  it("refuses a change to the static sections after create with INVALID_ARGUMENT, as the gateway does", async () => {
    const sb = await os.sandboxes.create({
      name: uniqueName("static"),
      image: testImages.sandbox,
      command: IDLE,
    });
    for (const policy of [
      { filesystem: { includeWorkdir: true, readWrite: ["/tmp", "/data"] } },
      { process: { runAsUser: "1001", runAsGroup: "1001" } },
      { landlock: { compatibility: "hard_requirement" } },
    ]) {
      const error = await os.raw.openshell.updateConfig({ name: sb.name, policy }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).rawMessage).toMatch(
        /^policy\.(filesystem|process|landlock) cannot change after the sandbox is created; only network_policies may$/,
      );
    }
    await remove(sb);
  });
}
