/**
 * What `ctr` (containerd's CLI, 1.6 as Debian bookworm ships it; k3s bundles the same commands)
 * prints, read into values. Pure functions, unit-tested from recorded output.
 */

/**
 * Runs `ctr "$@"` under `sh -c`, saying ctr's pid before and its exit code after, on stderr:
 * - the pid, so that a cancelled import can be ended for sure: closing the exec's connection does
 *   not stop a process the engine started, and ctr would go on importing what it had already read;
 * - the exit code, as soon as ctr has exited, so the caller stops sending the archive.
 * Then the shell reads what is left of stdin until the caller closes it. Without that, an import
 * that fails early leaves archive bytes unread, and Podman answers by resetting the exec's
 * connection, often before it has passed on ctr's last output, and the exit code is lost with it.
 * ctr runs in the background with the exec's stdin (saved as fd 3 first: a background command's
 * stdin is otherwise /dev/null), and the shell waits for it. A missing ctr is said in words of its own.
 */
export const CTR_IN_SHELL = [
  'command -v ctr >/dev/null 2>&1 || { echo "ctr: not found on PATH" >&2; exit 127; }',
  "exec 3<&0",
  'ctr "$@" <&3 3<&- &',
  "pid=$!",
  'echo "openshell-ctr-pid=$pid" >&2',
  'wait "$pid"',
  "rc=$?",
  'echo "openshell-ctr-exit=$rc" >&2',
  "cat <&3 >/dev/null 2>&1",
  'exit "$rc"',
].join("\n");

const PID_LINE = /openshell-ctr-pid=(\d+)\n?/;
const EXIT_LINE = /openshell-ctr-exit=(\d+)\n?/;

/** What the wrapper said (ctr's pid, its exit code when it has exited), and the output without it. */
export function readWrapperLines(text: string): { pid?: number; exitCode?: number; output: string } {
  const pid = PID_LINE.exec(text);
  const exit = EXIT_LINE.exec(text);
  return {
    ...(pid === null ? {} : { pid: Number(pid[1]) }),
    ...(exit === null ? {} : { exitCode: Number(exit[1]) }),
    output: text.replace(PID_LINE, "").replace(EXIT_LINE, ""),
  };
}

/** `ctr images ls`: each image's name and the digest of what it points to (a manifest or an index). */
export function parseImageTable(stdout: string): Map<string, string> {
  const images = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    // Columns: REF TYPE DIGEST SIZE PLATFORMS LABELS. The first three never hold spaces (SIZE does:
    // `2.0 MiB`), so they are the first three words.
    const [ref, type, digest] = line.trim().split(/\s+/);
    if (ref === undefined || ref === "" || ref === "REF" || type === undefined) continue;
    if (digest !== undefined && /^sha256:[0-9a-f]{64}$/.test(digest)) images.set(ref, digest);
  }
  return images;
}

/**
 * A manifest's config digest (the image id), or an index's manifests to read in turn. `ctr
 * content get <digest>` prints the blob itself: a Docker or OCI manifest has `config.digest`; an
 * index or manifest list has `manifests[].digest`.
 */
export function readManifestBlob(text: string): { config?: string; manifests: string[] } {
  let blob: unknown;
  try {
    blob = JSON.parse(text);
  } catch {
    return { manifests: [] };
  }
  const value = blob as { config?: { digest?: unknown }; manifests?: { digest?: unknown }[] };
  const config = typeof value.config?.digest === "string" ? value.config.digest : undefined;
  const manifests = Array.isArray(value.manifests)
    ? value.manifests
        .map((entry) => entry?.digest)
        .filter((digest): digest is string => typeof digest === "string")
    : [];
  return config === undefined ? { manifests } : { config, manifests };
}

/** Why a `ctr` command failed, read from its exit code and what it (or the engine) printed. */
export type CtrFailure =
  /** The container has no `sh` (the wrapper the import runs in). */
  | "no-shell"
  /** The container has no `ctr` on its PATH. */
  | "no-ctr"
  /** `ctr` runs but containerd does not answer at the address. */
  | "no-containerd"
  | "failed";

/**
 * Exit 126/127 with "executable file not found" is the engine's OCI runtime saying the program is
 * not there (Docker 20.10 prints `exec: "ctr": executable file not found in $PATH` on stdout with
 * 126, Podman 4.3 on stderr with 127); the import's `sh` wrapper says `ctr: not found on PATH`.
 * `failed to dial` is ctr giving up on containerd's socket (after 10 s by default).
 */
export function classifyCtrFailure(exitCode: number, output: string): CtrFailure {
  if (exitCode === 126 || exitCode === 127) {
    if (/exec: "(\/bin\/)?sh": (executable file not found|stat \/bin\/sh)/.test(output)) return "no-shell";
    if (/exec: "ctr": executable file not found|ctr: not found on PATH/.test(output)) return "no-ctr";
  }
  if (/failed to dial/.test(output)) return "no-containerd";
  return "failed";
}

/** The last `count` non-empty lines of `text`, for an error message. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "")
    .slice(-count);
}
