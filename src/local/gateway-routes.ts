import type { ConnectRouter } from "@connectrpc/connect";
import { Inference } from "../gen/openshell/inference/v1/inference_pb.js";
import { OpenShell as OpenShellService } from "../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../runtime/container-runtime.js";
import type { MountSpec } from "../runtime/container-spec.js";
import { execHandlers } from "./handlers/exec-handlers.js";
import { forwardHandlers } from "./handlers/forward-handlers.js";
import { gatewayInfoHandlers } from "./handlers/gateway-info-handlers.js";
import { inferenceHandlers } from "./handlers/inference-handlers.js";
import {
  activePolicyVersionOf,
  type PolicyLoader,
  policyHandlers,
  recordInitialPolicy,
} from "./handlers/policy-handlers.js";
import { providerHandlers } from "./handlers/provider-handlers.js";
import { sandboxHandlers } from "./handlers/sandbox-handlers.js";
import { refusingWorkloadTemplates } from "./handlers/unserved-fields.js";
import { withUnservedAnswers } from "./handlers/unserved-handlers.js";
import { watchHandlers } from "./handlers/watch-handlers.js";
import { invalidArgument } from "./protocol/gateway-errors.js";
import { promptStreamHeaders } from "./protocol/prompt-stream-headers.js";
import { sandboxForwardBackend } from "./sandboxes/sandbox-forward-backend.js";
import { SandboxManager } from "./sandboxes/sandbox-manager.js";
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
  /** Throws when the gateway cannot enforce a policy (refused at create, FAILED at update). */
  checkPolicy?: PolicyLoader;
  /** A revision of the sandbox was loaded. */
  onPolicyLoaded?: (sandboxId: string) => void;
  /** Written on each new sandbox's gateway log: what this gateway does not enforce here. */
  sandboxWarning?: string;
}

/** Every service of the gateway protocol, over one sandbox manager and one state store. */
export function gatewayRoutes(options: GatewayRoutesOptions): {
  routes: (router: ConnectRouter) => void;
  sandboxes: SandboxManager;
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
  });
  const checkPolicy = options.checkPolicy;
  const deps = { store, sandboxes };
  const routes = (router: ConnectRouter) => {
    // Methods without a handler here answer UNIMPLEMENTED saying what to use instead.
    router.service(
      OpenShellService,
      withUnservedAnswers(OpenShellService, {
        ...gatewayInfoHandlers({ driver: { name: runtime.kind, version: options.runtimeVersion } }),
        ...refusingWorkloadTemplates(
          sandboxHandlers({
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
          }),
        ),
        ...watchHandlers(sandboxes, store),
        ...execHandlers(runtime, sandboxes),
        ...forwardHandlers(sandboxForwardBackend(sandboxes, runtime, options.network, options.endpoint)),
        ...providerHandlers(deps),
        ...policyHandlers({
          ...deps,
          ...(checkPolicy === undefined ? {} : { loadPolicy: checkPolicy }),
          ...(options.onPolicyLoaded === undefined ? {} : { onPolicyLoaded: options.onPolicyLoaded }),
        }),
      }),
    );
    router.service(Inference, withUnservedAnswers(Inference, inferenceHandlers(deps)));
  };
  // Streams are answered at once, as upstream answers them: a silent exec is not a silent gateway.
  return { routes: promptStreamHeaders(routes), sandboxes };
}
