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
/**
 * The engines refuse longer names, counted with the registry Docker puts in front of a name that
 * has none (`docker.io/`, and `library/` for a one-part name): `docker tag` to a 238-character
 * one-part name fails although the name alone is shorter than this.
 */
const MAX_NAME_LENGTH = 255;
/** The digest algorithms the engines take, with their lengths in hex digits (lower case only). */
const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
/** An image id; Docker will not give an image such a name, since it would read as the id. */
const IMAGE_ID = /^[a-f0-9]{64}$/;

/**
 * Parses an image reference (`busybox`, `team/agent:1`, `registry:5000/agent@sha256:...`) the way
 * Docker and Podman do, so a typo is an InvalidArgumentError naming `field` before any engine is
 * asked. With `{ tagOnly: true }` (a name to tag or build under) a digest is refused, and so is a
 * 64-hex-digit name, which Docker reads as an image id.
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
  if (typeof ref !== "string") throw refuse("it is not a string");
  if (ref === "") throw refuse("it is empty");
  const match = referencePattern.exec(ref);
  if (match === null) throw refuse(whyNotAReference(ref));
  let [, domainPart, path = "", tagPart, digestPart] = match;
  // `host:5000` alone parses as path `host` with tag `5000`; a first component with '.' or ':' or
  // named localhost is a registry only when a path follows, exactly as the engines read it.
  if (domainPart !== undefined && !/[.:]/.test(domainPart) && domainPart !== "localhost") {
    if (/[A-Z]/.test(domainPart)) throw refuse("a repository name must be lower case");
    path = `${domainPart}/${path}`;
    domainPart = undefined;
  }
  if (normalizedLength(domainPart, path) > MAX_NAME_LENGTH) {
    throw refuse(
      `the name is longer than ${MAX_NAME_LENGTH} characters, counted as the engines count it ` +
        "(with docker.io/, or docker.io/library/ for a one-part name, in front of a name with no registry)",
    );
  }
  if (digestPart !== undefined) {
    if (options.tagOnly) throw refuse("a digest cannot be given here; use name:tag");
    const why = whyNotADigest(digestPart);
    if (why !== undefined) throw refuse(why);
  }
  if (options.tagOnly && domainPart === undefined && IMAGE_ID.test(path)) {
    throw refuse("a name of 64 hex digits reads as an image id; choose another name");
  }
  return { domain: domainPart, path, tag: tagPart, digest: digestPart };
}

/** The name's length as Docker checks it: `docker.io/[library/]` added when it names no registry. */
function normalizedLength(domainPart: string | undefined, path: string): number {
  const registry = domainPart === undefined || domainPart === "index.docker.io" ? "docker.io" : domainPart;
  const library = registry === "docker.io" && !path.includes("/") ? "library/".length : 0;
  return registry.length + 1 + library + path.length;
}

/** Why a digest the grammar allows is one the engines refuse, if it is. */
function whyNotADigest(value: string): string | undefined {
  const [algorithm = "", hex = ""] = value.split(":");
  const length = DIGEST_HEX_LENGTHS[algorithm];
  if (length === undefined) return "a digest's algorithm must be sha256, sha384 or sha512";
  if (hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    return `a ${algorithm} digest is ${length} lower-case hex digits`;
  }
  return undefined;
}

/** The likeliest reason a string does not match the grammar, in the user's terms. */
function whyNotAReference(ref: string): string {
  if (/\s/.test(ref)) return "it contains whitespace";
  if (referencePattern.test(ref.toLowerCase())) return "a repository name must be lower case";
  const name = ref.split("@")[0] ?? "";
  if (name.endsWith(":")) return "the tag after ':' is empty";
  const lastColon = name.lastIndexOf(":");
  if (lastColon > name.lastIndexOf("/") && /^[\w][\w.-]*$/.test(name.slice(lastColon + 1))) {
    if (name.length - lastColon - 1 > 128) return "a tag is at most 128 characters";
  }
  if (/^\/|\/\/|\/$/.test(name)) return "it has an empty path component ('//' or a '/' at an end)";
  return (
    "it is not a valid image reference (path components are lower-case letters and digits joined " +
    "by '.', '_', '__' or '-'; a tag is letters, digits, '_', '.' and '-', not starting with '.' or '-')"
  );
}
