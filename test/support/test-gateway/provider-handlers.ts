import { clone } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type Provider, ProviderSchema } from "../../../src/gen/openshell/datamodel/v1/datamodel_pb.js";
import type { OpenShell } from "../../../src/gen/openshell/v1/openshell_pb.js";
import { type ProviderRepository, providerService } from "../../../src/local/protocol/provider-service.js";
import { providerExists } from "../../../src/local/protocol/providers.js";
import type { GatewayState } from "./gateway-state.js";
import { sandboxDirectory } from "./sandbox-directory.js";

/** Providers in `state.providers`, keyed by `workspace/name`; callers get copies. */
function memoryProviders(state: GatewayState): ProviderRepository {
  const key = (name: string, workspace: string) => `${workspace}/${name}`;
  const keyOf = (p: Provider) => key(p.metadata?.name ?? "", p.metadata?.workspace ?? "");
  const byName = (a: Provider, b: Provider) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
  return {
    get(name, workspace) {
      const provider = state.providers.get(key(name, workspace));
      return provider && clone(ProviderSchema, provider);
    },
    list(workspace) {
      return [...state.providers.values()]
        .filter((p) => workspace === undefined || p.metadata?.workspace === workspace)
        .sort(byName)
        .map((p) => clone(ProviderSchema, p));
    },
    create(provider) {
      if (state.providers.has(keyOf(provider))) {
        throw providerExists(provider.metadata?.name ?? "", provider.metadata?.workspace ?? "");
      }
      state.providers.set(keyOf(provider), clone(ProviderSchema, provider));
    },
    replace(provider, expectedVersion) {
      if (provider.metadata) provider.metadata.resourceVersion = expectedVersion + 1n;
      state.providers.set(keyOf(provider), clone(ProviderSchema, provider));
    },
    delete(name, workspace) {
      return state.providers.delete(key(name, workspace));
    },
  };
}

export function providerHandlers(state: GatewayState): Partial<ServiceImpl<typeof OpenShell>> {
  return providerService(memoryProviders(state), sandboxDirectory(state), Date.now);
}
