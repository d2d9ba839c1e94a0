import {
  type ContainerRuntime,
  type ExecProcess,
  FailedPreconditionError,
  NotFoundError,
  OpenShellError,
  runExec,
} from "openshell/runtime";
import { ImageLoadError } from "../errors.js";
import {
  CTR_IN_SHELL,
  classifyCtrFailure,
  lastLines,
  parseImageTable,
  readManifestBlob,
  readWrapperLines,
} from "./ctr-output.js";

/** A containerd target with its namespace settled. */
export interface ContainerdPlace {
  runtime: ContainerRuntime;
  container: string;
  namespace: string;
  address?: string;
}

/** How many of ctr's last output lines an error quotes. */
export const OUTPUT_TAIL_LINES = 15;

/**
 * Ends the process `$1` (TERM, then KILL after 5 s) and returns once it is gone, or exits 1 after
 * 10 s. `kill -0` is the shell's own builtin, so this needs nothing beyond `sh`.
 */
const STOP_PROCESS =
  'kill -TERM "$1" 2>/dev/null; n=0; while kill -0 "$1" 2>/dev/null; do n=$((n+1)); ' +
  '[ "$n" -eq 50 ] && kill -KILL "$1" 2>/dev/null; [ "$n" -ge 100 ] && exit 1; sleep 0.1; done; exit 0';

/** The output of a finished command, stdout and stderr apart and together. */
interface CtrResult {
  exitCode: number;
  stdout: string;
  /** stdout and stderr, the pid line taken out: what an error quotes. */
  output: string;
}

/**
 * `ctr` in a container, through the runtime's exec. `open` checks that the container exists, has
 * ctr and reaches containerd, so that each problem is its own error before any byte is moved.
 */
export class ContainerdCli {
  private constructor(
    readonly place: ContainerdPlace,
    /** False in a container without `sh`: ctr then runs directly, and a cancelled import is only cut off. */
    readonly shell: boolean,
    /** `ctr images ls` as it was when opened: name -> the digest it points to. */
    readonly images: Map<string, string>,
  ) {}

  /**
   * Lists the namespace's images, which tells at once whether the container exists (else
   * NotFoundError), has sh and ctr (else FailedPreconditionError) and reaches containerd.
   */
  static async open(
    place: ContainerdPlace,
    image: string,
    signal: AbortSignal | undefined,
  ): Promise<ContainerdCli> {
    const probe = new ContainerdCli(place, true, new Map());
    let listed = await probe.run(["images", "ls"], signal, { shell: true });
    let shell = true;
    if (listed.exitCode !== 0 && classifyCtrFailure(listed.exitCode, listed.output) === "no-shell") {
      shell = false;
      listed = await probe.run(["images", "ls"], signal, { shell: false });
    }
    if (listed.exitCode !== 0) throw probe.failure("list images", listed, image);
    return new ContainerdCli(place, shell, parseImageTable(listed.stdout));
  }

  /** `ctr [--address A] -n NS <args>` */
  argv(args: readonly string[]): string[] {
    const { address, namespace } = this.place;
    return [...(address === undefined ? [] : ["--address", address]), "-n", namespace, ...args];
  }

  /** Runs `ctr <args>` (under CTR_IN_SHELL with `shell`) to its end; a missing container is a NotFoundError. */
  async run(args: readonly string[], signal: AbortSignal | undefined, options: { shell?: boolean } = {}) {
    const shell = options.shell ?? false;
    const command = shell
      ? ["sh", "-c", CTR_IN_SHELL, "sh", ...this.argv(args)]
      : ["ctr", ...this.argv(args)];
    const result = await runExec(this.place.runtime, this.place.container, {
      command,
      ...(signal === undefined ? {} : { signal }),
    }).catch((error: unknown) => {
      throw this.execError(error);
    });
    const stdout = result.stdout.toString("utf8");
    const output = `${stdout}\n${readWrapperLines(result.stderr.toString("utf8")).output}`;
    return { exitCode: result.exitCode, stdout, output } satisfies CtrResult;
  }

  /** `ctr images ls`, now. */
  async listImages(signal: AbortSignal | undefined, image: string): Promise<Map<string, string>> {
    const listed = await this.run(["images", "ls"], signal);
    if (listed.exitCode !== 0) throw this.failure("list images", listed, image);
    return parseImageTable(listed.stdout);
  }

  /**
   * The config digests (image ids) a manifest or index leads to: `ctr content get` of the blob, and
   * of each manifest an index lists (one per platform).
   */
  async configDigests(digest: string, signal: AbortSignal | undefined, image: string): Promise<string[]> {
    const found: string[] = [];
    const pending = [digest];
    for (let reads = 0; pending.length > 0 && reads < 64; reads++) {
      const next = pending.shift() as string;
      const blob = await this.run(["content", "get", next], signal);
      if (blob.exitCode !== 0) {
        if (reads === 0) throw this.failure(`content get ${next}`, blob, image);
        // A platform an index lists whose manifest was never fetched (pulled for one platform only).
        continue;
      }
      const read = readManifestBlob(blob.stdout);
      if (read.config !== undefined) found.push(read.config);
      pending.push(...read.manifests);
    }
    return found;
  }

  /** `ctr images tag --force`: `to` names what `from` names, whatever it named before. */
  async tag(from: string, to: string, signal: AbortSignal | undefined, image: string): Promise<void> {
    const tagged = await this.run(["images", "tag", "--force", from, to], signal);
    if (tagged.exitCode !== 0) throw this.failure(`tag ${from} as ${to}`, tagged, image);
  }

  /** `ctr images rm`: the names go; content another name still uses stays. */
  async remove(names: readonly string[], signal: AbortSignal | undefined, image: string): Promise<void> {
    if (names.length === 0) return;
    const removed = await this.run(["images", "rm", ...names], signal);
    if (removed.exitCode !== 0) throw this.failure(`remove ${names.join(", ")}`, removed, image);
  }

  /**
   * Starts `ctr images import -` with stdin open. With `sh`, stderr says ctr's pid (which
   * {@link stopProcess} ends) and, at the end, its exit code ({@link readWrapperLines}).
   */
  async startImport(signal: AbortSignal): Promise<ExecProcess> {
    const args = this.argv(["images", "import", "-"]);
    return this.place.runtime
      .exec(this.place.container, {
        command: this.shell ? ["sh", "-c", CTR_IN_SHELL, "sh", ...args] : ["ctr", ...args],
        stdin: true,
        signal,
      })
      .catch((error: unknown) => {
        throw this.execError(error);
      });
  }

  /** Ends the process `pid` in the container and waits until it is gone. */
  async stopProcess(pid: number, signal: AbortSignal | undefined): Promise<boolean> {
    const stopped = await runExec(this.place.runtime, this.place.container, {
      command: ["sh", "-c", STOP_PROCESS, "sh", String(pid)],
      ...(signal === undefined ? {} : { signal }),
    });
    return stopped.exitCode === 0;
  }

  /** The error for a ctr command that exited non-zero. */
  failure(what: string, result: { exitCode: number; output: string }, image: string): OpenShellError {
    const { container, runtime, address } = this.place;
    const where = `container ${container} (${runtime.kind})`;
    const tail = lastLines(result.output, OUTPUT_TAIL_LINES);
    switch (classifyCtrFailure(result.exitCode, result.output)) {
      case "no-ctr":
      case "no-shell":
        return new FailedPreconditionError(
          `${where} has no \`ctr\` on its PATH, so images cannot be imported into containerd there. ` +
            "Load into the gateway's cluster container (openshell-cluster-<gateway>, which runs containerd " +
            "and has ctr), or into another engine by passing that runtime as `into`.",
        );
      case "no-containerd":
        return new FailedPreconditionError(
          `ctr in ${where} cannot reach containerd at ${address ?? "its default address"}: ` +
            `${tail.at(-1) ?? ""}. Is containerd running in it? If its socket is elsewhere, pass it as ` +
            "`address` (k3s: /run/k3s/containerd/containerd.sock).",
        );
      default:
        return new ImageLoadError(
          `ctr ${what} in ${where} failed with exit code ${result.exitCode}:\n${tail.join("\n")}`,
          { runtime: runtime.kind, image, into: "containerd", outputTail: tail, statusCode: result.exitCode },
        );
    }
  }

  private execError(error: unknown): unknown {
    if (error instanceof NotFoundError) {
      const { container, runtime } = this.place;
      return new NotFoundError(
        `no container ${container} in ${runtime.kind} (${runtime.endpoint}) to load the image into: ` +
          "name a running container that has containerd and ctr (a gateway's cluster container is " +
          "openshell-cluster-<gateway>; `docker ps` lists it)",
        { cause: error },
      );
    }
    if (error instanceof OpenShellError && /not running|is paused|stopped/i.test(error.message)) {
      return new FailedPreconditionError(
        `container ${this.place.container} is not running, so ctr cannot run in it: start it and try again`,
        { cause: error },
      );
    }
    return error;
  }
}
