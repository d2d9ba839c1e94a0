import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  formatInspection,
  formatPrepared,
  formatProgress,
} from "../../../../../adapters/image/cli/format-report.js";
import type {
  ImageInspection,
  ImageProgressEvent,
  LoadedImage,
  PreparedImage,
} from "../../../../../adapters/image/index.js";

/** A recorded output (recorded/SOURCES.md says how each was made). */
function recorded<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./recorded/${name}.json`, import.meta.url), "utf8")) as T;
}

/** The lines after the header rows: the verdict, each gap and each note, as the report prints them. */
const tail = (report: ImageInspection) => [
  ...report.gaps.map((gap) => `  - ${gap.requirement}: ${gap.message}`),
  ...report.notes.map((note) => `  note: ${note}`),
];

describe("formatInspection: the human report of `openshell-image inspect`", () => {
  it("busybox (recorded): the applets, the sandbox user, root, and one gap", () => {
    const report = recorded<ImageInspection>("inspect-busybox");
    expect(formatInspection(report).split("\n")).toEqual([
      "openshell-test/busybox:1 (5a6a0d1755ef)",
      "  distro          unknown (no /etc/os-release)",
      "  package manager none",
      "  ip              /bin/ip (busybox applet)",
      "  nsenter         /bin/nsenter (busybox applet)",
      "  iptables        missing (optional)",
      "  bash            missing (needed only for the default command)",
      "  sandbox user    uid 1000, gid 1000",
      "  sandbox group   gid 1000",
      "  USER            (none: root), uid 0",
      "not ready (1 gap):",
      ...tail(report),
    ]);
    expect(tail(report)).toHaveLength(5);
  });

  it("debian (recorded): distro, apt, what is missing, three gaps", () => {
    const report = recorded<ImageInspection>("inspect-debian");
    expect(formatInspection(report).split("\n")).toEqual([
      "openshell-test/debian:bookworm (b4f117cf2357)",
      "  distro          Debian GNU/Linux 12 (bookworm)",
      "  package manager apt",
      "  ip              missing",
      "  nsenter         /usr/bin/nsenter",
      "  iptables        missing (optional)",
      "  bash            /bin/bash",
      "  sandbox user    missing",
      "  sandbox group   missing",
      "  USER            (none: root), uid 0",
      "not ready (3 gaps):",
      ...tail(report),
    ]);
    expect(formatInspection(report)).toContain(
      "  - sandbox-group: openshell-test/debian:bookworm has no `sandbox`",
    );
  });

  it("a USER from the image config: numeric (sandbox image), and a name its /etc/passwd lacks", () => {
    expect(formatInspection(recorded("inspect-sandbox"))).toContain(
      "\n  USER            1000:1000, uid 1000\n",
    );
    expect(formatInspection(recorded("inspect-ghost-user"))).toContain(
      "\n  USER            ghost, not in /etc/passwd\n",
    );
  });

  it("an image without /bin/sh: nothing was read, so nothing is called missing", () => {
    const report = recorded<ImageInspection>("inspect-no-shell");
    expect(formatInspection(report).split("\n")).toEqual([
      "openshell-cli-rec/noshell:1 (86e26446c110)",
      "  distro          not read (no /bin/sh)",
      "  package manager not read (no /bin/sh)",
      "  ip              not read (no /bin/sh)",
      "  nsenter         not read (no /bin/sh)",
      "  iptables        not read (no /bin/sh)",
      "  bash            not read (no /bin/sh)",
      "  sandbox user    not read (no /bin/sh)",
      "  sandbox group   not read (no /bin/sh)",
      "  USER            (none: root), uid 0",
      "not ready (1 gap):",
      `  - shell: ${report.gaps[0]?.message}`,
    ]);
    expect(report.gaps[0]?.message).toMatch(/has no \/bin\/sh/);
  });

  it("a prepared image (recorded): every requirement met, ready, no gaps and no notes", () => {
    expect(formatInspection(recorded("inspect-debian-prepared")).split("\n")).toEqual([
      "openshell-cli-rec/debian:prepared (b1d53f7d5f19)",
      "  distro          Debian GNU/Linux 12 (bookworm)",
      "  package manager apt",
      "  ip              /usr/sbin/ip (iproute2)",
      "  nsenter         /usr/bin/nsenter",
      "  iptables        /usr/sbin/iptables",
      "  bash            /bin/bash",
      "  sandbox user    uid 1000, gid 1000",
      "  sandbox group   gid 1000",
      "  USER            sandbox, uid 1000",
      "ready: a sandbox on an OpenShell gateway can run from this image as it is",
    ]);
  });
});

describe("formatPrepared: the human report of `openshell-image prepare`", () => {
  it("a build (recorded): the new image, its source, each addition, verified", () => {
    expect(formatPrepared(recorded<PreparedImage>("prepare-debian")).split("\n")).toEqual([
      "openshell-cli-rec/debian:prepared (b1d53f7d5f19) prepared from openshell-test/debian:bookworm (b4f117cf2357)",
      "  added: iproute2 (apt-get install iproute2)",
      "  added: iptables (apt-get install iptables)",
      "  added: group sandbox (gid 1000) with groupadd",
      "  added: user sandbox (uid 1000, gid 1000, home /sandbox) with useradd",
      "  added: USER sandbox",
      "  verified: every requirement checked again by running the new image",
    ]);
  });

  it("an image already ready (recorded): only tagged, nothing added", () => {
    expect(formatPrepared(recorded<PreparedImage>("prepare-already-ready"))).toBe(
      "openshell-cli-rec/debian:prepared is already OpenShell-ready; tagged as openshell-cli-rec/debian:again " +
        "(b1d53f7d5f19), nothing added",
    );
  });
});

describe("formatProgress: one stderr line per progress event", () => {
  const { events } = recorded<{ result: LoadedImage; events: ImageProgressEvent[] }>("load-docker-to-podman");
  const lines = events.map(formatProgress);

  it("a load's byte events (recorded): the amount moved and the estimated total, each said once, in MiB", () => {
    const moved = events.filter((event) => event.bytes !== undefined).map(formatProgress);
    expect(moved.length).toBeGreaterThan(10);
    // The first chunk is still under a MiB; the SDK's sentence says it in KiB.
    expect(moved[0]).toBe("[load] 32.0 KiB of ~189.7 MiB moved from docker into podman");
    expect(moved[1]).toBe("[load] 9.5 MiB of ~189.7 MiB moved from docker into podman");
    expect(moved.at(-1)).toBe("[load] 194.4 MiB of ~189.7 MiB moved from docker into podman");
    for (const line of moved.slice(1)) {
      expect(line).toMatch(/^\[load\] \d+\.\d MiB of ~189\.7 MiB moved from docker into podman$/);
    }
  });

  it("the load's other steps, and every other phase: the phase, then the SDK's sentence", () => {
    expect(lines[0]).toBe(
      "[load] openshell-cli-rec/load:1 is sha256:842a66e86bd62def3360cf55188cd2e8d3fc324d0c2cea72da5bf0bc6d202211 " +
        "in docker (189.7 MiB); loading it into podman",
    );
    expect(lines.at(-1)).toMatch(
      /^\[load\] openshell-cli-rec\/load:1 is in podman as sha256:.* \(same id as in docker: verified\)$/,
    );
    expect(formatProgress({ phase: "build", message: "Step 1/5 : FROM sha256:b4f117cf2357" })).toBe(
      "[build] Step 1/5 : FROM sha256:b4f117cf2357",
    );
    expect(formatProgress({ phase: "verify", message: "my-agent:1-openshell is OpenShell-ready" })).toBe(
      "[verify] my-agent:1-openshell is OpenShell-ready",
    );
  });
});
