import { ProtocolError } from "../../errors.js";
import type { Provider } from "../../gen/openshell/datamodel/v1/datamodel_pb.js";

/**
 * A provider as the gateway reports it. Credential values are write-only: only their keys are kept,
 * so a `ProviderInfo` can be logged, printed or serialized without leaking a secret.
 */
export interface ProviderInfo {
  /** The gateway's id of the provider. */
  id: string;
  name: string;
  workspace: string;
  /** The provider type (`"openai"`, `"github"`, ...). */
  type: string;
  /** Names of the credentials the provider holds (`["OPENAI_API_KEY"]`), sorted; never their values. */
  credentialKeys: string[];
  /** Non-secret settings (`OPENAI_BASE_URL`, ...). */
  config: Record<string, string>;
  /** Optimistic-concurrency version (a uint64, kept exact); pass it as `expectedResourceVersion`. */
  resourceVersion: bigint;
  createdAt: Date;
}

/**
 * Curates a Provider message. The message's `credentials` map (values "REDACTED" from a real gateway,
 * but possibly real from another implementation) is read for its keys only and never copied.
 */
export function toProviderInfo(message: Provider | undefined, rpc: string): ProviderInfo {
  if (!message) throw new ProtocolError(`${rpc}: the gateway answered without a provider`);
  const meta = message.metadata;
  return {
    id: meta?.id ?? "",
    name: meta?.name ?? "",
    workspace: meta?.workspace || "default",
    type: message.type,
    credentialKeys: Object.keys(message.credentials).sort(),
    config: { ...message.config },
    resourceVersion: meta?.resourceVersion ?? 0n,
    createdAt: new Date(Number(meta?.createdAtMs ?? 0n)),
  };
}
