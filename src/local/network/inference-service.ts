import type { LocalService } from "../egress/egress-proxy.js";
import { storedRoutes } from "../handlers/inference-handlers.js";
import { storedProvider } from "../handlers/provider-handlers.js";
import { createInferenceHandler } from "../inference/inference-forwarder.js";
import type { CertificateAndKey } from "../listen/certificate-issuer.js";
import { defaultRouteName } from "../protocol/inference-routes.js";
import type { SandboxDirectory } from "../sandboxes/sandbox-directory.js";
import type { LocalStateStore } from "../state/state-store.js";

/** The host sandboxes call for inference; the proxy answers it itself. */
export const INFERENCE_HOST = "inference.local";

/**
 * `inference.local` as the egress proxy serves it: each request goes to the provider of the
 * sandbox's workspace's default route, with the provider's credential added by the gateway. Over
 * plain HTTP, and over HTTPS with `tls` (signed by the egress CA that sandboxes trust).
 */
export function inferenceLocalService(options: {
  store: LocalStateStore;
  sandboxes: () => Pick<SandboxDirectory, "gatewayLog" | "byId"> | undefined;
  tls?: CertificateAndKey;
}): LocalService {
  const routes = storedRoutes(options.store);
  const handler = createInferenceHandler({
    route: (workspace) => routes.get(workspace, defaultRouteName),
    provider(workspace, name) {
      const provider = storedProvider(options.store, workspace, name);
      return provider === undefined
        ? undefined
        : { type: provider.type, credentials: { ...provider.credentials }, config: { ...provider.config } };
    },
    onEvent: (line) => options.sandboxes()?.gatewayLog(line.sandboxId, line.level, line.message),
  });
  return {
    handle(req, res, client) {
      let workspace: string | undefined;
      try {
        workspace = options.sandboxes()?.byId(client.sandboxId).workspace;
      } catch {
        // Deleted meanwhile: the default workspace's route answers, as for any unknown workspace.
      }
      handler.handle(req, res, {
        sandboxId: client.sandboxId,
        sandboxName: client.sandboxName,
        ...(workspace === undefined ? {} : { workspace }),
      });
    },
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  };
}
