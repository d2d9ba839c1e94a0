import { type ContainerRuntime, createRuntime, runExec } from "openshell/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../adapters/image/facts/image-facts.js";
import { renderDockerfile } from "../../../../adapters/image/prepare/dockerfile.js";
import { planPreparation } from "../../../../adapters/image/prepare/plan.js";
import { dockerTestEndpoint, podmanTestEndpoint, testImages } from "../../../support/test-engines.js";
import { distroFacts } from "../../../unit/adapters/image/prepare/distro-facts.js";

/**
 * The Dockerfiles planPreparation renders, built for real: the recorded Debian facts with apt-get
 * inside the build, and the account steps and PATH quoting on real shells. Tagged images are
 * removed afterwards; containers go with the session (reap).
 */
const engines = [
  { kind: "docker" as const, endpoint: dockerTestEndpoint },
  { kind: "podman" as const, endpoint: podmanTestEndpoint },
];

/** Runs `script` with sh in a container of `image` (as its USER) and returns stdout. */
async function shellOutput(runtime: ContainerRuntime, image: string, script: string): Promise<string> {
  const { id } = await runtime.createContainer({ image, command: ["sleep", "300"] });
  try {
    await runtime.startContainer(id);
    const result = await runExec(runtime, id, { command: ["sh", "-c", script] });
    expect(result.stderr.toString()).toBe("");
    expect(result.exitCode).toBe(0);
    return result.stdout.toString();
  } finally {
    await runtime.removeContainer(id, { force: true });
  }
}

/** The account lines of a passwd or group file, without the sandbox entries the test image has. */
const withoutSandbox = <T extends { name: string }>(entries: readonly T[]) =>
  entries.filter((entry) => entry.name !== "sandbox");

describe("the rendered Dockerfile for the Debian test image builds on docker", () => {
  let runtime: ContainerRuntime;
  const prepared = `openshell-test/dockerfile-debian:${process.pid}-${Math.random().toString(16).slice(2, 8)}`;

  beforeAll(async () => {
    runtime = await createRuntime({ runtime: "docker", endpoint: dockerTestEndpoint });
  });

  afterAll(async () => {
    await runtime.reap();
    await runtime.removeImage(prepared, { force: true }).catch(() => {});
    await runtime.close();
  });

  it("the Debian test image's recorded facts: apt-get installs iproute2, sandbox is created and the image ends as it", async () => {
    const facts = distroFacts("debian-12");
    const dockerfile = renderDockerfile(planPreparation(facts), facts, testImages.debian);
    await runtime.buildImage({ tag: prepared, dockerfileText: dockerfile });

    const info = await runtime.inspectImage(prepared);
    const original = await runtime.inspectImage(testImages.debian);
    expect(info.user).toBe("sandbox");
    expect({ cmd: info.cmd, entrypoint: info.entrypoint, workdir: info.workdir }).toEqual({
      cmd: original.cmd,
      entrypoint: original.entrypoint,
      workdir: original.workdir,
    });
    const output = await shellOutput(
      runtime,
      prepared,
      "id -un; id -u; id -g; id -gn; ip -V; stat -c '%U:%G %F' /sandbox; ls /var/lib/apt/lists | grep -vx -e lock -e partial | wc -l",
    );
    const [user, uid, gid, group, ip, home, lists] = output.trim().split("\n");
    expect({ user, uid, gid, group, home, lists }).toEqual({
      user: "sandbox",
      uid: "1000",
      gid: "1000",
      group: "sandbox",
      home: "sandbox:sandbox directory",
      lists: "0",
    });
    expect(ip).toMatch(/^ip utility, iproute2-/);
  }, 300_000);
});

for (const { kind, endpoint } of engines) {
  describe(`rendered account steps and PATH build on ${kind}`, () => {
    let runtime: ContainerRuntime;
    const suffix = `${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    const tag = (what: string) => `openshell-test/dockerfile-${what}:${suffix}`;
    const made: string[] = [];

    beforeAll(async () => {
      runtime = await createRuntime({ runtime: kind, endpoint });
    });

    afterAll(async () => {
      await runtime.reap();
      for (const image of made.reverse()) await runtime.removeImage(image, { force: true }).catch(() => {});
      await runtime.close();
    });

    it("Debian's own adduser and addgroup, as planned when shadow's tools are absent", async () => {
      const recorded = distroFacts("debian-12");
      // The build needs no package here: ip is taken as present so the plan is the account steps alone.
      const facts: ImageFacts = {
        ...recorded,
        ip: { path: "/usr/sbin/ip", busybox: false, kind: "iproute2", version: "ip utility, iproute2-6.1.0" },
        accountTools: { adduser: recorded.accountTools.adduser, addgroup: recorded.accountTools.addgroup },
      };
      const plan = planPreparation(facts);
      expect(plan.added).toEqual([
        "group sandbox (gid 1000) with addgroup",
        "user sandbox (uid 1000, gid 1000, home /sandbox) with adduser",
        "USER sandbox",
      ]);
      const prepared = tag("debian-adduser");
      made.push(prepared);
      await runtime.buildImage({
        tag: prepared,
        dockerfileText: renderDockerfile(plan, facts, testImages.debian),
      });
      const output = await shellOutput(
        runtime,
        prepared,
        "getent passwd sandbox; getent group sandbox; stat -c %u:%g /sandbox",
      );
      expect(output).toBe("sandbox:x:1000:1000:,,,:/sandbox:/bin/sh\nsandbox:x:1000:\n1000:1000\n");
    }, 120_000);

    it("a shell-only image: the accounts written into /etc/passwd and /etc/group, and a PATH with $ and quotes kept literal", async () => {
      // The busybox test image without its sandbox account and with a PATH that lacks the sbin
      // folders and holds characters the Dockerfile would otherwise expand or end at.
      const base = tag("busybox-base");
      made.push(base);
      await runtime.buildImage({
        tag: base,
        dockerfileText: [
          `FROM ${testImages.busybox}`,
          "RUN sed -i '/^sandbox:/d' /etc/passwd /etc/group && rm -rf /home/sandbox",
          `ENV PATH='/usr/bin:/bin:/opt/$HOME"q'`,
        ].join("\n"),
      });
      const recorded = distroFacts("busybox");
      const facts: ImageFacts = {
        ...recorded,
        // busybox's ip and nsenter taken as enough, so that no package is needed (it has no manager).
        ip: { path: "/bin/ip", busybox: false, kind: "iproute2", version: "ip utility, iproute2-6.1.0" },
        users: withoutSandbox(recorded.users),
        groups: withoutSandbox(recorded.groups),
        path: ["/usr/bin", "/bin", '/opt/$HOME"q'],
      };
      const plan = planPreparation(facts);
      expect(plan.added).toEqual([
        "group sandbox (gid 1000) in /etc/group",
        "user sandbox (uid 1000, gid 1000, home /sandbox) in /etc/passwd",
        "PATH += /usr/sbin:/sbin",
        "USER sandbox",
      ]);
      const prepared = tag("busybox");
      made.push(prepared);
      await runtime.buildImage({ tag: prepared, dockerfileText: renderDockerfile(plan, facts, base) });

      const info = await runtime.inspectImage(prepared);
      expect(info.env).toContain('PATH=/usr/bin:/bin:/opt/$HOME"q:/usr/sbin:/sbin');
      expect(info.user).toBe("sandbox");
      const output = await shellOutput(
        runtime,
        prepared,
        "grep ^sandbox: /etc/passwd /etc/group; id -un; id -u; id -gn; id -g; ls -lnd /sandbox | cut -c1-10; ls -n -d /sandbox | tr -s ' ' | cut -d' ' -f3,4",
      );
      expect(output).toBe(
        [
          "/etc/passwd:sandbox:x:1000:1000::/sandbox:/bin/sh",
          "/etc/group:sandbox:x:1000:",
          "sandbox",
          "1000",
          "sandbox",
          "1000",
          "drwxr-xr-x",
          "1000 1000",
          "",
        ].join("\n"),
      );
    }, 120_000);
  });
}
