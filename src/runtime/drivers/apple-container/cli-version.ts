import { release } from "node:os";
import { CapabilityError, ContainerRuntimeError } from "../../../errors.js";
import { assertCapabilities, type Capability } from "../../capabilities.js";
import { APPLE_CONTAINER_CAPABILITIES } from "./apple-container-options.js";
import { KIND } from "./cli-errors.js";

/*
 * What the Apple `container` CLI offers per release (docs/runtimes/apple-container.md has the
 * sources): the driver reads `container --version` and the macOS version at connect() and declares
 * only what that CLI on that macOS can do.
 */

/**
 * The oldest CLI the driver runs. `network create`/`network list`, which `createNetwork`,
 * `listNetworks` and `reap` run, first exist in 0.5.0, and its `network list --format json`
 * (`{id, state, config: {id, mode, subnet?, labels}, status?: {address, gateway}}`) is the oldest
 * network shape the parser reads (fixture network-list-pre-1.0.json). The container records of
 * 0.4.0-0.7.1 (attachments with `address`/`gateway`, no `startedDate`; fixture list-0.7.json) are
 * read too, so the network commands are what sets the floor.
 */
export const MIN_CLI_VERSION = "0.5.0";

/** The first release of `system status --format json`; older CLIs print text lines only. */
export const JSON_STATUS_VERSION = "0.10.0";

/** The release (and macOS major version, where the CLI needs one) that brings a capability. */
interface Requirement {
  cli: string;
  macOS?: number;
}

/** Capabilities that depend on the CLI's version; every other one is as APPLE_CONTAINER_CAPABILITIES says. */
const VERSIONED: ReadonlyMap<Capability, Requirement> = new Map<Capability, Requirement>([
  // `--read-only` on run/create.
  ["read-only-root", { cli: "0.8.0" }],
  // `--cap-add`/`--cap-drop`.
  ["cap-add-drop", { cli: "0.12.0" }],
  // `network create --internal` (a `hostOnly` vmnet network): only the `reserved` network plugin
  // variant can run it, and that variant needs macOS 26.
  ["internal-networks", { cli: "0.9.0", macOS: 26 }],
]);

/** The CLI and macOS a runtime connected to. */
export interface AppleHost {
  /** The CLI's version as `container --version` prints it (`1.1.0`). */
  cli: string;
  /** The macOS major version (26), undefined when unknown (not on macOS). */
  macOS: number | undefined;
}

/** `[major, minor, patch]` from `1.2.3` or `1.2.3-dev`; undefined when the text has no version number. */
export function versionParts(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** Whether `version` is `minimum` or later; false when `version` has no number in it. */
export function atLeast(version: string, minimum: string): boolean {
  const have = versionParts(version);
  const need = versionParts(minimum);
  if (have === undefined || need === undefined) return false;
  for (let i = 0; i < 3; i += 1) {
    if (have[i] !== need[i]) return (have[i] ?? 0) > (need[i] ?? 0);
  }
  return true;
}

/** Whether `version` is a version number lower than `release`; false when it has no number in it. */
export function olderThan(version: string, release: string): boolean {
  return versionParts(version) !== undefined && !atLeast(version, release);
}

/**
 * The macOS major version from a Darwin kernel release (`os.release()`): Darwin 20-24 are macOS
 * 11-15, and Darwin 25 is macOS 26 (Apple numbered macOS by year from then on).
 */
export function macOSFromDarwin(darwinRelease: string | undefined): number | undefined {
  const major = darwinRelease === undefined ? Number.NaN : Number.parseInt(darwinRelease, 10);
  if (!Number.isInteger(major) || major < 20) return undefined;
  return major >= 25 ? major + 1 : major - 9;
}

/** This machine's Darwin release, or undefined off macOS. */
export function hostDarwinRelease(): string | undefined {
  return process.platform === "darwin" ? release() : undefined;
}

function meets(host: AppleHost, requirement: Requirement): boolean {
  if (!atLeast(host.cli, requirement.cli)) return false;
  return requirement.macOS === undefined || (host.macOS !== undefined && host.macOS >= requirement.macOS);
}

/**
 * What the driver can do with this CLI on this macOS. A version with no number in it is taken to
 * offer none of the versioned capabilities (nothing says which release it is).
 */
export function appleContainerCapabilities(host: AppleHost): ReadonlySet<Capability> {
  const capabilities = new Set<Capability>(APPLE_CONTAINER_CAPABILITIES);
  for (const [capability, requirement] of VERSIONED) {
    if (meets(host, requirement)) capabilities.add(capability);
    else capabilities.delete(capability);
  }
  return capabilities;
}

function describeHost(host: AppleHost): string {
  return `container CLI ${host.cli}${host.macOS === undefined ? "" : ` on macOS ${host.macOS}`}`;
}

function describeRequirement(requirement: Requirement): string {
  const macOS = requirement.macOS === undefined ? "" : `, on macOS ${requirement.macOS} or later`;
  return `container CLI ${requirement.cli} or later${macOS}`;
}

/**
 * Like assertCapabilities, but when a missing capability comes with a later CLI (or macOS), the
 * message says which, and what this machine has.
 */
export function assertAppleCapabilities(
  host: AppleHost | undefined,
  supported: ReadonlySet<Capability>,
  needed: Iterable<Capability>,
  what?: string,
): void {
  const missing = [...new Set(needed)].filter((capability) => !supported.has(capability));
  const upgradable = missing.filter((capability) => VERSIONED.has(capability));
  if (host === undefined || upgradable.length === 0) {
    assertCapabilities(KIND, supported, needed, what);
    return;
  }
  const subject = what === undefined ? "" : ` (needed by the ${what})`;
  const brings = upgradable
    .map(
      (capability) => `${capability} needs ${describeRequirement(VERSIONED.get(capability) as Requirement)}`,
    )
    .join("; ");
  throw new CapabilityError(
    `the ${KIND} runtime (${describeHost(host)}) does not support: ${missing.join(", ")}${subject}. ` +
      `${brings}. Upgrade (https://github.com/apple/container/releases), drop ` +
      `${missing.length === 1 ? "that option" : "those options"}, or choose a runtime that has ` +
      `${missing.length === 1 ? "it" : "them"} (OPENSHELL_RUNTIME=docker or podman).`,
    { runtime: KIND, missing },
  );
}

/** Throws when the CLI is older than MIN_CLI_VERSION. */
export function requireSupportedCli(version: string): void {
  if (!olderThan(version, MIN_CLI_VERSION)) return;
  throw new ContainerRuntimeError(
    `the container CLI is version ${version}, older than ${MIN_CLI_VERSION}, the oldest this driver ` +
      `supports. Upgrade it from https://github.com/apple/container/releases (then run ` +
      "`container system start`).",
    { runtime: KIND },
  );
}
