import {
  type ContainerRuntime,
  InvalidArgumentError,
  parseImageReference,
  type RuntimeKind,
} from "openshell/runtime";
import { z } from "zod";
import type { ImageProgressListener } from "../progress.js";

/**
 * A containerd inside a container, as a gateway's cluster container (`openshell-cluster-<name>`)
 * holds the images its Kubernetes runs. Images are imported with `ctr images import` run in that
 * container through `runtime`'s exec, so `ctr` must be on the container's PATH.
 */
export interface ContainerdTarget {
  /** The runtime the container runs in (it needs the `exec` capability). */
  runtime: ContainerRuntime;
  /** The container's name or id. */
  container: string;
  /** containerd namespace; `k8s.io` (the one Kubernetes reads) when absent. */
  namespace?: string;
  /**
   * containerd's socket, as `ctr --address` takes it, when it is not ctr's default
   * (`/run/containerd/containerd.sock`, or `$CONTAINERD_ADDRESS` in the container).
   */
  address?: string;
}

/** Options of {@link loadImage}. */
export interface LoadImageOptions {
  /** The image to move: `name:tag` or an image id (an id only into another engine). */
  image: string;
  /** Where to: another engine, or a containerd in a container. */
  into: ContainerRuntime | ContainerdTarget;
  /** Cancels at any point; no partial image is left in the target, no exec left running. */
  signal?: AbortSignal;
  onProgress?: ImageProgressListener;
}

/** What {@link loadImage} did. */
export interface LoadedImage {
  /**
   * The image's name in the target: `image` as given for an engine; for containerd the full name
   * Kubernetes looks up (`openshell-test/agent:1` is `docker.io/openshell-test/agent:1`).
   */
  image: string;
  /** The image id (`sha256:` + its config digest), the same in the source and the target. */
  id: string;
  /** The target: the engine's kind, or `containerd`. */
  into: RuntimeKind | "containerd";
  /**
   * True when the target already had the image (same id) and no bytes were moved; it may then have
   * been given the name `image`, when it held the image under another name only.
   */
  alreadyPresent: boolean;
  /** Bytes of archive moved from the source into the target (0 when already present). */
  bytes: number;
}

/** The options after checking: which kind of target, the reference, and whether it is an id. */
export type CheckedLoad =
  | { kind: "engine"; target: ContainerRuntime; image: string }
  | {
      kind: "containerd";
      target: Required<Omit<ContainerdTarget, "address">> & { address?: string };
      image: string;
    };

const FULL_IMAGE_ID = /^sha256:[0-9a-f]{64}$/;
/** containerd's namespace names: what its `identifiers` package accepts. */
const NAMESPACE = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;

const optionsSchema = z.object({
  image: z.string().min(1, "must name an image (name:tag or an image id)"),
  into: z.object({}).passthrough(),
  signal: z.instanceof(AbortSignal).optional(),
  onProgress: z.function().optional(),
});

const containerdSchema = z.object({
  runtime: z.object({}).passthrough(),
  container: z.string().min(1, "must name the container (its name or id)"),
  namespace: z.string().regex(NAMESPACE, "must be a containerd namespace such as k8s.io").optional(),
  address: z.string().min(1, "must be a socket path such as /run/k3s/containerd/containerd.sock").optional(),
});

function invalid(error: z.ZodError, prefix: string): InvalidArgumentError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((part) => part !== "").join(".");
  const field = path === "" ? "options" : path;
  return new InvalidArgumentError(`invalid ${field}: ${issue?.message ?? "not valid"}`, { field });
}

/** True for something with the methods of a ContainerRuntime that loading uses. */
export function isContainerRuntime(value: unknown): value is ContainerRuntime {
  const candidate = value as Partial<ContainerRuntime> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.inspectImage === "function" &&
    typeof candidate.loadImage === "function" &&
    typeof candidate.require === "function"
  );
}

/**
 * Checks loadImage's arguments before any engine is asked; each error names its field. The
 * capabilities are checked here too: the source must save images (`image-save`; Apple `container`
 * cannot), an engine target must load them, a containerd target's runtime must exec.
 */
export function checkLoadOptions(source: unknown, options: LoadImageOptions): CheckedLoad {
  if (!isContainerRuntime(source)) {
    throw new InvalidArgumentError("source must be a ContainerRuntime (from createRuntime())", {
      field: "source",
    });
  }
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("loadImage needs an options object: { image, into }", {
      field: "options",
    });
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw invalid(parsed.error, "");
  const { image, into } = options;
  // A name must be one the engines accept, with a tag rather than a digest (a load keeps no registry
  // digest, so the target could not be asked by it). A bare hex id also reads as a name; whether it
  // is the image's id is known once the source has been asked.
  if (image.startsWith("sha256:")) {
    if (!FULL_IMAGE_ID.test(image)) {
      throw new InvalidArgumentError(
        `invalid image ${JSON.stringify(image)}: an image id is sha256: and 64 hex digits`,
        { field: "image" },
      );
    }
  } else {
    parseImageReference(image, { field: "image", tagOnly: true });
  }
  const checked = checkInto(into, image);
  // Capabilities after the fields: a typo is reported as such, whichever runtime was passed.
  source.require(["image-save"]);
  if (checked.kind === "engine") checked.target.require(["image-load"]);
  else checked.target.runtime.require(["exec"]);
  return checked;
}

/** containerd keeps images by name: an id (given as such, or a name that turned out to be one) is refused. */
export function containerdNeedsName(image: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `invalid image ${JSON.stringify(image)}: containerd keeps images by name, so loading into it needs ` +
      "name:tag (the name Kubernetes asks for), not an image id",
    { field: "image" },
  );
}

function checkInto(into: LoadImageOptions["into"], image: string): CheckedLoad {
  if (isContainerRuntime(into)) return { kind: "engine", target: into, image };
  const target = containerdSchema.safeParse(into);
  if (!target.success) throw invalid(target.error, "into");
  const { runtime, container, namespace, address } = into as ContainerdTarget;
  if (!isContainerRuntime(runtime)) {
    throw new InvalidArgumentError(
      "into must be a ContainerRuntime (another engine) or { runtime, container } (a containerd in a container)",
      { field: "into.runtime" },
    );
  }
  if (image.startsWith("sha256:")) throw containerdNeedsName(image);
  return {
    kind: "containerd",
    target: {
      runtime,
      container,
      namespace: namespace ?? "k8s.io",
      ...(address === undefined ? {} : { address }),
    },
    image,
  };
}
