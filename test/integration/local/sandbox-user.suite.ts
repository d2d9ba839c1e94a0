import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { InvalidArgumentError, OpenShell, type Sandbox, SandboxFailedError } from "../../../src/index.js";
import { GATEWAY_LABEL } from "../../../src/local/gateway-identity.js";
import { ACCOUNT_PROBE_LABEL } from "../../../src/local/sandboxes/image-account-probe.js";
import { SANDBOX_ID_LABEL } from "../../../src/local/sandboxes/sandbox-container.js";
import type { ContainerRuntime } from "../../../src/runtime/container-runtime.js";
import { createRuntime } from "../../../src/runtime/create-runtime.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../support/test-engines.js";
import { IDLE, type LocalKind, leftovers, uniqueName } from "./local-gateway-support.js";

/**
 * Who a sandbox runs as, whatever the user is called: root by another name (a user with UID 0, a
 * numeric user that reads as 0, a group that is GID 0, a user whose group comes out as 0) is refused
 * with reason RootUser before anything of the image runs, and a non-root user by name runs as the
 * UID and GID its image gives it. The images are built here from the sandbox test image, with
 * accounts of their own in /etc/passwd and /etc/group.
 */
export function describeSandboxUser(kind: LocalKind): void {
  const endpoint = kind === "docker" ? dockerTestEndpoint : podmanTestEndpoint;
  const run = Math.random().toString(16).slice(2, 8);
  const tag = (name: string) => `openshell-test/user-${name}:${run}`;
  const base = tag("accounts");
  const built: string[] = [];
  let runtime: ContainerRuntime;
  let os: OpenShell;
  let gatewayId: string;

  async function build(name: string, dockerfile: string, context?: string): Promise<string> {
    const image = tag(name);
    await runtime.buildImage({ tag: image, dockerfileText: dockerfile, ...(context ? { context } : {}) });
    built.push(image);
    return image;
  }

  /** An image of the accounts image that runs as `user`. */
  const withUser = (name: string, user: string) => build(name, `FROM ${base}\nUSER ${user}\n`);

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: kind, endpoint });
    // The accounts are copied in rather than edited by a RUN step: building needs no container then.
    const context = mkdtempSync(join(tmpdir(), "openshell-user-accounts-"));
    try {
      // toor: another name for UID 0. staff0: a user whose primary group is GID 0. wheel: GID 0 by another name.
      writeFileSync(
        join(context, "passwd"),
        [
          "root:x:0:0:root:/root:/bin/sh",
          "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh",
          "nobody:x:65534:65534:nobody:/:/bin/false",
          "toor:x:0:0:toor:/:/bin/sh",
          "staff0:x:1001:0:staff:/:/bin/sh",
          "",
        ].join("\n"),
      );
      writeFileSync(
        join(context, "group"),
        ["root:x:0:", "sandbox:x:1000:", "nogroup:x:65534:", "wheel:x:0:", "agents:x:2000:", ""].join("\n"),
      );
      await build(
        "accounts",
        `FROM ${testImages.sandbox}\nCOPY passwd group /etc/\nUSER 1000:1000\n`,
        context,
      );
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    os = await OpenShell.local({ runtime: kind, runtimeOptions: { endpoint }, ephemeral: true });
    gatewayId = os.localGateway?.gatewayId ?? "";
  }, 120_000);
  afterAll(async () => {
    await os?.close();
    if (gatewayId) expect(await leftovers(runtime, gatewayId)).toEqual([]);
    for (const image of built.reverse())
      await runtime.removeImage(image, { force: true }).catch(() => undefined);
    await runtime?.close();
  });

  /** The sandbox's failure once ready() gives up on it. */
  async function failure(sb: Sandbox): Promise<SandboxFailedError> {
    const error = await sb.ready({ timeoutMs: 30_000 }).then(
      () => new Error(`sandbox ${sb.name} became READY`),
      (e: unknown) => e,
    );
    expect(error, sb.name).toBeInstanceOf(SandboxFailedError);
    return error as SandboxFailedError;
  }

  /** Nothing of the sandbox's image ever ran: no container of it, and no account probe left. */
  async function expectNoContainer(sb: Sandbox): Promise<void> {
    expect(await runtime.listContainers({ labels: { [SANDBOX_ID_LABEL]: await sb.id() } })).toEqual([]);
    expect(
      await runtime.listContainers({ labels: { [GATEWAY_LABEL]: gatewayId, [ACCOUNT_PROBE_LABEL]: "true" } }),
    ).toEqual([]);
  }

  async function remove(sb: Sandbox): Promise<void> {
    await sb.delete();
    await sb.deleted({ timeoutMs: 20_000 });
  }

  it("refuses an image whose USER is root by another name, with reason RootUser, before it runs", async () => {
    const cases: [user: string, why: RegExp][] = [
      [
        "toor",
        /has USER "toor", which is UID 0 in the image's \/etc\/passwd, so the sandbox would run as root/,
      ],
      ["+0", /has USER "\+0", so the sandbox would run as root/],
      [
        "1234",
        /has USER "1234", which is not in the image's \/etc\/passwd and names no group, so it would run with GID 0/,
      ],
      ["staff0", /has USER "staff0", whose primary group in the image's \/etc\/passwd is GID 0/],
      ["1000:wheel", /has USER "1000:wheel", whose group "wheel" is GID 0 in the image's \/etc\/group/],
      ["1000:0", /has USER "1000:0", so the sandbox would run as root/],
    ];
    for (const [user, why] of cases) {
      const image = await withUser(`root${cases.findIndex(([u]) => u === user)}`, user);
      const sb = await os.sandboxes.create({ name: uniqueName("root"), image, command: IDLE });
      const error = await failure(sb);
      expect(error, user).toMatchObject({ phase: "error", reason: "RootUser" });
      expect(error.message, user).toMatch(why);
      // What the user would set, in this SDK's words.
      expect(error.message, user).toContain("set policy.process.runAsUser and runAsGroup");
      await expectNoContainer(sb);
      await remove(sb);
    }
  });

  it("refuses a policy user or group that is root by another name, with reason RootUser", async () => {
    const cases: [process: { runAsUser: string; runAsGroup?: string }, why: RegExp][] = [
      [
        { runAsUser: "toor" },
        /policy\.process\.runAsUser "toor" .*, which is UID 0 in the image's \/etc\/passwd/,
      ],
      [
        { runAsUser: "staff0" },
        /runAsUser "staff0" .*, whose primary group in the image's \/etc\/passwd is GID 0/,
      ],
      [
        { runAsUser: "1234" },
        /runAsUser "1234" .*, which is not in the image's \/etc\/passwd and names no group/,
      ],
      [
        { runAsUser: "sandbox", runAsGroup: "wheel" },
        /runAsUser "sandbox" and runAsGroup "wheel" .*, whose group "wheel" is GID 0/,
      ],
    ];
    for (const [process, why] of cases) {
      const sb = await os.sandboxes.create({
        name: uniqueName("rootpol"),
        image: base,
        command: IDLE,
        policy: { process },
      });
      const error = await failure(sb);
      expect(error, JSON.stringify(process)).toMatchObject({ reason: "RootUser" });
      expect(error.message, JSON.stringify(process)).toMatch(why);
      await expectNoContainer(sb);
      await remove(sb);
    }
    // Zero by spelling is refused at create, naming the field and the SDK's option.
    const spelled = await os.sandboxes
      .create({
        name: uniqueName("plus0"),
        image: base,
        policy: { process: { runAsUser: "+0", runAsGroup: "1" } },
      })
      .catch((e: unknown) => e);
    expect(spelled).toBeInstanceOf(InvalidArgumentError);
    expect((spelled as Error).message).toContain(
      'spec.policy.process.run_as_user "+0" is root (policy.process.runAsUser)',
    );
  });

  it("runs a non-root user given by name as the UID and GID its image gives it", async () => {
    const byName = await withUser("byname", "sandbox");
    const byUid = await withUser("byuid", "1000");
    const cases: [options: Parameters<OpenShell["sandboxes"]["create"]>[0], ids: string][] = [
      [{ image: byName }, "1000\n1000\n"],
      [{ image: byUid }, "1000\n1000\n"],
      [{ image: base, policy: { process: { runAsUser: "sandbox", runAsGroup: "agents" } } }, "1000\n2000\n"],
    ];
    for (const [options, ids] of cases) {
      const sb = await os.sandboxes.create({ name: uniqueName("named"), command: IDLE, ...options });
      await sb.ready({ timeoutMs: 30_000 });
      // PID 1 (the sandbox's main process) and an exec both run as that user.
      const status = await sb.exec(["sh", "-c", "id -u; id -g; grep -E '^(Uid|Gid):' /proc/1/status"]);
      expect(status.stdout.startsWith(ids), JSON.stringify(options)).toBe(true);
      const [uid, gid] = ids.trim().split("\n");
      expect(status.stdout).toMatch(new RegExp(`Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}`));
      expect(status.stdout).toMatch(new RegExp(`Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}`));
      await remove(sb);
    }
  });

  it("refuses a user the image does not have, and an image whose users it cannot read, before it runs", async () => {
    const ghost = await withUser("ghost", "ghost");
    const missing = await os.sandboxes.create({ name: uniqueName("ghost"), image: ghost, command: IDLE });
    const notFound = await failure(missing);
    expect(notFound).toMatchObject({ reason: "UserNotFound" });
    expect(notFound.message).toMatch(/has USER "ghost", but the image has no user "ghost" in \/etc\/passwd/);
    await expectNoContainer(missing);
    await remove(missing);

    // Without cat the accounts cannot be read: a named user might be root, so it does not start.
    // (Busybox under the names of the few programs the sandbox needs; cat is not one of them.)
    const noCat = await build(
      "nocat",
      [
        `FROM ${base} AS accounts`,
        "FROM scratch",
        ...["sh", "sleep", "id"].map((name) => `COPY --from=accounts /bin/busybox /bin/${name}`),
        "COPY --from=accounts /etc/passwd /etc/group /etc/",
        "WORKDIR /sandbox",
        "USER sandbox",
        "",
      ].join("\n"),
    );
    const blind = await os.sandboxes.create({ name: uniqueName("nocat"), image: noCat, command: IDLE });
    const unresolved = await failure(blind);
    expect(unresolved).toMatchObject({ reason: "UserNotResolved" });
    expect(unresolved.message).toMatch(/could not read the image's \/etc\/passwd and \/etc\/group/);
    expect(unresolved.message).toContain("set policy.process.runAsUser and runAsGroup");
    await expectNoContainer(blind);
    await remove(blind);
    // Numeric ids need no lookup: the same image runs as the policy's UID and GID.
    const numeric = await os.sandboxes.create({
      name: uniqueName("nocat-ids"),
      image: noCat,
      command: IDLE,
      policy: { process: { runAsUser: "1000", runAsGroup: "1000" } },
    });
    await numeric.ready({ timeoutMs: 30_000 });
    expect((await numeric.exec(["sh", "-c", "id -u; id -g"])).stdout).toBe("1000\n1000\n");
    await remove(numeric);
  });
}
