import type { JsonObject } from "@bufbuild/protobuf";
import { ProtocolError } from "../../errors.js";
import type { SandboxWorkloadTemplate } from "../../gen/openshell/v1/openshell_pb.js";

/** A stored sandbox workload template, as the gateway reports it. */
export interface TemplateInfo {
  /** The gateway's id of the template. */
  id: string;
  name: string;
  workspace: string;
  /** Object labels (matched by `templates.list({ labels })`). */
  labels: Record<string, string>;
  /** Container image of the sandboxes created from the template. */
  image: string;
  env: Record<string, string>;
  /** CPU and memory quantities the sandboxes get as limits (`""` when unset). */
  resources: { cpu: string; memory: string };
  /** Number of GPUs; undefined when the template asks for none. */
  gpus: number | undefined;
  driverConfig: JsonObject | undefined;
  /** Desired startup service level, when the template sets one. */
  startup: { readyWithinMs: number | undefined; maxBurst: number } | undefined;
  /** Optimistic-concurrency version (a uint64, kept exact); sandboxes record it as a string. */
  resourceVersion: bigint;
  createdAt: Date;
  /** The message as received, for fields the SDK does not surface yet. */
  raw: SandboxWorkloadTemplate;
}

/** Curates a SandboxWorkloadTemplate; `rpc` names the call in the error for a missing template. */
export function toTemplateInfo(template: SandboxWorkloadTemplate | undefined, rpc: string): TemplateInfo {
  if (!template) throw new ProtocolError(`${rpc}: the gateway answered without a template`);
  const meta = template.metadata;
  const workload = template.spec?.workload;
  const startup = template.spec?.desiredServiceLevel?.startup;
  const within = startup?.readyWithin;
  return {
    id: meta?.id ?? "",
    name: meta?.name ?? "",
    workspace: meta?.workspace || "default",
    labels: { ...(meta?.labels ?? {}) },
    image: workload?.image ?? "",
    env: { ...(workload?.environment ?? {}) },
    resources: { cpu: workload?.resources?.cpu ?? "", memory: workload?.resources?.memory ?? "" },
    gpus: workload?.resources?.gpu?.count,
    driverConfig: template.spec?.driverConfig,
    startup: startup && {
      readyWithinMs: within ? Number(within.seconds) * 1000 + Math.floor(within.nanos / 1e6) : undefined,
      maxBurst: startup.maxBurst,
    },
    resourceVersion: meta?.resourceVersion ?? 0n,
    createdAt: new Date(Number(meta?.createdAtMs ?? 0n)),
    raw: template,
  };
}
