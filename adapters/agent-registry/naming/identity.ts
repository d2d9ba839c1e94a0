import { namespaceOf } from "../resources/meta.js";
import { shortHash } from "./base32.js";
import { readLabelValue, writeLabelValue } from "./label-codec.js";

/** Prefix of the labels this adapter puts on what it makes. */
export const LABEL_PREFIX = "agent-registry.openshell.ai/";

/** The label keys of a deployment's identity. Encoded values live under `<key>.0`, `<key>.1`, .... */
export const IDENTITY_LABELS = {
  /** Always {@link MANAGED_BY}: select everything this adapter made. */
  managedBy: `${LABEL_PREFIX}managed-by`,
  /** A 16-character hash of namespace and name: select one deployment's sandboxes, whatever its uid. */
  deploymentKey: `${LABEL_PREFIX}deployment-key`,
  deployment: `${LABEL_PREFIX}deployment`,
  namespace: `${LABEL_PREFIX}namespace`,
  uid: `${LABEL_PREFIX}uid`,
  targetKind: `${LABEL_PREFIX}target-kind`,
  targetName: `${LABEL_PREFIX}target-name`,
  targetTag: `${LABEL_PREFIX}target-tag`,
} as const;

/** The value of the managed-by label. */
export const MANAGED_BY = "openshell-agent-registry";

/** Who a sandbox was made for: a registry deployment and the Agent or MCPServer it runs. */
export interface DeploymentIdentity {
  /** The Deployment's `metadata.name`. */
  deploymentName: string;
  /** Its namespace (`default` when the registry omitted it). */
  namespace: string;
  /** Its `metadata.uid`, when the registry gave one. */
  uid?: string;
  /** `Agent` or `MCPServer`. */
  targetKind: string;
  /** The target's name. */
  targetName: string;
  /** The target's tag (version), when there is one. */
  targetTag?: string;
}

/** The parts of a Deployment its identity comes from. */
export interface DeploymentLike {
  /** Name, namespace and uid. */
  metadata: { name: string; namespace?: string | undefined; uid?: string | undefined };
  /** What it deploys. */
  spec: { targetRef: { kind: string; name: string; tag?: string | undefined } };
}

/** The parts of a target (Agent, MCPServer) its identity comes from. */
export interface TargetLike {
  /** `Agent` or `MCPServer`. */
  kind: string;
  /** Name and tag. */
  metadata: { name: string; tag?: string | undefined };
}

const nonEmpty = (value: string | undefined): string | undefined => (value === "" ? undefined : value);

/** A deployment's identity; the target's own kind, name and tag win over the deployment's targetRef. */
export function deploymentIdentity(deployment: DeploymentLike, target?: TargetLike): DeploymentIdentity {
  const ref = deployment.spec.targetRef;
  const identity: DeploymentIdentity = {
    deploymentName: deployment.metadata.name,
    namespace: namespaceOf(deployment.metadata),
    targetKind: target?.kind ?? ref.kind,
    targetName: target?.metadata.name ?? ref.name,
  };
  const uid = nonEmpty(deployment.metadata.uid);
  if (uid !== undefined) identity.uid = uid;
  const tag = nonEmpty(target?.metadata.tag) ?? nonEmpty(ref.tag);
  if (tag !== undefined) identity.targetTag = tag;
  return identity;
}

/** The hash behind the deployment-key label. */
export function deploymentKey(identity: Pick<DeploymentIdentity, "namespace" | "deploymentName">): string {
  return shortHash([identity.namespace, identity.deploymentName], 16);
}

/**
 * The labels that carry a deployment's full identity, valid as gateway labels whatever the names
 * hold (values that are not valid label values are base32-encoded across numbered keys), so that
 * remove, logs and discover work from the gateway's labels alone after a restart:
 * {@link identityFromLabels} reads them back exactly.
 *
 * @throws InvalidArgumentError naming the field when a name is longer than 512 bytes.
 */
export function identityLabels(deployment: DeploymentLike, target?: TargetLike): Record<string, string> {
  const identity = deploymentIdentity(deployment, target);
  const labels: Record<string, string> = {
    [IDENTITY_LABELS.managedBy]: MANAGED_BY,
    [IDENTITY_LABELS.deploymentKey]: deploymentKey(identity),
  };
  writeLabelValue(labels, IDENTITY_LABELS.deployment, identity.deploymentName, "deployment.metadata.name");
  writeLabelValue(labels, IDENTITY_LABELS.namespace, identity.namespace, "deployment.metadata.namespace");
  if (identity.uid !== undefined)
    writeLabelValue(labels, IDENTITY_LABELS.uid, identity.uid, "deployment.metadata.uid");
  writeLabelValue(labels, IDENTITY_LABELS.targetKind, identity.targetKind, "target.kind");
  writeLabelValue(labels, IDENTITY_LABELS.targetName, identity.targetName, "target.metadata.name");
  if (identity.targetTag !== undefined) {
    writeLabelValue(labels, IDENTITY_LABELS.targetTag, identity.targetTag, "target.metadata.tag");
  }
  return labels;
}

/**
 * The identity {@link identityLabels} wrote, read back from a sandbox's labels; undefined for a
 * sandbox this adapter did not make (no managed-by label) or whose identity labels are incomplete.
 */
export function identityFromLabels(labels: Readonly<Record<string, string>>): DeploymentIdentity | undefined {
  if (labels[IDENTITY_LABELS.managedBy] !== MANAGED_BY) return undefined;
  const deploymentName = readLabelValue(labels, IDENTITY_LABELS.deployment);
  const namespace = readLabelValue(labels, IDENTITY_LABELS.namespace);
  const targetKind = readLabelValue(labels, IDENTITY_LABELS.targetKind);
  const targetName = readLabelValue(labels, IDENTITY_LABELS.targetName);
  if (
    deploymentName === undefined ||
    namespace === undefined ||
    targetKind === undefined ||
    targetName === undefined
  ) {
    return undefined;
  }
  const identity: DeploymentIdentity = { deploymentName, namespace, targetKind, targetName };
  const uid = readLabelValue(labels, IDENTITY_LABELS.uid);
  if (uid !== undefined) identity.uid = uid;
  const targetTag = readLabelValue(labels, IDENTITY_LABELS.targetTag);
  if (targetTag !== undefined) identity.targetTag = targetTag;
  return identity;
}

/** Label selector for everything this adapter made (for `sandboxes.list({ labels })`). */
export function managedSelector(): Record<string, string> {
  return { [IDENTITY_LABELS.managedBy]: MANAGED_BY };
}

/** Label selector for the sandboxes of one deployment (by namespace and name, any uid). */
export function deploymentSelector(deployment: Pick<DeploymentLike, "metadata">): Record<string, string> {
  const namespace = namespaceOf(deployment.metadata);
  return {
    ...managedSelector(),
    [IDENTITY_LABELS.deploymentKey]: deploymentKey({ namespace, deploymentName: deployment.metadata.name }),
  };
}
