import { create, type JsonObject } from "@bufbuild/protobuf";
import { FailedPreconditionError, InvalidArgumentError } from "../../errors.js";
import {
  type SandboxSpec,
  SandboxSpecSchema,
  type SandboxWorkloadTemplateSpec,
} from "../../gen/openshell/v1/openshell_pb.js";

/** Which template, at which version, a sandbox was created from (Sandbox.created_from_workload_template). */
export interface TemplateProvenance {
  name: string;
  /** The template's resource version as a decimal string, as the protocol carries it. */
  resourceVersion: string;
}

/** The template a sandbox is being created from, as the store holds it. */
export interface AppliedTemplate {
  name: string;
  resourceVersion: number;
  spec: SandboxWorkloadTemplateSpec;
}

/** The spec a sandbox created from a template runs, and where it came from. */
export interface TemplatedSandbox {
  spec: SandboxSpec;
  provenance: TemplateProvenance;
}

/**
 * The request spec fields a create from a template may not set (SEMANTICS §3): the template owns
 * image, environment and resources, so a request setting them would silently lose to it or override
 * it. Only policy and providers may be added (and the main command, see applyWorkloadTemplate).
 *
 * @throws InvalidArgumentError naming every such field.
 */
export function checkTemplatedSpec(spec: SandboxSpec | undefined, templateName: string): void {
  if (spec === undefined) return;
  const refused = [
    spec.logLevel !== "" && "spec.log_level",
    Object.keys(spec.environment).length > 0 && "spec.environment",
    spec.template !== undefined && "spec.template",
    spec.resourceRequirements !== undefined && "spec.resource_requirements",
  ].filter((f): f is string => f !== false);
  const [field] = refused;
  if (field === undefined) return;
  throw new InvalidArgumentError(
    `${refused.join(", ")} cannot be set with workload_template_name "${templateName}": the template ` +
      "owns image, environment and resources; only policy and providers may be added (leave the rest out, " +
      "or create a template that has them)",
    { field },
  );
}

/**
 * The sandbox spec a create from `template` runs: image, environment, cpu and memory (as container
 * limits), GPUs and driver config from the template; policy and providers from the request.
 *
 * The request's `command` and `tty` are kept. Upstream's PR head drops them (the sandbox runs the
 * default shell although the CLI sends a command), which looks like a bug; dropping them here would
 * run something other than what the caller asked for, without saying so.
 *
 * `driver` is the runtime local mode runs on (`docker`, `podman`): driver_config is keyed by driver
 * name and each driver reads only its own entry, so another driver's entry is kept in the snapshot but
 * has no effect here, as on a gateway with a different driver. An entry for this very driver asks for
 * settings local mode does not apply, so the create is refused rather than run without them.
 *
 * @throws FailedPreconditionError when the template has a driver_config entry for `driver`.
 */
export function applyWorkloadTemplate(
  template: AppliedTemplate,
  requested: SandboxSpec | undefined,
  driver: string,
): TemplatedSandbox {
  const driverConfig = template.spec.driverConfig;
  if (driverConfig !== undefined && Object.hasOwn(driverConfig, driver)) {
    throw new FailedPreconditionError(
      `sandbox template "${template.name}" sets driver_config.${driver}, which local mode does not apply ` +
        `(it runs ${driver} containers from the template's image, environment and resources only): ` +
        `remove driver_config.${driver} from the template, or create the sandbox on an OpenShell gateway ` +
        "(OpenShell.connect()) whose driver applies it",
    );
  }
  const workload = template.spec.workload;
  const resources = workload?.resources;
  const limits: JsonObject = {
    ...(resources?.cpu ? { cpu: resources.cpu } : {}),
    ...(resources?.memory ? { memory: resources.memory } : {}),
  };
  const gpu = resources?.gpu;
  const spec = create(SandboxSpecSchema, {
    command: [...(requested?.command ?? [])],
    tty: requested?.tty ?? false,
    providers: [...(requested?.providers ?? [])],
    // Where a plain create carries its variables, so the snapshot reads the same either way.
    environment: { ...workload?.environment },
    ...(requested?.policy === undefined ? {} : { policy: requested.policy }),
    ...(gpu === undefined
      ? {}
      : { resourceRequirements: { gpu: gpu.count === undefined ? {} : { count: gpu.count } } }),
    template: {
      image: workload?.image ?? "",
      ...(Object.keys(limits).length === 0 ? {} : { resources: { limits } }),
      ...(driverConfig === undefined ? {} : { driverConfig }),
    },
  });
  return {
    spec,
    provenance: { name: template.name, resourceVersion: String(template.resourceVersion) },
  };
}
