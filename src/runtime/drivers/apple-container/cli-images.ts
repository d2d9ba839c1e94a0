import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CanceledError, CapabilityError, InvalidArgumentError, NotFoundError } from "../../../errors.js";
import type { BuildOptions, ImageInfo, ImageOperationOptions, PullOptions } from "../../image-types.js";
import { checkPositional } from "./cli-args.js";
import type { CliContext } from "./cli-context.js";
import { KIND } from "./cli-errors.js";
import { parseImages } from "./resource-json.js";

/** The most CLI output kept (its end) for an error message. */
const MAX_OUTPUT_CHARS = 16 * 1024;

/** `container image inspect REF` (which always prints JSON, and takes no `--format`). */
export async function inspectCliImage(
  cli: CliContext,
  ref: string,
  hostArch: string,
  signal?: AbortSignal,
): Promise<ImageInfo> {
  checkPositional(ref, "ref");
  const args = ["image", "inspect", ref];
  const { stdout } = await cli.run(args, { signal });
  const [image] = parseImages(stdout, cli.describe(args), hostArch);
  if (image === undefined) {
    throw new NotFoundError(`image ${ref} is not present locally; pull it (pullImage) or build it first`);
  }
  return image;
}

/** `container image list --format json`. */
export async function listCliImages(
  cli: CliContext,
  hostArch: string,
  signal?: AbortSignal,
): Promise<ImageInfo[]> {
  const args = ["image", "list", "--format", "json"];
  const { stdout } = await cli.run(args, { signal });
  return parseImages(stdout, cli.describe(args), hostArch);
}

/**
 * `container image pull REF`, its output lines reported as progress. The CLI takes registry
 * credentials only from `container registry login`, so `auth` is refused rather than ignored.
 */
export async function pullCliImage(
  cli: CliContext,
  ref: string,
  hostArch: string,
  options: PullOptions,
): Promise<ImageInfo> {
  checkPositional(ref, "ref");
  if (options.auth !== undefined) {
    throw new CapabilityError(
      `the ${KIND} runtime cannot pull with credentials passed in the call: the container CLI reads them ` +
        `from its own store. Run \`container registry login ${options.auth.serveraddress ?? "<registry>"}\` ` +
        "once, then pull without auth.",
      { runtime: KIND, missing: ["pull-auth"] },
    );
  }
  await runWithProgress(cli, ["image", "pull", ref], options);
  return inspectCliImage(cli, ref, hostArch, options.signal);
}

/**
 * `container build -t TAG -f DOCKERFILE [--build-arg K=V] [--label K=V] CONTEXT`. `-f` is given as
 * an absolute path because the CLI reads it relative to its working directory, not to the context.
 * `dockerfileText` is written to a temporary folder, which is also the context when none is given.
 */
export async function buildCliImage(
  cli: CliContext,
  options: BuildOptions,
  labels: Readonly<Record<string, string>>,
  hostArch: string,
): Promise<ImageInfo> {
  checkPositional(options.tag, "tag");
  // The builder splits `--label` and `--build-arg` at their first '=' (unlike `container create -l`,
  // which refuses a second one), so a value may hold '='; a name may not.
  checkBuildNames(labels, "labels", "label");
  checkBuildNames(options.buildArgs ?? {}, "buildArgs", "build argument");
  if (options.context === undefined && options.dockerfileText === undefined) {
    throw new InvalidArgumentError("a build needs a context folder, a dockerfileText, or both", {
      field: "context",
    });
  }
  let tempDir: string | undefined;
  try {
    let context: string;
    let dockerfile: string;
    if (options.dockerfileText !== undefined) {
      tempDir = await mkdtemp(join(tmpdir(), "openshell-build-"));
      dockerfile = join(tempDir, "Dockerfile");
      await writeFile(dockerfile, options.dockerfileText, { mode: 0o600 });
      context = options.context === undefined ? tempDir : resolve(options.context);
    } else {
      context = resolve(options.context as string);
      dockerfile = resolve(context, options.dockerfile ?? "Dockerfile");
    }
    const args = ["build", "-t", options.tag, "-f", dockerfile];
    for (const [key, value] of Object.entries(options.buildArgs ?? {}))
      args.push("--build-arg", `${key}=${value}`);
    for (const [key, value] of Object.entries(labels)) args.push("--label", `${key}=${value}`);
    args.push(context);
    await runWithProgress(cli, args, options);
  } finally {
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  }
  return inspectCliImage(cli, options.tag, hostArch, options.signal);
}

/** Throws an InvalidArgumentError naming `field.KEY` for a key that is empty or holds '='. */
function checkBuildNames(record: Readonly<Record<string, string>>, field: string, what: string): void {
  for (const key of Object.keys(record)) {
    if (key === "" || key.includes("=")) {
      throw new InvalidArgumentError(
        `invalid ${field}.${key}: a ${what} name must be non-empty, without '='`,
        {
          field: `${field}.${key}`,
        },
      );
    }
  }
}

/**
 * Runs a long command (pull, build) to its end, each line it prints (on stdout or stderr, split at
 * `\n` or a progress bar's `\r`) reported as a progress message. Aborting kills it.
 */
async function runWithProgress(
  cli: CliContext,
  args: string[],
  options: ImageOperationOptions,
): Promise<void> {
  const signal = options.signal;
  const what = cli.describe(args);
  if (signal?.aborted)
    throw new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal.reason });
  const child = cli.spawn(args);
  child.stdin.end();
  let output = "";
  const pending = { stdout: "", stderr: "" };
  const report = (text: string) => {
    const message = text.trim();
    if (message !== "") options.onProgress?.({ message });
  };
  for (const name of ["stdout", "stderr"] as const) {
    child[name].on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output = (output + text).slice(-MAX_OUTPUT_CHARS);
      const pieces = (pending[name] + text).split(/\r\n|\r|\n/);
      pending[name] = pieces.pop() ?? "";
      for (const piece of pieces) report(piece);
    });
  }
  let canceled: CanceledError | undefined;
  const onAbort = () => {
    canceled = new CanceledError(`${what}: canceled by the caller's signal`, { cause: signal?.reason });
    child.kill("SIGKILL");
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let exitCode: number;
  try {
    exitCode = await child.exit;
  } catch (error) {
    throw cli.spawnError(args, error);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  report(pending.stdout);
  report(pending.stderr);
  if (canceled !== undefined) throw canceled;
  const closed = cli.closedError(child, what);
  if (closed !== undefined) throw closed;
  if (exitCode !== 0) {
    throw cli.failure(args, exitCode, output, args[0] === "build" ? cliErrorLines(output) : undefined);
  }
}

/**
 * The lines the CLI printed as its own error (`Error: ...`). A build's other lines are its log
 * (BuildKit's steps, each RUN step's output, prefixed with the step), whose words say nothing of
 * what kind of failure it was: apt-get's "404  Not Found" for a package file is not a missing image.
 */
function cliErrorLines(output: string): string {
  return output
    .split(/\r?\n/)
    .filter((line) => line.startsWith("Error:"))
    .join("\n");
}
