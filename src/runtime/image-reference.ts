import { InvalidArgumentError } from "../errors.js";

/** An image reference taken apart: `[domain/]path[:tag][@digest]`. */
export interface ImageReference {
  /** Registry host (and port), when the reference names one (`registry.example:5000`, `localhost`). */
  domain: string | undefined;
  /** Repository path below the domain (`library/busybox`, `team/agent`). */
  path: string;
  tag: string | undefined;
  /** `algorithm:hex` (`sha256:...`). */
  digest: string | undefined;
}

// The grammar the engines use (the distribution reference grammar): lower-case path components
// joined by '.', '_', '__' or dashes; a first component counts as a domain when it holds '.' or ':'
// or is `localhost`; a tag of at most 128 word characters, dots and dashes; a digest `alg:hex`.
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const referencePattern = new RegExp(
  `^(?:(${domain})/)?(${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`,
);
/** The engines refuse names longer than this (domain and path together). */
const MAX_NAME_LENGTH = 255;

/**
 * Parses an image reference (`busybox`, `team/agent:1`, `registry:5000/agent@sha256:...`) the way
 * Docker and Podman do, so a typo is an InvalidArgumentError naming `field` before any engine is
 * asked. With `{ tagOnly: true }` a digest is refused: a name to tag or build under takes a tag only.
 */
export function parseImageReference(
  ref: string,
  options: { field?: string; tagOnly?: boolean } = {},
): ImageReference {
  const field = options.field ?? "ref";
  const refuse = (why: string) =>
    new InvalidArgumentError(
      `invalid ${field} ${JSON.stringify(ref)}: ${why}. An image reference looks like ` +
        "`name`, `name:tag` or `registry:5000/team/name:tag`, in lower case.",
      { field },
    );
  if (typeof ref !== "string" || ref === "") throw refuse("it is empty");
  const match = referencePattern.exec(ref);
  if (match === null) {
    if (/[A-Z]/.test(ref.split("/").slice(-1)[0]?.split(":")[0] ?? "")) {
      throw refuse("a repository name must be lower case");
    }
    throw refuse("it is not a valid image reference");
  }
  let [, domainPart, path = "", tagPart, digestPart] = match;
  // `host:5000` alone parses as path `host` with tag `5000`; a first component with '.' or ':' or
  // named localhost is a registry only when a path follows, exactly as the engines read it.
  if (domainPart !== undefined && !/[.:]/.test(domainPart) && domainPart !== "localhost") {
    if (/[A-Z]/.test(domainPart)) throw refuse("a repository name must be lower case");
    path = `${domainPart}/${path}`;
    domainPart = undefined;
  }
  const nameLength = (domainPart === undefined ? 0 : domainPart.length + 1) + path.length;
  if (nameLength > MAX_NAME_LENGTH) throw refuse(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  if (options.tagOnly && digestPart !== undefined) {
    throw refuse("a digest cannot be given here; use name:tag");
  }
  return { domain: domainPart, path, tag: tagPart, digest: digestPart };
}
