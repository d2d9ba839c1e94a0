import { posix } from "node:path";
import { CapabilityError, FailedPreconditionError, InvalidArgumentError } from "../../errors.js";
import type {
  FilesystemPolicy,
  ProcessPolicy,
  SandboxPolicy,
} from "../../gen/openshell/sandbox/v1/sandbox_pb.js";
import type { Capability } from "../../runtime/capabilities.js";
import type { MountSpec } from "../../runtime/container-spec.js";
import { LOCAL_DEFAULT_POLICY } from "./default-policy.js";
import { type ImageAccounts, resolvesWithoutAccounts, resolveUser } from "./image-accounts.js";

/**
 * The static part of a sandbox policy (filesystem, landlock, process) as container settings: the
 * gateway's supervisor enforces it with Landlock and a privilege drop inside the sandbox; local mode
 * has no supervisor, so the container runtime enforces it. A section the policy leaves out is
 * LOCAL_DEFAULT_POLICY's.
 *
 * - process: the policy's run_as_user/run_as_group, else the image's USER, resolved to the UID and
 *   GID the engine would run it as (image-accounts.ts) and handed to the engine as those numbers, so
 *   what runs is what was checked; root (UID or GID 0, by any name) is refused. The process has its
 *   primary group only, no supplementary groups from /etc/group. Every capability is dropped,
 *   no-new-privileges is set, processes are limited.
 * - filesystem: the root is read-only; each read_write path, and the workdir with include_workdir,
 *   is an empty tmpfs anyone may write to (what the image has there is hidden, and what is written
 *   there is lost when the container stops). read_only paths are read-only with the root. Paths under
 *   /dev need no mount (its device nodes are writable already); /proc and /sys cannot be made writable.
 * - landlock.compatibility: with hard_requirement a runtime that lacks any of this is refused; with
 *   best_effort (or "") the sandbox runs without what is missing, and each gap is reported.
 */

/** Processes (threads included) a sandbox may run when its template sets no `limits.pids`. */
export const DEFAULT_PIDS_LIMIT = 1024;

/** The workdir of an image without an absolute WORKDIR, as on the gateway (SEMANTICS.md §9). */
export const DEFAULT_WORKDIR = "/sandbox";

/** A writable tmpfs: mode 1777 like /tmp, so whatever user the sandbox runs as can write to it. */
const WRITABLE_TMPFS = { type: "tmpfs", mode: 0o1777, exec: true, userOwned: true } as const;

/** The runtime a policy is enforced on: its name (for messages) and what it can do. */
export interface PolicyRuntime {
  readonly kind: string;
  readonly capabilities: ReadonlySet<Capability>;
}

/** What the image says about the user and directory its processes start as (its config). */
export interface ImageConfig {
  /** `USER`: "" when unset (root). */
  readonly user: string;
  /** `WORKDIR`: "" when unset. */
  readonly workdir: string;
  /**
   * The image's /etc/passwd and /etc/group: needed to resolve the user unless it is given as a
   * numeric UID and GID (see {@link needsImageAccounts}).
   */
  readonly accounts?: ImageAccounts;
}

export interface StaticPolicyContext {
  runtime: PolicyRuntime;
  /** The image's config; absent before the image has been looked at (the create's own checks). */
  image?: ImageConfig;
  /** The image's name, for messages. */
  imageRef?: string;
  /** The template's `limits.pids`; DEFAULT_PIDS_LIMIT when absent. */
  pidsLimit?: number;
}

/** The container settings that enforce the policy, and what could not be enforced. */
export interface StaticEnforcement {
  /** `uid[:gid]` or `name[:group]`; absent before the image is known and when the policy names none. */
  user?: string;
  /** Absent before the image is known. */
  workdir?: string;
  readOnlyRoot: boolean;
  mounts: MountSpec[];
  capDrop?: string[];
  noNewPrivileges: boolean;
  pidsLimit?: number;
  /** One sentence per thing a best_effort policy asked for that the runtime cannot do. */
  notEnforced: string[];
}

/**
 * The image or its combination with the policy cannot be run as the policy says: found when
 * provisioning looks at the image, so it fails the sandbox (reason `reason`) rather than the create.
 */
export class ImagePolicyRefusal extends FailedPreconditionError {
  constructor(
    readonly reason: "RootUser" | "UserNotFound" | "UserNotResolved" | "PolicyNotEnforceable",
    message: string,
  ) {
    super(message);
  }
}

const FIELD = "spec.policy";

/**
 * The container settings for `policy` on `context.runtime`. Throws InvalidArgumentError naming the
 * field for a policy no runtime could enforce, CapabilityError for a hard_requirement this runtime
 * cannot meet, and (once the image is known) ImagePolicyRefusal for an image that would run as root.
 */
export function staticEnforcement(
  policy: SandboxPolicy | undefined,
  context: StaticPolicyContext,
): StaticEnforcement {
  const hard = landlockCompatibility(policy) === "hard_requirement";
  const user = effectiveUser(policy?.process, context);
  const workdir = context.image === undefined ? undefined : workdirOf(context.image);
  const filesystem = filesystemLayout(policy?.filesystem ?? defaultFilesystem(), workdir);

  const { kind, capabilities } = context.runtime;
  const wanted: Capability[] = [
    ...(filesystem.rootWritable ? [] : (["read-only-root"] as const)),
    ...(filesystem.writable.length > 0 ? (["tmpfs"] as const) : []),
    "cap-add-drop",
    "no-new-privileges",
    "pids-limit",
  ];
  const missing = wanted.filter((capability) => !capabilities.has(capability));
  if (hard && missing.length > 0) {
    throw new CapabilityError(
      `the ${kind} runtime cannot enforce ${FIELD} with ${FIELD}.landlock.compatibility "hard_requirement": ` +
        `it has no ${missing.join(", ")}. Set landlock.compatibility to "best_effort" to run the sandbox ` +
        "with what the runtime can enforce (each gap is written to its log), or choose a runtime that has " +
        "them (OPENSHELL_RUNTIME=docker or podman).",
      { runtime: kind, missing },
    );
  }

  const notEnforced: string[] = [];
  const lacks = (capability: Capability) => missing.includes(capability);
  const filesystemEnforced = !lacks("read-only-root") && !lacks("tmpfs");
  if (!filesystemEnforced) {
    const gaps = missing.filter((c) => c === "read-only-root" || c === "tmpfs").join(" or ");
    notEnforced.push(
      `policy.filesystem is not enforced: the ${kind} runtime has no ${gaps}, so the root filesystem stays ` +
        "writable and writes outside the read_write paths are not refused (landlock.compatibility is best_effort)",
    );
  }
  if (lacks("cap-add-drop")) {
    notEnforced.push(
      `capabilities are not dropped: the ${kind} runtime cannot drop them (cap-add-drop), so the sandbox keeps ` +
        "the runtime's default capabilities (landlock.compatibility is best_effort)",
    );
  }
  if (lacks("no-new-privileges")) {
    notEnforced.push(
      `no-new-privileges is not set: the ${kind} runtime cannot set it, so setuid programs in the image can ` +
        "raise a process's privileges (landlock.compatibility is best_effort)",
    );
  }
  const pidsLimit = context.pidsLimit ?? DEFAULT_PIDS_LIMIT;
  if (lacks("pids-limit")) {
    notEnforced.push(
      `processes are not limited: the ${kind} runtime has no pids-limit (the limit would be ${pidsLimit}) ` +
        "(landlock.compatibility is best_effort)",
    );
  }

  return {
    ...(user === undefined ? {} : { user }),
    ...(workdir === undefined ? {} : { workdir }),
    readOnlyRoot: filesystemEnforced && !filesystem.rootWritable,
    mounts: filesystemEnforced
      ? filesystem.writable.map((target): MountSpec => ({ ...WRITABLE_TMPFS, target }))
      : [],
    ...(lacks("cap-add-drop") ? {} : { capDrop: ["ALL"] }),
    noNewPrivileges: !lacks("no-new-privileges"),
    ...(lacks("pids-limit") ? {} : { pidsLimit }),
    notEnforced,
  };
}

function defaultFilesystem(): FilesystemPolicy {
  return LOCAL_DEFAULT_POLICY.filesystem as FilesystemPolicy;
}

function landlockCompatibility(policy: SandboxPolicy | undefined): "best_effort" | "hard_requirement" {
  const compatibility = policy?.landlock?.compatibility ?? "";
  if (compatibility === "" || compatibility === "best_effort") return "best_effort";
  if (compatibility === "hard_requirement") return compatibility;
  throw new InvalidArgumentError(
    `${FIELD}.landlock.compatibility ${JSON.stringify(compatibility)} must be "best_effort", "hard_requirement" or empty`,
    { field: `${FIELD}.landlock.compatibility` },
  );
}

// Process -----------------------------------------------------------------------------------

/**
 * What a user would set to choose the sandbox's user, in this SDK's words (and the policy file's).
 * Messages name it rather than the wire's field names alone.
 */
const SET_USER =
  "set policy.process.runAsUser and runAsGroup (run_as_user and run_as_group in a policy file) to a " +
  'non-root user and group the image has (for example "1000" and "1000")';

/** `root`, or a number that is 0 as the runtimes read numbers (`0`, `000`, `+0`, `-0`). */
function isRoot(id: string): boolean {
  return id === "root" || /^[+-]?0+$/.test(id);
}

function checkRunAs(value: string, key: "run_as_user" | "run_as_group"): void {
  const field = `${FIELD}.process.${key}`;
  const option = key === "run_as_user" ? "runAsUser" : "runAsGroup";
  if (value.includes(":")) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} must be one user or group, without ":" (policy.process.${option}); ` +
        `set the group in ${FIELD}.process.run_as_group (policy.process.runAsGroup)`,
      { field },
    );
  }
  if (isRoot(value)) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} is root (policy.process.${option}): sandboxes never run with UID or GID 0. ` +
        `Use a non-root ${key === "run_as_user" ? "user" : "group"} the image has (for example "sandbox" or "1000")`,
      { field },
    );
  }
}

/** The user and group the sandbox asks for: the policy's user (and group), else the image's USER. */
interface RequestedUser {
  user: string;
  group: string;
  /** Where they come from, for messages: `image x has USER "a:b"` or `policy.process.runAsUser "a"`. */
  what: string;
}

function requestedUser(
  process: ProcessPolicy | undefined,
  image: ImageConfig,
  imageRef: string,
): RequestedUser {
  const runAsUser = process?.runAsUser ?? "";
  const runAsGroup = process?.runAsGroup ?? "";
  const [imageUser = "", imageGroup = ""] = image.user.split(":", 2);
  if (runAsUser !== "") {
    const group = runAsGroup === "" ? "" : ` and runAsGroup ${JSON.stringify(runAsGroup)}`;
    return {
      user: runAsUser,
      group: runAsGroup,
      what: `policy.process.runAsUser ${JSON.stringify(runAsUser)}${group} (image ${imageRef})`,
    };
  }
  // The image's group belongs with the image's user; a policy group replaces it.
  const what =
    image.user === ""
      ? `image ${imageRef} sets no USER`
      : `image ${imageRef} has USER ${JSON.stringify(image.user)}`;
  return {
    user: imageUser,
    group: runAsGroup || imageGroup,
    what: runAsGroup === "" ? what : `${what} and policy.process.runAsGroup ${JSON.stringify(runAsGroup)}`,
  };
}

/**
 * Whether resolving the sandbox's user needs the image's /etc/passwd and /etc/group: anything but a
 * numeric UID with a numeric GID does (a name, or a UID whose group comes from /etc/passwd).
 */
export function needsImageAccounts(policy: SandboxPolicy | undefined, image: ImageConfig): boolean {
  const { user, group } = requestedUser(policy?.process, image, "");
  return user !== "" && !isRoot(user) && !isRoot(group) && !resolvesWithoutAccounts(user, group);
}

/**
 * The container's user as `uid:gid`: the policy's run_as_user (and run_as_group), else the image's
 * USER with the policy's group if it names one, resolved against the image's accounts. Without the
 * image only the policy's own values are checked (and returned as given).
 */
function effectiveUser(process: ProcessPolicy | undefined, context: StaticPolicyContext): string | undefined {
  const runAsUser = process?.runAsUser ?? "";
  const runAsGroup = process?.runAsGroup ?? "";
  checkRunAs(runAsUser, "run_as_user");
  checkRunAs(runAsGroup, "run_as_group");
  const image = context.image;
  if (image === undefined) return runAsUser === "" ? undefined : joinUser(runAsUser, runAsGroup);
  const imageRef = context.imageRef ?? "";
  const { user, group, what } = requestedUser(process, image, imageRef);
  const root = (why: string) =>
    new ImagePolicyRefusal(
      "RootUser",
      `${what}${why}, so the sandbox would run as root, which local mode refuses as the gateway does: ` +
        `${SET_USER}, or give the image a non-root USER (for example USER 1000:1000)`,
    );
  if (user === "" || isRoot(user) || isRoot(group)) throw root("");
  if (image.accounts === undefined && !resolvesWithoutAccounts(user, group)) {
    // Provisioning reads the accounts whenever needsImageAccounts says so; this is a bug if it did not.
    throw new Error(`the accounts of image ${imageRef} are needed to resolve ${JSON.stringify(user)}`);
  }
  const resolved = resolveUser(user, group, image.accounts);
  if (!resolved.ok) {
    if ("missing" in resolved) {
      const file = resolved.missing === "user" ? "/etc/passwd" : "/etc/group";
      throw new ImagePolicyRefusal(
        "UserNotFound",
        `${what}, but the image has no ${resolved.missing} ${JSON.stringify(resolved.name)} in ${file}: ` +
          `${SET_USER}, or add the ${resolved.missing} to the image`,
      );
    }
    throw new ImagePolicyRefusal(
      "UserNotFound",
      `${what}, but ${resolved.outOfRange} ${JSON.stringify(resolved.value)} is not a valid ` +
        `${resolved.outOfRange === "user" ? "UID" : "GID"} (0 to 2147483647): ${SET_USER}`,
    );
  }
  if (resolved.uid === 0) throw root(`, which is UID 0 in the image's /etc/passwd`);
  if (resolved.gid === 0) {
    const why = {
      given: `, whose group ${JSON.stringify(group)} is GID 0 in the image's /etc/group`,
      passwd: `, whose primary group in the image's /etc/passwd is GID 0`,
      default: `, which is not in the image's /etc/passwd and names no group, so it would run with GID 0`,
    }[resolved.gidFrom];
    throw root(why);
  }
  return `${resolved.uid}:${resolved.gid}`;
}

/**
 * The refusal for a sandbox whose user could not be resolved because the image's accounts could
 * not be read (`detail` says why): failing closed, since the engine might resolve it to root.
 */
export function unresolvedUser(
  policy: SandboxPolicy | undefined,
  image: ImageConfig,
  imageRef: string,
  detail: string,
): ImagePolicyRefusal {
  const { what } = requestedUser(policy?.process, image, imageRef);
  return new ImagePolicyRefusal(
    "UserNotResolved",
    `${what}, and local mode could not read the image's /etc/passwd and /etc/group to tell which UID and ` +
      `GID that is (${detail}); it does not start a sandbox that might run as root: ${SET_USER}, or give ` +
      "the image a numeric USER uid:gid (for example USER 1000:1000)",
  );
}

function joinUser(user: string, group: string): string {
  return group === "" ? user : `${user}:${group}`;
}

// Filesystem --------------------------------------------------------------------------------

function workdirOf(image: ImageConfig): string {
  return image.workdir.startsWith("/") ? normalize(image.workdir) : DEFAULT_WORKDIR;
}

function normalize(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

/** `path` is `dir` or below it. */
function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
}

function checkPath(path: string, field: string): void {
  if (!path.startsWith("/")) {
    throw new InvalidArgumentError(`${field} ${JSON.stringify(path)} must be an absolute path`, { field });
  }
  if (path.includes("\0") || normalize(path) !== path) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(path)} must be a normalized path (no "." or ".." parts, no "//", no trailing "/")` +
        (path.includes("\0") ? "" : `: ${JSON.stringify(normalize(path))}`),
      { field },
    );
  }
}

interface FilesystemLayout {
  /** `/` is read_write: nothing is read-only. */
  rootWritable: boolean;
  /** Where a writable tmpfs goes: outermost paths only, /dev excluded. */
  writable: string[];
}

/** Checks the filesystem section and works out the mounts; `workdir` is unknown before the image is. */
function filesystemLayout(filesystem: FilesystemPolicy, workdir: string | undefined): FilesystemLayout {
  filesystem.readOnly.forEach((path, i) => {
    checkPath(path, `${FIELD}.filesystem.read_only[${i}]`);
  });
  const writable = filesystem.readWrite.map((path, i) => {
    const field = `${FIELD}.filesystem.read_write[${i}]`;
    checkPath(path, field);
    const kernel = ["/proc", "/sys"].find((dir) => within(path, dir));
    if (kernel !== undefined) {
      throw new InvalidArgumentError(
        `${field} ${JSON.stringify(path)} is under ${kernel}, which the kernel provides and a sandbox cannot ` +
          "be given write access to; remove it",
        { field },
      );
    }
    return { path, what: `${field} ${JSON.stringify(path)}`, isWorkdir: false };
  });
  if (filesystem.includeWorkdir && workdir !== undefined) {
    writable.push({
      path: workdir,
      what: `the workdir ${JSON.stringify(workdir)} (${FIELD}.filesystem.include_workdir)`,
      isWorkdir: true,
    });
  }

  filesystem.readOnly.forEach((path, i) => {
    const outer = writable.find((w) => within(path, w.path));
    if (outer === undefined) return;
    const message =
      `${FIELD}.filesystem.read_only[${i}] ${JSON.stringify(path)} is inside ${outer.what}: local mode makes a ` +
      "read_write path writable with a tmpfs mount and cannot keep a path inside it read-only; remove one of them";
    // The workdir is known only from the image, after the create was accepted.
    if (outer.isWorkdir) throw new ImagePolicyRefusal("PolicyNotEnforceable", message);
    throw new InvalidArgumentError(message, { field: `${FIELD}.filesystem.read_only[${i}]` });
  });

  const rootWritable = writable.some((w) => w.path === "/");
  const paths = [...new Set(writable.map((w) => w.path))].filter((path) => !within(path, "/dev"));
  return {
    rootWritable,
    writable: rootWritable
      ? []
      : paths.filter((path) => !paths.some((other) => other !== path && within(path, other))).sort(),
  };
}
