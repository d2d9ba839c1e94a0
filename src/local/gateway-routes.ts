import type { ConnectRouter } from "@connectrpc/connect";
import { Inference } from "../gen/openshell/inference/v1/inference_pb.js";
import { OpenShell as OpenShellService } from "../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../runtime/container-runtime.js";
import type { MountSpec } from "../runtime/container-spec.js";
import { DraftStore } from "./drafts/draft-store.js";
import { draftPolicyHandlers } from "./handlers/draft-policy-handlers.js";
import { execHandlers } from "./handlers/exec-handlers.js";
import { forwardHandlers } from "./handlers/forward-handlers.js";
import { gatewayInfoHandlers } from "./handlers/gateway-info-handlers.js";
import { inferenceHandlers } from "./handlers/inference-handlers.js";
import {
  activePolicyVersionOf,
  type PolicyLoader,
  policyHandlers,
  recordInitialPolicy,
  storedPolicies,
} from "./handlers/policy-handlers.js";
import { providerHandlers } from "./handlers/provider-handlers.js";
import { sandboxHandlers } from "./handlers/sandbox-handlers.js";
import { serviceHandlers } from "./handlers/service-handlers.js";
import { templateHandlers, workloadTemplateResolver } from "./handlers/template-handlers.js";
import { withUnservedAnswers } from "./handlers/unserved-handlers.js";
import { watchHandlers } from "./handlers/watch-handlers.js";
import { workspaceHandlers } from "./handlers/workspace-handlers.js";
import type { SandboxTrustBundles } from "./network/sandbox-trust-bundles.js";
import { invalidArgument } from "./protocol/gateway-errors.js";
import { promptStreamHeaders } from "./protocol/prompt-stream-headers.js";
import { sandboxForwardBackend } from "./sandboxes/sandbox-forward-backend.js";
import { SandboxManager } from "./sandboxes/sandbox-manager.js";
import { ServiceListeners } from "./services/service-listeners.js";
import type { LocalStateStore } from "./state/state-store.js";

export interface GatewayRoutesOptions {
  runtime: ContainerRuntime;
  runtimeVersion: string;
  store: LocalStateStore;
  network: string;
  gatewayLabels: Readonly<Record<string, string>>;
  /** Where the gateway listens, for forward sessions; changes when `listen()` is called. */
  endpoint: () => URL;
  defaultImage?: string;
  stopTimeoutSeconds?: number;
  /** The egress proxy's variables, set in every sandbox container. */
  egressEnv?: Readonly<Record<string, string>>;
  /** Mounts every sandbox container gets (the egress CA folder). */
  extraMounts?: readonly MountSpec[];
  /** This host's address on the sandbox network, as `host.openshell.internal` in /etc/hosts. */
  hostAliasAddress?: string;
  /** The per-image CA bundle folders, one mounted in every sandbox container. */
  trustBundles?: SandboxTrustBundles;
  /** Throws when the gateway cannot enforce a policy (refused at create, FAILED at update). */
  checkPolicy?: PolicyLoader;
  /** A revision of the sandbox was loaded. */
  onPolicyLoaded?: (sandboxId: string) => void;
  /** A sandbox was retired: what is kept for it elsewhere (egress caches, binary pins) may go. */
  onSandboxGone?: (sandboxId: string) => void;
  /** Written on each new sandbox's gateway log: what this gateway does not enforce here. */
  sandboxWarning?: string;
}

/** Every service of the gateway protocol, over one sandbox manager and one state store. */
export function gatewayRoutes(options: GatewayRoutesOptions): {
  routes: (router: ConnectRouter) => void;
  sandboxes: SandboxManager;
  /** The service endpoints' listeners: restored after the sandboxes start, closed with the gateway. */
  services: ServiceListeners;
} {
  const { runtime, store } = options;
  const sandboxes = new SandboxManager({
    runtime,
    store,
    network: options.network,
    gatewayLabels: options.gatewayLabels,
    policyVersion: (sandboxId) => activePolicyVersionOf(store, sandboxId),
    ...(options.defaultImage === undefined ? {} : { defaultImage: options.defaultImage }),
    ...(options.stopTimeoutSeconds === undefined ? {} : { stopTimeoutSeconds: options.stopTimeoutSeconds }),
    ...(options.egressEnv === undefined ? {} : { egressEnv: options.egressEnv }),
    ...(options.extraMounts === undefined ? {} : { extraMounts: options.extraMounts }),
    ...(options.hostAliasAddress === undefined ? {} : { hostAliasAddress: options.hostAliasAddress }),
    ...(options.trustBundles === undefined ? {} : { trustBundles: options.trustBundles }),
    ...(options.onSandboxGone === undefined ? {} : { onSandboxGone: options.onSandboxGone }),
  });
  const checkPolicy = options.checkPolicy;
  const deps = { store, sandboxes };
  const policyDeps = {
    ...deps,
    ...(checkPolicy === undefined ? {} : { loadPolicy: checkPolicy }),
    ...(options.onPolicyLoaded === undefined ? {} : { onPolicyLoaded: options.onPolicyLoaded }),
  };
  const forwardBackend = sandboxForwardBackend(sandboxes, runtime, options.network, options.endpoint);
  const services = new ServiceListeners(store.records, sandboxes, forwardBackend);
  const routes = (router: ConnectRouter) => {
    // Methods without a handler here answer UNIMPLEMENTED saying what to use instead.
    router.service(
      OpenShellService,
      withUnservedAnswers(OpenShellService, {
        ...gatewayInfoHandlers({ driver: { name: runtime.kind, version: options.runtimeVersion } }),
        ...sandboxHandlers({
          sandboxes,
          store,
          recordInitialPolicy: (sandbox) => {
            recordInitialPolicy(store, sandbox);
            if (options.sandboxWarning !== undefined)
              sandboxes.gatewayLog(sandbox.id, "WARN", options.sandboxWarning);
          },
          ...(checkPolicy === undefined
            ? {}
            : {
                checkPolicy: (policy) => {
                  if (policy === undefined) return;
                  try {
                    checkPolicy(policy);
                  } catch (error) {
                    throw invalidArgument(`spec.policy cannot be enforced: ${(error as Error).message}`);
                  }
                },
              }),
          fromWorkloadTemplate: workloadTemplateResolver(store.records, runtime.kind),
        }),
        ...templateHandlers(store.records),
        ...watchHandlers(sandboxes, store),
        ...execHandlers(runtime, sandboxes),
        ...forwardHandlers(forwardBackend),
        ...serviceHandlers({ store, sandboxes, listeners: services }),
        ...providerHandlers(deps),
        ...workspaceHandlers({ store }),
        ...policyHandlers(policyDeps),
        // Approved draft rules become revisions the way UpdateConfig's do, loaded the same way.
        ...draftPolicyHandlers({
          sandboxes,
          drafts: new DraftStore(store.records),
          policies: storedPolicies(policyDeps),
          ...(checkPolicy === undefined ? {} : { loadPolicy: checkPolicy }),
          onDraftChanged: (sandboxId) => sandboxes.live(sandboxId)?.announce(),
        }),
      }),
    );
    router.service(Inference, withUnservedAnswers(Inference, inferenceHandlers(deps)));
  };
  // Streams are answered at once, as upstream answers them: a silent exec is not a silent gateway.
  return { routes: promptStreamHeaders(routes), sandboxes, services };
}
