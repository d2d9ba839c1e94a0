import type { Socket } from "node:net";
import type { ConnectionTuple } from "../processes/socket-owners.js";
import type { EgressDecision, EgressRequest } from "./egress-policy.js";
import type { LocalService } from "./egress-types.js";
import {
  event,
  localServiceDecision,
  type ProxyContext,
  type Sandbox,
  unidentifiedDecision,
} from "./proxy-context.js";
import { admit } from "./upstream-admission.js";

/** The connection as its process holds it in the sandbox: the sandbox's side and the proxy's. */
function connectionTuple(socket: Socket): ConnectionTuple | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return undefined;
  if (localAddress === undefined || localPort === undefined) return undefined;
  return {
    sandbox: { address: remoteAddress, port: remotePort },
    proxy: { address: localAddress, port: localPort },
  };
}

export type Gate =
  /** Allowed: connect to `address`, and report `decision` with the upstream's outcome. */
  | { to: "upstream"; who: Sandbox; address: string; decision: EgressDecision }
  /** A host the gateway answers itself (its event is already reported). */
  | { to: "local"; who: Sandbox; service: LocalService }
  /** Refused: answer `status` with `message` (its event is already reported). */
  | { to: "refusal"; status: number; message: string; denied: boolean };

/**
 * What every request and tunnel goes through first: which sandbox sent it, whether the gateway
 * answers the host itself, and what the sandbox's policy says (with the host resolved and the
 * address checked). Refusals and local services are reported here; an allowed request is reported
 * by its handler once the upstream has answered.
 */
export async function passGate(ctx: ProxyContext, socket: Socket, request: EgressRequest): Promise<Gate> {
  const who = await ctx.identify(socket);
  if (who.client === undefined) {
    ctx.emit(event(who, request, unidentifiedDecision(who.reason)));
    return { to: "refusal", status: who.status, message: who.reason, denied: true };
  }
  const service = ctx.localServices?.get(request.host);
  if (service !== undefined) {
    ctx.emit(event(who, request, localServiceDecision(request.host)));
    return { to: "local", who, service };
  }
  const admission = await admit(ctx, who.client, request, { socket, tuple: connectionTuple(socket) });
  if (!admission.ok) {
    ctx.emit(event(who, request, admission.decision, admission.outcome));
    return {
      to: "refusal",
      status: admission.status,
      message: admission.message,
      denied: admission.status === 403,
    };
  }
  return { to: "upstream", who, address: admission.address, decision: admission.decision };
}
