import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Readable } from "node:stream";
import { flag, lastValue, option, parseArgs } from "./argv.js";
import {
  CliFailure,
  dockerMessage,
  dockerStatus,
  type EmulatorContext,
  type Handler,
  type Invocation,
  normalizeReference,
} from "./emulator-context.js";

/*
 * `container image pull|tag|delete` and `container build`, on Docker's images. Only images the
 * emulator itself made (a pull, tag or build of a name Docker did not have) can be deleted, and
 * close() removes those: the test images of this machine are never touched. The progress text is
 * Docker's, not the CLI's (the driver reports it line by line, whatever it says); a failed build
 * ends with `Error: failed to solve: ...` as the CLI's does.
 */

async function exists(context: EmulatorContext, ref: string): Promise<boolean> {
  return context.docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** Reads Docker's JSON progress stream to its end, printing each message; rejects with its error. */
async function followDocker(stream: Readable, invocation: Invocation): Promise<void> {
  let pending = "";
  let failure: string | undefined;
  const onAbort = () => stream.destroy();
  invocation.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        const event = JSON.parse(line) as { stream?: string; status?: string; id?: string; error?: string };
        if (event.error !== undefined) failure = event.error;
        const text =
          event.stream ??
          (event.status === undefined ? undefined : `${event.id ? `${event.id}: ` : ""}${event.status}`);
        if (text !== undefined && text.trim() !== "") invocation.stderr.write(`${text.replace(/\n$/, "")}\n`);
      }
    }
  } finally {
    invocation.signal.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw new Error(failure);
}

async function pull(context: EmulatorContext, invocation: Invocation, args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    usage: "container image pull [<options>] <reference>",
    options: [option("platform", "--platform"), option("arch", "-a", "--arch"), option("os", "--os")],
    minPositionals: 1,
    maxPositionals: 1,
  });
  const ref = parsed.positionals[0] as string;
  const full = normalizeReference(ref);
  // Docker names Docker Hub images without docker.io/; a local registry keeps its host.
  const dockerRef = full.replace(/^docker\.io\/(library\/)?/, "");
  const existed = await exists(context, dockerRef);
  try {
    const stream = (await context.docker.pull(dockerRef, { abortSignal: invocation.signal })) as Readable;
    await followDocker(stream, invocation);
  } catch (error) {
    if (invocation.signal.aborted) return 137;
    const message = dockerMessage(error);
    if (dockerStatus(error) === 404 || /not found|manifest unknown|does not exist/i.test(message)) {
      throw new CliFailure(`Error: notFound: "image ${ref} not found: ${message}"`);
    }
    throw new CliFailure(`Error: internalError: "failed to pull ${ref}: ${message}"`);
  }
  if (!existed) context.madeImages.add(dockerRef);
  return 0;
}

async function tag(context: EmulatorContext, _invocation: Invocation, args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    usage: "container image tag <source> <target>",
    options: [],
    minPositionals: 2,
    maxPositionals: 2,
  });
  const [source, target] = parsed.positionals as [string, string];
  if (!(await exists(context, normalizeReference(source)))) {
    throw new CliFailure(`Error: notFound: "image with reference ${source}"`);
  }
  const full = normalizeReference(target);
  if ((await exists(context, full)) && !context.madeImages.has(full)) {
    throw new CliFailure(
      `Error: emulator: refusing to move the tag ${target}, which this emulator did not make`,
    );
  }
  const colon = full.lastIndexOf(":");
  await context.docker
    .getImage(normalizeReference(source))
    .tag({ repo: full.slice(0, colon), tag: full.slice(colon + 1) });
  context.madeImages.add(full);
  return 0;
}

async function remove(context: EmulatorContext, invocation: Invocation, args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    usage: "container image delete [<options>] <images> ...",
    options: [flag("force", "-f", "--force")],
    minPositionals: 1,
  });
  for (const ref of parsed.positionals) {
    const full = normalizeReference(ref);
    const made = [full, full.replace(/^docker\.io\/(library\/)?/, "")].find((name) =>
      context.madeImages.has(name),
    );
    if (made === undefined) {
      if (!(await exists(context, full))) {
        throw new CliFailure(
          `Error: internalError: "failed to delete one or more images: [\\"${full} (notFound: \\\\\\"image not found\\\\\\")\\"]"`,
        );
      }
      throw new CliFailure(
        `Error: emulator: refusing to delete image ${ref}, which this emulator did not make`,
      );
    }
    await context.docker.getImage(made).remove({ noprune: false });
    context.madeImages.delete(made);
    invocation.stdout.write(`${ref}\n`);
  }
  return 0;
}

/** Every file under `root`, relative, for Docker's build context tar. */
async function listFiles(root: string, dir = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else files.push(relative(root, path));
  }
  return files;
}

/** `container build -t TAG -f DOCKERFILE [--build-arg K=V] [--label K=V] [--no-cache] CONTEXT`. */
export const buildCommand: Handler = async (context, invocation) => {
  const parsed = parseArgs(invocation.args.slice(1), {
    usage: "container build [<options>] [<context-dir>]",
    options: [
      option("tag", "-t", "--tag"),
      option("file", "-f", "--file"),
      option("buildArg", "--build-arg"),
      option("label", "--label"),
      flag("noCache", "--no-cache"),
    ],
    minPositionals: 0,
    maxPositionals: 1,
  });
  const tagName = lastValue(parsed, "tag");
  if (tagName === undefined) throw new CliFailure("Error: emulator: a build without -t is not emulated");
  const contextDir = parsed.positionals[0] ?? ".";
  // Docker needs the Dockerfile inside the context it is sent; the CLI reads it from anywhere.
  const scratch = await mkdtemp(join(tmpdir(), "openshell-emulator-build-"));
  const split = (values: readonly string[]) =>
    Object.fromEntries(
      values.map((text) => [text.slice(0, text.indexOf("=")), text.slice(text.indexOf("=") + 1)]),
    );
  try {
    await cp(contextDir, scratch, { recursive: true });
    const dockerfile = ".emulator.Dockerfile";
    await writeFile(
      join(scratch, dockerfile),
      await readFile(lastValue(parsed, "file") ?? join(contextDir, "Dockerfile")),
    );
    const full = normalizeReference(tagName);
    const existed = await exists(context, full);
    const stream = (await context.docker.buildImage(
      { context: scratch, src: await listFiles(scratch) },
      {
        t: full,
        dockerfile,
        buildargs: split(parsed.values.get("buildArg") ?? []),
        labels: split(parsed.values.get("label") ?? []),
        nocache: parsed.flags.has("noCache"),
        rm: true,
        forcerm: true,
        abortSignal: invocation.signal,
      },
    )) as Readable;
    try {
      await followDocker(stream, invocation);
    } catch (error) {
      if (invocation.signal.aborted) return 137;
      throw new CliFailure(
        `Error: failed to solve: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!existed) context.madeImages.add(full);
    invocation.stdout.write(`${tagName}\n`);
    return 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
};

/** The image verbs that change images; `inspect` and `list` live with the read-only commands. */
export const imageChanges: Record<
  string,
  (context: EmulatorContext, invocation: Invocation, args: string[]) => Promise<number>
> = {
  pull,
  tag,
  delete: remove,
  rm: remove,
};
