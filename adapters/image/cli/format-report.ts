import type { ImageInspection } from "../inspect/image-inspection.js";
import type { PreparedImage } from "../prepare/prepare-options.js";
import type { ImageProgressEvent } from "../progress.js";

const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
const row = (name: string, value: string) => `  ${name.padEnd(16)}${value}`;

/** The human report of `openshell-image inspect`. */
export function formatInspection(report: ImageInspection): string {
  const { ip, nsenter, sandboxUser, sandboxGroup } = report;
  // Without /bin/sh the probe could not run, so "missing" would be a guess: say nothing was read.
  const noShell = report.gaps.some((gap) => gap.requirement === "shell");
  const found = (value: string | undefined, missing: string) =>
    noShell ? "not read (no /bin/sh)" : (value ?? missing);
  const uid =
    report.effectiveUid !== undefined
      ? `uid ${report.effectiveUid}`
      : noShell
        ? "uid not read (no /bin/sh)"
        : "not in /etc/passwd";
  const lines = [
    `${report.image} (${shortId(report.id)})`,
    row("distro", found(report.distro?.name, "unknown (no /etc/os-release)")),
    row("package manager", found(report.packageManager, "none")),
    row("ip", found(ip && `${ip.path} (${ip.kind === "busybox" ? "busybox applet" : ip.kind})`, "missing")),
    row(
      "nsenter",
      found(nsenter && `${nsenter.path}${nsenter.busybox ? " (busybox applet)" : ""}`, "missing"),
    ),
    row("iptables", found(report.iptables?.path, "missing (optional)")),
    row("bash", found(report.bash?.path, "missing (needed only for the default command)")),
    row("sandbox user", found(sandboxUser && `uid ${sandboxUser.uid}, gid ${sandboxUser.gid}`, "missing")),
    row("sandbox group", found(sandboxGroup && `gid ${sandboxGroup.gid}`, "missing")),
    row("USER", `${report.user === "" ? "(none: root)" : report.user}, ${uid}`),
  ];
  if (report.ready) lines.push("ready: a sandbox on an OpenShell gateway can run from this image as it is");
  else {
    lines.push(`not ready (${report.gaps.length} ${report.gaps.length === 1 ? "gap" : "gaps"}):`);
    for (const gap of report.gaps) lines.push(`  - ${gap.requirement}: ${gap.message}`);
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines.join("\n");
}

/** The human report of `openshell-image prepare`. */
export function formatPrepared(result: PreparedImage): string {
  if (!result.changed) {
    return `${result.source.image} is already OpenShell-ready; tagged as ${result.image} (${shortId(result.id)}), nothing added`;
  }
  return [
    `${result.image} (${shortId(result.id)}) prepared from ${result.source.image} (${shortId(result.source.id)})`,
    ...result.added.map((item) => `  added: ${item}`),
    "  verified: every requirement checked again by running the new image",
  ].join("\n");
}

/**
 * One progress line for stderr: the phase, then the SDK's own sentence. A `load` event's sentence
 * already says the bytes moved and the estimated total (`9.5 MiB of ~189.7 MiB moved from docker
 * into podman`), so the line adds no numbers of its own.
 */
export function formatProgress(event: ImageProgressEvent): string {
  return `[${event.phase}] ${event.message}`;
}
