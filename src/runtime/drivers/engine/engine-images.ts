import { cp, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import type Docker from "dockerode";
import { InvalidArgumentError, NotFoundError } from "../../../errors.js";
import type {
  BuildOptions,
  ImageInfo,
  LoadOptions,
  ProgressEvent,
  PullOptions,
  SaveOptions,
} from "../../image-types.js";
import { BuildStepContainers } from "./build-step-containers.js";
import { callerArchive } from "./caller-archive.js";
import { dial } from "./engine-client.js";
import type { EngineContext } from "./engine-context.js";
import { followProgress } from "./engine-progress.js";

export function toImageInfo(raw: Docker.ImageInspectInfo): ImageInfo {
  return {
    id: raw.Id,
    tags: raw.RepoTags ?? [],
    os: raw.Os,
    architecture: raw.Architecture,
    sizeBytes: raw.Size,
    labels: raw.Config?.Labels ?? {},
    user: raw.Config?.User ?? "",
    workdir: raw.Config?.WorkingDir ?? "",
    entrypoint: stringList(raw.Config?.Entrypoint),
    cmd: stringList(raw.Config?.Cmd),
    env: raw.Config?.Env ?? [],
    repoDigests: raw.RepoDigests ?? [],
  };
}

/** Docker sends `null` for an unset entrypoint or command, and old images may hold a bare string. */
function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return typeof value === "string" && value !== "" ? [value] : [];
}

export async function inspectEngineImage(
  engine: EngineContext,
  ref: string,
  signal?: AbortSignal,
): Promise<ImageInfo> {
  const image = engine.docker.getImage(ref);
  // dockerode takes { abortSignal } here too; its typings only know the no-argument form.
  const inspect = image.inspect as (options: object) => Promise<Docker.ImageInspectInfo>;
  return toImageInfo(
    await engine.call(`inspect image ${ref}`, () =>
      inspect.call(image, signal === undefined ? {} : { abortSignal: signal }),
    ),
  );
}

export async function pullEngineImage(
  engine: EngineContext,
  ref: string,
  options: PullOptions,
): Promise<ImageInfo> {
  const what = `pull image ${ref}`;
  const stream = (await engine.call(what, () =>
    engine.docker.pull(ref, {
      ...(options.auth === undefined ? {} : { authconfig: options.auth }),
      ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
    }),
  )) as Readable;
  await followProgress(engine, what, stream, options.onProgress, options.signal);
  return inspectEngineImage(engine, ref, options.signal);
}

/** Name of the Dockerfile written into the context when the caller passes `dockerfileText`. */
const INLINE_DOCKERFILE = ".openshell.Dockerfile";

export async function buildEngineImage(engine: EngineContext, options: BuildOptions): Promise<ImageInfo> {
  const what = `build image ${options.tag}`;
  if (options.context === undefined && options.dockerfileText === undefined) {
    throw new InvalidArgumentError(`${what}: pass a context folder, dockerfileText, or both`, {
      field: "context",
    });
  }
  // The engine takes the context as a tar. A Dockerfile given as text has to be inside that tar, so
  // it is written into a scratch copy of the context (or an empty folder) rather than the caller's.
  const scratch =
    options.dockerfileText === undefined ? undefined : await mkdtemp(join(tmpdir(), "openshell-build-"));
  try {
    let context = options.context;
    let dockerfile = options.dockerfile;
    if (scratch !== undefined) {
      if (context !== undefined) await cp(context, scratch, { recursive: true });
      await writeFile(join(scratch, INLINE_DOCKERFILE), options.dockerfileText ?? "");
      context = scratch;
      dockerfile = INLINE_DOCKERFILE;
    }
    const root = context as string;
    const files = await listFiles(root);
    const stream = (await engine.call(what, () =>
      engine.docker.buildImage(
        { context: root, src: files },
        {
          t: options.tag,
          ...(dockerfile === undefined ? {} : { dockerfile }),
          ...(options.buildArgs === undefined ? {} : { buildargs: { ...options.buildArgs } }),
          ...(options.labels === undefined ? {} : { labels: { ...options.labels } }),
          rm: true,
          forcerm: true,
          ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
        },
      ),
    )) as Readable;
    const steps = new BuildStepContainers();
    const onProgress = (event: ProgressEvent) => {
      steps.observe(event.message);
      options.onProgress?.(event);
    };
    try {
      await followProgress(engine, what, stream, onProgress, options.signal);
    } catch (error) {
      // A step container the engine has not removed yet goes now (a failure to remove it does not
      // hide why the build ended); one already gone is fine.
      await steps.removeLeft((id) => removeStepContainer(engine, id)).catch(() => {});
      throw error;
    }
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
  return inspectEngineImage(engine, options.tag, options.signal);
}

async function removeStepContainer(engine: EngineContext, id: string): Promise<void> {
  try {
    await engine.call(`remove build step container ${id}`, () =>
      engine.docker.getContainer(id).remove({ force: true }),
    );
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

/** Every file under `root`, relative to it (dockerode applies .dockerignore to this list). */
async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)));
}

export async function loadEngineImage(engine: EngineContext, options: LoadOptions): Promise<string[]> {
  const what = "load image archive";
  const archive = options.archive instanceof Readable ? options.archive : Readable.from(options.archive);
  const stream = (await engine.call(what, () =>
    engine.docker.loadImage(archive, options.signal === undefined ? {} : { abortSignal: options.signal }),
  )) as Readable;
  const messages = await followProgress(engine, what, stream, options.onProgress, options.signal);
  const loaded: string[] = [];
  for (const message of messages) {
    const text = typeof message.stream === "string" ? message.stream : "";
    // Docker says "Loaded image: name:tag" or "Loaded image ID: sha256:..."; Podman "Loaded image: ...".
    for (const match of text.matchAll(/Loaded image(?: ID)?s?: *(.+)/g)) {
      for (const name of (match[1] ?? "").split(",")) if (name.trim() !== "") loaded.push(name.trim());
    }
  }
  return loaded;
}

/**
 * `GET /images/{name}/get`: the image as a `docker save` archive, streamed as the engine writes it.
 * Resolves once the engine has answered, so a missing image is a NotFoundError here, not a stream
 * error later. Aborting `signal` ends the stream with a CanceledError.
 */
export async function saveEngineImage(
  engine: EngineContext,
  ref: string,
  options: SaveOptions,
): Promise<Readable> {
  const what = `save image ${ref}`;
  const signal = options.signal;
  // dockerode's image.get() takes a callback only: an options object passed to it is called as
  // that callback (a TypeError thrown from the socket's event handler), so the request is dialed here.
  const response = await engine.call(what, () =>
    dial<Readable>(engine.docker, {
      method: "GET",
      path: `/images/${ref}/get`,
      okStatuses: [200],
      stream: true,
      ...(signal === undefined ? {} : { signal }),
    }),
  );
  return callerArchive(engine, what, response, signal);
}

/** `POST /images/{name}/tag`: `target` is `repository[:tag]` (`:latest` when it has none). */
export async function tagEngineImage(
  engine: EngineContext,
  ref: string,
  target: string,
  signal?: AbortSignal,
): Promise<void> {
  const { repo, tag } = splitReference(target);
  const image = engine.docker.getImage(ref);
  await engine.call(`tag image ${ref} as ${target}`, () =>
    image.tag({ repo, tag, ...(signal === undefined ? {} : { abortSignal: signal }) }),
  );
}

/** `registry:5000/name:tag` -> repo `registry:5000/name`, tag `tag`: the tag is after the last `:` past the last `/`. */
export function splitReference(target: string): { repo: string; tag: string } {
  const slash = target.lastIndexOf("/");
  const colon = target.lastIndexOf(":");
  if (colon > slash) return { repo: target.slice(0, colon), tag: target.slice(colon + 1) };
  return { repo: target, tag: "latest" };
}
