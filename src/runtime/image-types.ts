import type { Readable } from "node:stream";

export interface ImageInfo {
  id: string;
  /** Every name:tag this image is known by. */
  tags: readonly string[];
  os: string;
  architecture: string;
  sizeBytes: number;
  labels: Readonly<Record<string, string>>;
  /** The image's `USER` (`name`, `uid`, `uid:gid`); "" when it sets none, so it runs as root. */
  user: string;
  /** The image's `WORKDIR`; "" when it sets none. */
  workdir: string;
  /** The image's `ENTRYPOINT`; empty when it sets none. */
  entrypoint: readonly string[];
  /** The image's `CMD` (the arguments after the entrypoint); empty when it sets none. */
  cmd: readonly string[];
  /** The image's `ENV`, in order, as `NAME=value` strings (the form the image config holds). */
  env: readonly string[];
  /** `name@sha256:...` digests of the image in the registries it came from; empty for a local build. */
  repoDigests: readonly string[];
}

/** One progress message of a pull, build or load, as the engine sent it. */
export interface ProgressEvent {
  /** Layer id or build step, when the message is about one. */
  id?: string;
  /** The message (`"Downloading"`, `"Step 2/4 : RUN apt-get ..."`, a line of build output). */
  message: string;
  current?: number;
  total?: number;
}

export interface ImageOperationOptions {
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

/**
 * Aborting `signal` ends the call with CanceledError at once. The engine may still finish the
 * download it had started (Podman does): check with `hasImage` rather than assume it is absent.
 */
export interface PullOptions extends ImageOperationOptions {
  /** Registry credentials; never logged. */
  auth?: { username: string; password: string; serveraddress?: string };
}

export interface BuildOptions extends ImageOperationOptions {
  /** name:tag of the result. */
  tag: string;
  /** Folder sent as the build context (its .dockerignore is honoured). */
  context?: string;
  /** Dockerfile path inside `context`; `Dockerfile` when absent. */
  dockerfile?: string;
  /** The Dockerfile's text, for a build with no context folder (or one that ignores the folder's). */
  dockerfileText?: string;
  buildArgs?: Readonly<Record<string, string>>;
  labels?: Readonly<Record<string, string>>;
  /**
   * Label the image with this runtime's session (default true), as everything else it creates.
   * Pass false for an image meant to outlive the session: a container inherits its image's labels,
   * so one started from it by another tool would carry this session's label and be removed by this
   * session's `reap()`.
   */
  sessionLabels?: boolean;
}

/** Options of `saveImage`; `signal` aborts the archive stream as well as the request. */
export interface SaveOptions extends ImageOperationOptions {}

export interface LoadOptions extends ImageOperationOptions {
  /** A `docker save` / OCI archive. */
  archive: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}
