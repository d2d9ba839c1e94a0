import type { ImageInspection } from "../inspect/image-inspection.js";
import type { PreparedImage } from "../prepare/prepare-options.js";
import type { ImageProgressEvent } from "../progress.js";

const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
const row = (name: string, value: string) => `  ${name.padEnd(16)}${value}`;

/** The human report of `openshell-image inspect`. */
export function formatInspection(report: ImageInspection): string {
  const lines = [`${report.image} (${shortId(report.id)})`];
  lines.push(
    row("distro", report.distro === undefined ? "unknown (no /etc/os-release)" : report.distro.name),
  );
  lines.push(row("package manager", report.packageManager ?? "none"));
  lines.push(
    row(
      "ip",
      report.ip === undefined
        ? "missing"
        : `${report.ip.path} (${report.ip.kind === "busybox" ? "busybox applet" : report.ip.kind})`,
    ),
  );
  lines.push(
    row(
      "nsenter",
      report.nsenter === undefined
        ? "missing"
        : `${report.nsenter.path}${report.nsenter.busybox ? " (busybox applet)" : ""}`,
    ),
  );
  lines.push(row("iptables", report.iptables?.path ?? "missing (optional)"));
  lines.push(row("bash", report.bash?.path ?? "missing (needed only for the default command)"));
  lines.push(
    row(
      "sandbox user",
      report.sandboxUser === undefined
        ? "missing"
        : `uid ${report.sandboxUser.uid}, gid ${report.sandboxUser.gid}`,
    ),
  );
  lines.push(
    row("sandbox group", report.sandboxGroup === undefined ? "missing" : `gid ${report.sandboxGroup.gid}`),
  );
  const uid = report.effectiveUid === undefined ? "not in /etc/passwd" : `uid ${report.effectiveUid}`;
  lines.push(row("USER", `${report.user === "" ? "(none: root)" : report.user}, ${uid}`));
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

/** One progress line for stderr; byte counts as MiB so a load reads at a glance. */
export function formatProgress(event: ImageProgressEvent): string {
  if (event.bytes !== undefined) {
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    const total = event.totalBytes === undefined ? "" : ` of ~${mib(event.totalBytes)}`;
    return `[${event.phase}] ${mib(event.bytes)}${total} MiB ${event.message}`.trimEnd();
  }
  return `[${event.phase}] ${event.message}`;
}
