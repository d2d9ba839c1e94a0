import type { ConnectRouter } from "@connectrpc/connect";
import { Inference } from "../gen/openshell/inference/v1/inference_pb.js";
import { OpenShell as OpenShellService } from "../gen/openshell/v1/openshell_pb.js";
import type { ContainerRuntime } from "../runtime/container-runtime.js";
import { execHandlers } from "./handlers/exec-handlers.js";
import { forwardHandlers } from "./handlers/forward-handlers.js";
import { gatewayInfoHandlers } from "./handlers/gateway-info-handlers.js";
import { inferenceHandlers } from "./handlers/inference-handlers.js";
import { activePolicyVersionOf, policyHandlers, recordInitialPolicy } from "./handlers/policy-handlers.js";
import { providerHandlers } from "./handlers/provider-handlers.js";
import { sandboxHandlers } from "./handlers/sandbox-handlers.js";
import { watchHandlers } from "./handlers/watch-handlers.js";
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
  });
  const deps = { store, sandboxes };
  const routes = (router: ConnectRouter) => {
    router.service(OpenShellService, {
      ...gatewayInfoHandlers({ driver: { name: runtime.kind, version: options.runtimeVersion } }),
      ...sandboxHandlers({
        sandboxes,
        store,
        recordInitialPolicy: (sandbox) => recordInitialPolicy(store, sandbox),
      }),
      ...watchHandlers(sandboxes, store),
      ...execHandlers(runtime, sandboxes),
      ...forwardHandlers(sandboxForwardBackend(sandboxes, runtime, options.network, options.endpoint)),
      ...providerHandlers(deps),
      ...policyHandlers(deps),
    });
    router.service(Inference, inferenceHandlers(deps));
  };
  return { routes, sandboxes };
}
