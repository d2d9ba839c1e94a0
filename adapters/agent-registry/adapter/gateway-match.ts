import type { OpenShell } from "openshell";
import type { GatewaySelection } from "../resources/openshell-config.js";
import { invalidField } from "../resources/parse.js";

/** The gateway a client talks to, in a person's words. */
export function describeClient(client: OpenShell): string {
  if (client.localGateway !== undefined) return "the embedded local gateway";
  return client.gatewayName !== undefined
    ? `gateway "${client.gatewayName}" (${client.endpoint})`
    : client.endpoint;
}

function sameEndpoint(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.protocol === y.protocol && x.host === y.host;
  } catch {
    return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
  }
}

/**
 * Checks that the Runtime's config names the gateway this adapter's client talks to (an adapter
 * serves one gateway; register one per gateway). A Runtime that names none means the active one.
 *
 * @throws InvalidArgumentError naming `runtime.spec.config` on a mismatch, before anything is touched.
 */
export function checkGateway(client: OpenShell, selection: GatewaySelection): void {
  const serving = describeClient(client);
  const mismatch = (what: string) =>
    invalidField(
      `runtime.spec.config.${selection.kind === "endpoint" ? "endpoint" : "gateway"}`,
      `names ${what} but this adapter serves ${serving}: run one adapter per gateway, or fix the Runtime`,
    );
  switch (selection.kind) {
    case "active":
      return;
    case "local":
      if (client.localGateway === undefined) mismatch("the local gateway");
      return;
    case "named":
      if (client.gatewayName !== selection.name) mismatch(`gateway "${selection.name}"`);
      return;
    case "endpoint":
      if (!sameEndpoint(selection.url, client.endpoint)) mismatch(`endpoint ${selection.url}`);
      return;
  }
}
