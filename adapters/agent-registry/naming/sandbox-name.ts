import { namespaceOf } from "../resources/meta.js";
import { shortHash } from "./base32.js";

/** Prefix of every sandbox this adapter names: marks it as made for an agent-registry deployment. */
export const SANDBOX_NAME_PREFIX = "ar-";

/** OpenShell sandbox names are DNS-1123 labels of at most 19 characters. */
export const SANDBOX_NAME_MAX = 19;

const HASH_LENGTH = 8;
const SLUG_MAX = SANDBOX_NAME_MAX - SANDBOX_NAME_PREFIX.length - 1 - HASH_LENGTH;

/** What names a deployment: its metadata, as the registry sends it. */
export interface DeploymentMetadataLike {
  /** The deployment's metadata. */
  metadata: { name: string; namespace?: string | undefined; uid?: string | undefined };
}

/** The start of `name` as sandbox-name characters: lowercase letters, digits, single dashes. */
function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, SLUG_MAX)
    .replace(/-+$/, "");
}

/**
 * The sandbox name for a deployment: `ar-<start of its name>-<8 base32 characters of a SHA-256 of
 * namespace, name and uid>`, at most 19 characters and always a valid OpenShell sandbox name
 * (`ar-echo-ag-k3v9q2xa`). Deterministic, so any adapter instance finds the sandbox of a deployment
 * without local state; the uid is part of it so that a deployment deleted and created again under
 * the same name gets a fresh sandbox instead of meeting the old one still being deleted. The
 * readable part is a hint only: the full identity is in the sandbox's labels.
 */
export function sandboxNameFor(deployment: DeploymentMetadataLike): string {
  const { name, uid } = deployment.metadata;
  const hash = shortHash([namespaceOf(deployment.metadata), name, uid ?? ""], HASH_LENGTH);
  const readable = slug(name);
  return readable === "" ? `${SANDBOX_NAME_PREFIX}${hash}` : `${SANDBOX_NAME_PREFIX}${readable}-${hash}`;
}
