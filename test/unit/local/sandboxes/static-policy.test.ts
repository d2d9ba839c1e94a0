import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CapabilityError, InvalidArgumentError } from "../../../../src/errors.js";
import { SandboxPolicySchema } from "../../../../src/gen/openshell/sandbox/v1/sandbox_pb.js";
import { LOCAL_DEFAULT_POLICY } from "../../../../src/local/sandboxes/default-policy.js";
import { parseAccounts } from "../../../../src/local/sandboxes/image-accounts.js";
import {
  DEFAULT_PIDS_LIMIT,
  type ImageConfig,
  ImagePolicyRefusal,
  needsImageAccounts,
  type PolicyRuntime,
  type StaticPolicyContext,
  staticEnforcement,
} from "../../../../src/local/sandboxes/static-policy.js";
import { CAPABILITIES, type Capability } from "../../../../src/runtime/capabilities.js";
import { APPLE_CONTAINER_CAPABILITIES } from "../../../../src/runtime/drivers/apple-container/apple-container-options.js";

const docker: PolicyRuntime = { kind: "docker", capabilities: new Set<Capability>(CAPABILITIES) };
const apple: PolicyRuntime = { kind: "apple-container", capabilities: APPLE_CONTAINER_CAPABILITIES };
/** Apple container's capabilities without tmpfs: a runtime that cannot make anything writable on a read-only root. */
const noTmpfs: PolicyRuntime = {
  kind: "no-tmpfs",
  capabilities: new Set([...APPLE_CONTAINER_CAPABILITIES].filter((c) => c !== "tmpfs")),
};
const sandboxImage: ImageConfig = { user: "1000:1000", workdir: "/sandbox" };
/** An image's accounts with root by other names: toor (UID 0), staff0 (primary GID 0), wheel (GID 0). */
const accounts = parseAccounts(
  [
    "root:x:0:0:root:/root:/bin/sh",
    "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh",
    "agent:x:1001:1001::/home/agent:/bin/sh",
    "toor:x:0:0:toor:/:/bin/sh",
    "staff0:x:1002:0::/:/bin/sh",
    "root:x:0:",
    "sandbox:x:1000:",
    "agents:x:2000:",
    "wheel:x:0:",
    "",
  ].join("\n"),
);
const rw = (target: string) => ({ type: "tmpfs", target, mode: 0o1777, exec: true, userOwned: true });

type PolicyInit = MessageInitShape<typeof SandboxPolicySchema>;

function enforce(policy: PolicyInit | undefined, context: Partial<StaticPolicyContext> = {}) {
  return staticEnforcement(policy === undefined ? undefined : create(SandboxPolicySchema, policy), {
    runtime: docker,
    image: sandboxImage,
    imageRef: "example/agent:1",
    ...context,
  });
}

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("the default policy", () => {
  it("is one documented constant: workdir and /tmp writable, best_effort, the image's user, no network", () => {
    expect(LOCAL_DEFAULT_POLICY.filesystem).toMatchObject({
      includeWorkdir: true,
      readOnly: [],
      readWrite: ["/tmp"],
    });
    expect(LOCAL_DEFAULT_POLICY.landlock?.compatibility).toBe("best_effort");
    expect(LOCAL_DEFAULT_POLICY.process).toMatchObject({ runAsUser: "", runAsGroup: "" });
    expect(LOCAL_DEFAULT_POLICY.networkPolicies).toEqual({});
    expect(Object.isFrozen(LOCAL_DEFAULT_POLICY.filesystem?.readWrite)).toBe(true);
  });

  it("runs a sandbox without a policy as the image's user, read-only but for the workdir and /tmp", () => {
    expect(enforce(undefined)).toEqual({
      user: "1000:1000",
      workdir: "/sandbox",
      readOnlyRoot: true,
      mounts: [rw("/sandbox"), rw("/tmp")],
      capDrop: ["ALL"],
      noNewPrivileges: true,
      pidsLimit: DEFAULT_PIDS_LIMIT,
      notEnforced: [],
    });
    expect(DEFAULT_PIDS_LIMIT).toBe(1024);
  });

  it("fills in each section a policy leaves out, and takes a section it has as written", () => {
    const networkOnly = enforce({ networkPolicies: { pypi: { name: "pypi" } } });
    expect(networkOnly.mounts).toEqual([rw("/sandbox"), rw("/tmp")]);
    expect(networkOnly.user).toBe("1000:1000");
    // An empty filesystem section: nothing is writable.
    const nothing = enforce({ filesystem: {} });
    expect(nothing).toMatchObject({ readOnlyRoot: true, mounts: [] });
  });
});

describe("process", () => {
  it("runs as run_as_user and run_as_group, the image's group only with the image's user, by number", () => {
    const image = { user: "sandbox:sandbox", workdir: "", accounts };
    expect(enforce({ process: { runAsUser: "agent", runAsGroup: "agents" } }, { image }).user).toBe(
      "1001:2000",
    );
    // A user's own group is its primary group in /etc/passwd.
    expect(enforce({ process: { runAsUser: "1001" } }, { image }).user).toBe("1001:1001");
    expect(enforce({ process: { runAsGroup: "2000" } }, { image }).user).toBe("1000:2000");
    expect(enforce(undefined, { image: { user: "sandbox", workdir: "", accounts } }).user).toBe("1000:1000");
    // Numbers need no accounts.
    expect(enforce(undefined, { image: { user: "1000:1000", workdir: "" } }).user).toBe("1000:1000");
    // Before the image is known only the policy's own user is set.
    expect(enforce({ process: { runAsUser: "1001", runAsGroup: "1001" } }, { image: undefined }).user).toBe(
      "1001:1001",
    );
    expect(enforce(undefined, { image: undefined }).user).toBeUndefined();
  });

  it("refuses root in the policy at create, naming the field", () => {
    for (const [process, field] of [
      [{ runAsUser: "root" }, "spec.policy.process.run_as_user"],
      [{ runAsUser: "0" }, "spec.policy.process.run_as_user"],
      [{ runAsUser: "000" }, "spec.policy.process.run_as_user"],
      [{ runAsUser: "+0" }, "spec.policy.process.run_as_user"],
      [{ runAsUser: "1000", runAsGroup: "-0" }, "spec.policy.process.run_as_group"],
      [{ runAsUser: "1000", runAsGroup: "0" }, "spec.policy.process.run_as_group"],
      [{ runAsUser: "1000", runAsGroup: "root" }, "spec.policy.process.run_as_group"],
    ] as const) {
      const error = thrown(() => enforce({ process }, { image: undefined }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe(field);
      expect(error.message).toMatch(new RegExp(`^${field.replaceAll(".", "\\.")} ".*" is root`));
      expect(error.message).toContain("sandboxes never run with UID or GID 0");
    }
    expect(thrown(() => enforce({ process: { runAsUser: "root" } })).message).toBe(
      'spec.policy.process.run_as_user "root" is root (policy.process.runAsUser): sandboxes never run with ' +
        'UID or GID 0. Use a non-root user the image has (for example "sandbox" or "1000")',
    );
    const withGroup = thrown(() => enforce({ process: { runAsUser: "1000:1000" } }));
    expect(withGroup).toBeInstanceOf(InvalidArgumentError);
    expect(withGroup.message).toBe(
      'spec.policy.process.run_as_user "1000:1000" must be one user or group, without ":" ' +
        "(policy.process.runAsUser); set the group in spec.policy.process.run_as_group (policy.process.runAsGroup)",
    );
  });

  it("refuses root by another name, resolved in the image's accounts, with reason RootUser", () => {
    const image = (user: string) => ({ image: { user, workdir: "", accounts } });
    const cases: [policy: PolicyInit | undefined, user: string, message: string][] = [
      [undefined, "toor", `image example/agent:1 has USER "toor", which is UID 0 in the image's /etc/passwd`],
      [
        undefined,
        "staff0",
        `image example/agent:1 has USER "staff0", whose primary group in the image's /etc/passwd is GID 0`,
      ],
      [
        undefined,
        "1234",
        `image example/agent:1 has USER "1234", which is not in the image's /etc/passwd and names no group, ` +
          "so it would run with GID 0",
      ],
      [
        undefined,
        "sandbox:wheel",
        `image example/agent:1 has USER "sandbox:wheel", whose group "wheel" is GID 0 in the image's /etc/group`,
      ],
      [
        { process: { runAsUser: "toor", runAsGroup: "1000" } },
        "1000:1000",
        `policy.process.runAsUser "toor" and runAsGroup "1000" (image example/agent:1), which is UID 0 in the ` +
          "image's /etc/passwd",
      ],
      [
        { process: { runAsGroup: "wheel" } },
        "sandbox",
        `image example/agent:1 has USER "sandbox" and policy.process.runAsGroup "wheel", whose group "wheel" is ` +
          "GID 0 in the image's /etc/group",
      ],
    ];
    for (const [policy, user, message] of cases) {
      const error = thrown(() => enforce(policy, image(user)));
      expect(error, user).toBeInstanceOf(ImagePolicyRefusal);
      expect((error as ImagePolicyRefusal).reason, user).toBe("RootUser");
      expect(error.message, user).toBe(
        `${message}, so the sandbox would run as root, which local mode refuses as the gateway does: set ` +
          "policy.process.runAsUser and runAsGroup (run_as_user and run_as_group in a policy file) to a non-root " +
          'user and group the image has (for example "1000" and "1000"), or give the image a non-root USER ' +
          "(for example USER 1000:1000)",
      );
    }
  });

  it("refuses a user or group the image does not have with reason UserNotFound", () => {
    const ghost = thrown(() => enforce(undefined, { image: { user: "ghost", workdir: "", accounts } }));
    expect(ghost).toMatchObject({ reason: "UserNotFound" });
    expect(ghost.message).toMatch(
      /^image example\/agent:1 has USER "ghost", but the image has no user "ghost" in \/etc\/passwd: set policy\.process\.runAsUser/,
    );
    const group = thrown(() => enforce(undefined, { image: { user: "1000:staff", workdir: "", accounts } }));
    expect(group).toMatchObject({ reason: "UserNotFound" });
    expect(group.message).toMatch(/has no group "staff" in \/etc\/group/);
    const range = thrown(() => enforce(undefined, { image: { user: "1000:4294967296", workdir: "" } }));
    expect(range.message).toMatch(/group "4294967296" is not a valid GID \(0 to 2147483647\)/);
  });

  it("says which users need the image's accounts to be resolved", () => {
    const needs = (user: string, policy?: PolicyInit) =>
      needsImageAccounts(policy === undefined ? undefined : create(SandboxPolicySchema, policy), {
        user,
        workdir: "",
      });
    expect(needs("1000:1000")).toBe(false);
    expect(needs("sandbox", { process: { runAsUser: "1000", runAsGroup: "1000" } })).toBe(false);
    for (const user of ["sandbox", "1000", "1000:sandbox", "sandbox:1000"])
      expect(needs(user), user).toBe(true);
    expect(needs("1000", { process: { runAsGroup: "1000" } })).toBe(false);
    // Root is refused before anything is looked up.
    expect(needs("")).toBe(false);
    expect(needs("toor:0")).toBe(false);
  });

  it("refuses an image that would run as root with reason RootUser, unless the policy names a user", () => {
    for (const user of ["", "root", "0", "+0", "0:0", "1000:0", "1000:-0", "sandbox:root"]) {
      const error = thrown(() => enforce(undefined, { image: { user, workdir: "" } }));
      expect(error, user).toBeInstanceOf(ImagePolicyRefusal);
      expect((error as ImagePolicyRefusal).reason).toBe("RootUser");
      expect((error as ImagePolicyRefusal).code).toBe("failed_precondition");
    }
    expect(thrown(() => enforce(undefined, { image: { user: "", workdir: "" } })).message).toBe(
      "image example/agent:1 sets no USER, so the sandbox would run as root, which local mode refuses as the " +
        "gateway does: set policy.process.runAsUser and runAsGroup (run_as_user and run_as_group in a policy " +
        'file) to a non-root user and group the image has (for example "1000" and "1000"), or give the image a ' +
        "non-root USER (for example USER 1000:1000)",
    );
    expect(thrown(() => enforce(undefined, { image: { user: "0:0", workdir: "" } })).message).toMatch(
      /^image example\/agent:1 has USER "0:0", so the sandbox would run as root/,
    );
    const root = { user: "root", workdir: "" };
    expect(enforce({ process: { runAsUser: "1000", runAsGroup: "1000" } }, { image: root }).user).toBe(
      "1000:1000",
    );
    // The image's root group does not come along with a policy user: it gets its own primary group.
    expect(
      enforce({ process: { runAsUser: "1000" } }, { image: { user: "0:0", workdir: "", accounts } }).user,
    ).toBe("1000:1000");
    // A group alone does not make a root image non-root.
    expect(thrown(() => enforce({ process: { runAsGroup: "1000" } }, { image: root }))).toBeInstanceOf(
      ImagePolicyRefusal,
    );
  });

  it("takes the template's PID limit over the default", () => {
    expect(enforce(undefined, { pidsLimit: 64 }).pidsLimit).toBe(64);
  });
});

describe("filesystem", () => {
  it("mounts a writable tmpfs at each outermost read_write path, none under /dev", () => {
    const result = enforce({
      filesystem: {
        includeWorkdir: false,
        readOnly: ["/etc", "/proc", "/sys", "/dev/urandom"],
        readWrite: ["/data/cache", "/tmp", "/data", "/dev/null", "/dev/shm", "/tmp"],
      },
    });
    expect(result).toMatchObject({
      readOnlyRoot: true,
      workdir: "/sandbox",
      mounts: [rw("/data"), rw("/tmp")],
    });
  });

  it("makes the image's absolute WORKDIR writable with include_workdir, else /sandbox", () => {
    const workdir = (image: ImageConfig) =>
      enforce({ filesystem: { includeWorkdir: true } }, { image }).mounts.map((m) => m.target);
    expect(workdir({ user: "1000:1000", workdir: "/app/" })).toEqual(["/app"]);
    expect(workdir({ user: "1000:1000", workdir: "" })).toEqual(["/sandbox"]);
    expect(workdir({ user: "1000:1000", workdir: "relative" })).toEqual(["/sandbox"]);
    expect(enforce({ filesystem: { includeWorkdir: true, readWrite: ["/"] } })).toMatchObject({
      readOnlyRoot: false,
      mounts: [],
    });
    // A workdir inside a read_write path needs no mount of its own.
    expect(
      enforce(
        { filesystem: { includeWorkdir: true, readWrite: ["/home"] } },
        { image: { user: "1:1", workdir: "/home/a" } },
      ).mounts,
    ).toEqual([rw("/home")]);
  });

  it("refuses a path that is relative or not normalized, naming the field", () => {
    const cases: [PolicyInit["filesystem"], string, string][] = [
      [
        { readWrite: ["tmp"] },
        "read_write[0]",
        'spec.policy.filesystem.read_write[0] "tmp" must be an absolute path',
      ],
      [
        { readOnly: ["/etc", ""] },
        "read_only[1]",
        'spec.policy.filesystem.read_only[1] "" must be an absolute path',
      ],
      [
        { readWrite: ["/tmp", "/data/../etc"] },
        "read_write[1]",
        'spec.policy.filesystem.read_write[1] "/data/../etc" must be a normalized path (no "." or ".." parts, no "//", no trailing "/"): "/etc"',
      ],
      [
        { readOnly: ["/etc/"] },
        "read_only[0]",
        'must be a normalized path (no "." or ".." parts, no "//", no trailing "/"): "/etc"',
      ],
      [{ readOnly: ["//etc"] }, "read_only[0]", ': "/etc"'],
      [{ readWrite: ["/a/./b"] }, "read_write[0]", ': "/a/b"'],
    ];
    for (const [filesystem, field, message] of cases) {
      const error = thrown(() => enforce({ filesystem }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe(`spec.policy.filesystem.${field}`);
      expect(error.message).toContain(message);
    }
  });

  it("refuses /proc and /sys in read_write", () => {
    for (const path of ["/proc", "/proc/sys/kernel", "/sys", "/sys/fs/cgroup"]) {
      const error = thrown(() => enforce({ filesystem: { readWrite: ["/tmp", path] } }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe("spec.policy.filesystem.read_write[1]");
      expect(error.message).toMatch(
        new RegExp(
          `^spec\\.policy\\.filesystem\\.read_write\\[1\\] "${path}" is under /(proc|sys), which the kernel provides`,
        ),
      );
    }
  });

  it("refuses a read_only path inside a read_write path, naming both", () => {
    const error = thrown(() =>
      enforce({ filesystem: { readOnly: ["/etc", "/data/keys"], readWrite: ["/data"] } }),
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe("spec.policy.filesystem.read_only[1]");
    expect(error.message).toBe(
      'spec.policy.filesystem.read_only[1] "/data/keys" is inside spec.policy.filesystem.read_write[0] "/data": ' +
        "local mode makes a read_write path writable with a tmpfs mount and cannot keep a path inside it " +
        "read-only; remove one of them",
    );
    expect(thrown(() => enforce({ filesystem: { readOnly: ["/tmp"], readWrite: ["/tmp"] } }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(thrown(() => enforce({ filesystem: { readOnly: ["/etc"], readWrite: ["/"] } })).message).toContain(
      'is inside spec.policy.filesystem.read_write[0] "/"',
    );
  });

  it("refuses a read_only path inside the workdir once the image says where it is", () => {
    const policy = { filesystem: { includeWorkdir: true, readOnly: ["/app/config"] } };
    expect(enforce(policy, { image: undefined }).readOnlyRoot).toBe(true);
    const error = thrown(() => enforce(policy, { image: { user: "1000:1000", workdir: "/app" } }));
    expect(error).toBeInstanceOf(ImagePolicyRefusal);
    expect((error as ImagePolicyRefusal).reason).toBe("PolicyNotEnforceable");
    expect(error.message).toBe(
      'spec.policy.filesystem.read_only[0] "/app/config" is inside the workdir "/app" ' +
        "(spec.policy.filesystem.include_workdir): local mode makes a read_write path writable with a tmpfs " +
        "mount and cannot keep a path inside it read-only; remove one of them",
    );
  });
});

describe("landlock.compatibility on a runtime that lacks what the policy needs", () => {
  it("refuses hard_requirement with a CapabilityError naming the runtime and each missing capability", () => {
    const error = thrown(() =>
      enforce({ landlock: { compatibility: "hard_requirement" } }, { runtime: noTmpfs }),
    );
    expect(error).toBeInstanceOf(CapabilityError);
    expect(error).toMatchObject({
      code: "capability_missing",
      runtime: "no-tmpfs",
      missing: ["tmpfs", "no-new-privileges", "pids-limit"],
    });
    expect(error.message).toBe(
      'the no-tmpfs runtime cannot enforce spec.policy with spec.policy.landlock.compatibility "hard_requirement": ' +
        'it has no tmpfs, no-new-privileges, pids-limit. Set landlock.compatibility to "best_effort" to run the ' +
        "sandbox with what the runtime can enforce (each gap is written to its log), or choose a runtime that has " +
        "them (OPENSHELL_RUNTIME=docker or podman).",
    );
    // Nothing writable needs no tmpfs: a read-only root alone is within its reach.
    const readOnly = thrown(() =>
      enforce({ landlock: { compatibility: "hard_requirement" }, filesystem: {} }, { runtime: noTmpfs }),
    );
    expect(readOnly).toMatchObject({ missing: ["no-new-privileges", "pids-limit"] });
    // Apple container lacks the last two only.
    expect(
      thrown(() => enforce({ landlock: { compatibility: "hard_requirement" } }, { runtime: apple })),
    ).toMatchObject({ runtime: "apple-container", missing: ["no-new-privileges", "pids-limit"] });
    expect(enforce({ landlock: { compatibility: "hard_requirement" } }).notEnforced).toEqual([]);
  });

  it("runs best_effort (and an empty compatibility) without what is missing, saying what is not enforced", () => {
    for (const compatibility of ["best_effort", ""]) {
      expect(enforce({ landlock: { compatibility } }, { runtime: noTmpfs })).toEqual({
        user: "1000:1000",
        workdir: "/sandbox",
        readOnlyRoot: false,
        mounts: [],
        capDrop: ["ALL"],
        noNewPrivileges: false,
        notEnforced: [
          "policy.filesystem is not enforced: the no-tmpfs runtime has no tmpfs, so the root filesystem " +
            "stays writable and writes outside the read_write paths are not refused (landlock.compatibility is best_effort)",
          "no-new-privileges is not set: the no-tmpfs runtime cannot set it, so setuid programs in the " +
            "image can raise a process's privileges (landlock.compatibility is best_effort)",
          "processes are not limited: the no-tmpfs runtime has no pids-limit (the limit would be 1024) " +
            "(landlock.compatibility is best_effort)",
        ],
      });
    }
    const onApple = enforce({ landlock: { compatibility: "best_effort" } }, { runtime: apple });
    expect(onApple).toMatchObject({ readOnlyRoot: true, noNewPrivileges: false });
    expect(onApple.mounts.map((m) => m.target)).toEqual(["/sandbox", "/tmp"]);
    expect(onApple.notEnforced).toHaveLength(2);
    const noCaps: PolicyRuntime = {
      kind: "bare",
      capabilities: new Set(CAPABILITIES.filter((c) => c !== "cap-add-drop" && c !== "read-only-root")),
    };
    const bare = enforce(undefined, { runtime: noCaps });
    expect(bare).toMatchObject({ readOnlyRoot: false, mounts: [], noNewPrivileges: true, pidsLimit: 1024 });
    expect(bare.capDrop).toBeUndefined();
    expect(bare.notEnforced).toEqual([
      "policy.filesystem is not enforced: the bare runtime has no read-only-root, so the root filesystem stays " +
        "writable and writes outside the read_write paths are not refused (landlock.compatibility is best_effort)",
      "capabilities are not dropped: the bare runtime cannot drop them (cap-add-drop), so the sandbox keeps the " +
        "runtime's default capabilities (landlock.compatibility is best_effort)",
    ]);
  });

  it("refuses an unknown compatibility, naming the field", () => {
    const error = thrown(() => enforce({ landlock: { compatibility: "strict" } }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe("spec.policy.landlock.compatibility");
    expect(error.message).toBe(
      'spec.policy.landlock.compatibility "strict" must be "best_effort", "hard_requirement" or empty',
    );
  });
});
