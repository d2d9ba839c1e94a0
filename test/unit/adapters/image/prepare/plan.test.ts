import { InvalidArgumentError } from "openshell";
import { describe, expect, it } from "vitest";
import type { ImageFacts } from "../../../../../adapters/image/facts/image-facts.js";
import { type PreparationPlan, planPreparation } from "../../../../../adapters/image/prepare/plan.js";
import { DISTROS, distroFacts } from "./distro-facts.js";

const debian = (patch: Partial<ImageFacts> = {}) => distroFacts("debian-12", patch);
const withConfig = (facts: ImageFacts, config: Partial<ImageFacts["config"]>): ImageFacts => ({
  ...facts,
  config: { ...facts.config, ...config },
});
const agent = { name: "agent", uid: 1500, gid: 1500, home: "/home/agent", shell: "/bin/sh" };

/**
 * The facts the image would have after the plan was built into it, read back from what the plan
 * says it adds (the ids in its `added` phrases): what a probe of the prepared image would find.
 */
function applied(facts: ImageFacts, plan: PreparationPlan): ImageFacts {
  const text = plan.added.join("\n");
  const group = /group sandbox \(gid (\d+)/.exec(text);
  const user = /user sandbox \(uid (\d+), gid (\d+)/.exec(text);
  const path = /PATH \+= (.*)/.exec(text);
  return {
    ...facts,
    ip:
      plan.packages.length > 0
        ? { path: "/usr/sbin/ip", busybox: false, kind: "iproute2", version: "" }
        : facts.ip,
    nsenter: facts.nsenter ?? { path: "/usr/bin/nsenter", busybox: false },
    iptables: plan.added.some((line) => line.startsWith("iptables"))
      ? { path: "/usr/sbin/iptables", busybox: false }
      : facts.iptables,
    users: user
      ? [
          ...facts.users,
          { name: "sandbox", uid: Number(user[1]), gid: Number(user[2]), home: "/sandbox", shell: "/bin/sh" },
        ]
      : facts.users,
    groups: group ? [...facts.groups, { name: "sandbox", gid: Number(group[1]), members: [] }] : facts.groups,
    path: path ? [...facts.path, ...(path[1] as string).split(":")] : facts.path,
    config: { ...facts.config, user: plan.finalUser },
  };
}

describe("idempotence", () => {
  it.each(DISTROS.filter((name) => !name.startsWith("busybox")))(
    "%s: the facts of the image the plan prepares give an empty plan",
    (name) => {
      const facts = distroFacts(name);
      const plan = planPreparation(facts, { iptables: true });
      expect(plan.empty).toBe(false);
      expect(plan.unmet).toEqual([]);
      const again = planPreparation(applied(facts, plan), { iptables: true });
      expect(again).toMatchObject({ empty: true, added: [], unmet: [], packages: [], instructions: [] });
    },
  );

  it("the recorded facts of the Debian test image after preparation (iproute2, sandbox, USER sandbox): nothing to add", () => {
    const prepared = withConfig(
      debian({
        ip: {
          path: "/usr/sbin/ip",
          busybox: false,
          kind: "iproute2",
          version: "ip utility, iproute2-6.1.0, libbpf 1.1.2",
        },
        users: [
          ...debian().users,
          { name: "sandbox", uid: 1000, gid: 1000, home: "/sandbox", shell: "/bin/sh" },
        ],
        groups: [...debian().groups, { name: "sandbox", gid: 1000, members: [] }],
      }),
      { user: "sandbox" },
    );
    expect(planPreparation(prepared)).toEqual({
      empty: true,
      added: [],
      unmet: [],
      packages: [],
      finalUser: "sandbox",
      instructions: [],
      imageId: prepared.id,
    });
  });

  it("an image that has everything but runs as root gets only USER sandbox", () => {
    const ready = applied(debian(), planPreparation(debian()));
    const plan = planPreparation(withConfig(ready, { user: "" }));
    expect(plan.added).toEqual(["USER sandbox"]);
    expect(plan.instructions).toEqual(["USER sandbox"]);
  });
});

describe("USER", () => {
  it.each([
    ["", "unset"],
    ["root", "root by name"],
    ["0:0", "root by id"],
  ])("USER %s (%s) ends as sandbox, with no switch to root needed for the RUN steps", (user) => {
    const plan = planPreparation(withConfig(debian(), { user }));
    expect(plan.finalUser).toBe("sandbox");
    expect(plan.instructions[0]).toMatch(/^RUN apt-get/);
    expect(plan.instructions.at(-1)).toBe("USER sandbox");
    expect(plan.added.at(-1)).toBe("USER sandbox");
  });

  it("a uid that is not 0 but with gid 0 counts as root (OpenShell refuses gid 0), and RUN still switches to root", () => {
    const plan = planPreparation(withConfig(debian(), { user: "1000:0" }));
    expect(plan.finalUser).toBe("sandbox");
    expect(plan.instructions[0]).toBe("USER 0:0");
  });

  it("a named non-root user is kept: USER 0:0 for the RUN steps, then back to it, with nothing else touched", () => {
    const facts = withConfig(debian({ users: [...debian().users, agent] }), {
      user: "agent",
      workdir: "/home/agent",
      entrypoint: ["/entrypoint.sh"],
      cmd: ["serve"],
      env: ["MODE=prod"],
    });
    const plan = planPreparation(facts);
    expect(plan.finalUser).toBe("agent");
    expect(plan.instructions[0]).toBe("USER 0:0");
    expect(plan.instructions.at(-1)).toBe("USER agent");
    expect(plan.added).not.toContain("USER agent");
    expect(plan.instructions.join("\n")).not.toMatch(/^(ENTRYPOINT|CMD|WORKDIR|LABEL|ENV)/m);
  });

  it("a numeric non-root USER (the recorded sandbox:1 image, 1000:1000) is kept as written", () => {
    expect(planPreparation(distroFacts("busybox-sandbox")).finalUser).toBe("1000:1000");
  });

  it("USER sandbox on an image that lacks the user: it is created and kept", () => {
    const plan = planPreparation(withConfig(debian(), { user: "sandbox" }));
    expect(plan.unmet).toEqual([]);
    expect(plan.finalUser).toBe("sandbox");
    expect(plan.instructions[0]).toBe("USER 0:0");
    expect(plan.added).not.toContain("USER sandbox");
  });

  it("a USER the image's /etc/passwd does not have is unmet: no container could start as it", () => {
    const plan = planPreparation(withConfig(debian(), { user: "ghost" }));
    expect(plan.unmet).toEqual([
      {
        requirement: "sandbox-user",
        message:
          "The image's USER ghost is not in its /etc/passwd, so no container can start as it: add that user to the base image, or set USER to a uid or to sandbox.",
      },
    ]);
    expect(plan.instructions).toEqual([]);
  });

  it("a USER that could not be restated safely is unmet rather than interpolated", () => {
    expect(planPreparation(withConfig(debian(), { user: "a b$(x)" })).unmet[0]?.message).toMatch(
      /cannot be restated in a Dockerfile/,
    );
  });
});

describe("PATH", () => {
  it("appends the missing sbin folders to the image's own PATH, in its order, before the RUN steps", () => {
    const plan = planPreparation(debian({ path: ["/opt/agent/bin", "/usr/local/bin", "/usr/bin", "/bin"] }));
    expect(plan.instructions[0]).toBe(
      'ENV PATH="/opt/agent/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"',
    );
    expect(plan.instructions[1]).toMatch(/^RUN apt-get/);
    expect(plan.added).toContain("PATH += /usr/sbin:/sbin");
  });

  it("adds only the folder that is missing", () => {
    const plan = planPreparation(debian({ path: ["/usr/sbin", "/usr/bin", "/bin"] }));
    expect(plan.instructions[0]).toBe('ENV PATH="/usr/sbin:/usr/bin:/bin:/sbin"');
    expect(plan.added).toContain("PATH += /sbin");
  });

  it("keeps $, quotes and backslashes in the image's PATH literal", () => {
    const plan = planPreparation(debian({ path: ['/opt/$HOME/"x"\\y', "/usr/bin"] }));
    expect(plan.instructions[0]).toBe('ENV PATH="/opt/\\$HOME/\\"x\\"\\\\y:/usr/bin:/usr/sbin:/sbin"');
  });

  it("a PATH holding a line break is unmet (it cannot be restated)", () => {
    const plan = planPreparation(debian({ path: ["/usr/bin\nRUN evil", "/bin"] }));
    expect(plan.unmet.map((gap) => gap.requirement)).toEqual(["sbin-on-path"]);
    expect(plan.instructions).toEqual([]);
  });
});

describe("what cannot be met", () => {
  it("an image without /bin/sh: only the shell gap, nothing planned", () => {
    const plan = planPreparation(debian({ shell: false }));
    expect(plan).toMatchObject({ empty: false, added: [], packages: [], instructions: [] });
    expect(plan.unmet).toEqual([
      {
        requirement: "shell",
        message:
          "The image has no /bin/sh, so nothing can be installed in it and OpenShell's supervisor cannot run in it: use a base image with a shell and a package manager, such as debian:bookworm-slim or alpine.",
      },
    ]);
  });

  it("busybox (recorded): its ip applet cannot be replaced without a package manager, so the whole plan is unmet", () => {
    const plan = planPreparation(distroFacts("busybox"));
    expect(plan.unmet).toEqual([
      {
        requirement: "iproute2",
        message:
          "The image's ip (/bin/ip) is busybox's applet, which cannot build the sandbox's network namespace, and the image has none of the package managers this SDK drives (apk, apt-get, dnf, microdnf, yum, zypper) to install it with: use a base image with a package manager, such as debian:bookworm-slim or alpine, or add it to the image yourself.",
      },
    ]);
    expect(plan.empty).toBe(false);
    expect(plan.instructions).toEqual([]);
  });

  it("an image whose package manager this SDK does not drive: each missing package is named", () => {
    const arch = debian({ packageManager: undefined, nsenter: undefined });
    const plan = planPreparation(arch, { iptables: true });
    expect(plan.unmet.map((gap) => gap.requirement)).toEqual(["iproute2", "nsenter", "iptables"]);
    expect(plan.unmet[1]?.message).toMatch(
      /^The image has no nsenter \(util-linux\), and the image has none of/,
    );
  });

  it("users and groups need no package manager: with ip and nsenter present, a shell-only image is plannable", () => {
    const busybox = distroFacts("busybox", {
      ip: { path: "/sbin/ip", busybox: false, kind: "iproute2", version: "ip utility, iproute2-6.1.0" },
      nsenter: { path: "/usr/bin/nsenter", busybox: false },
      users: [],
      groups: [],
    });
    const plan = planPreparation(busybox);
    expect(plan.unmet).toEqual([]);
    expect(plan.added).toEqual([
      "group sandbox (gid 1000) in /etc/group",
      "user sandbox (uid 1000, gid 1000, home /sandbox) in /etc/passwd",
      "USER sandbox",
    ]);
  });

  it("an iproute2 ip where the supervisor does not look gets the distribution's package", () => {
    const plan = planPreparation(
      debian({
        ip: {
          path: "/usr/local/bin/ip",
          busybox: false,
          kind: "iproute2",
          version: "ip utility, iproute2-6.1.0",
        },
      }),
    );
    expect(plan.packages).toEqual(["iproute2"]);
  });
});

describe("options are checked and each error names its field", () => {
  it.each([
    [{ user: { uid: 0 } }, "user.uid"],
    [{ user: { uid: -5 } }, "user.uid"],
    [{ user: { uid: 1.5 } }, "user.uid"],
    [{ user: { uid: "1000" } }, "user.uid"],
    [{ user: { uid: 2 ** 31 - 1 } }, "user.uid"],
    [{ user: { gid: Number.NaN } }, "user.gid"],
    [{ user: null }, "user"],
    [{ user: [1000] }, "user"],
    [{ iptables: "yes" }, "iptables"],
    [null, "options"],
  ])("%j is refused with field %s", (options, field) => {
    let error: unknown;
    try {
      planPreparation(debian(), options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe(field);
  });

  it("the largest accepted id is 2^31-2", () => {
    expect(planPreparation(debian(), { user: { uid: 2 ** 31 - 2 } }).added).toContain(
      "user sandbox (uid 2147483646, gid 2147483646, home /sandbox) with useradd",
    );
  });

  it("a refused uid says what to do", () => {
    expect(() => planPreparation(debian(), { user: { uid: 0 } })).toThrow(
      "user.uid must be an integer from 1 to 2147483646, not 0 (0 is root's, which OpenShell refuses); leave it out to use the first free id from 1000.",
    );
  });
});
