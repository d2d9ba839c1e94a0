import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { EgressRequest } from "./egress-policy.js";
import { event, type ProxyContext } from "./proxy-context.js";
import { respondRaw, upstreamFailure } from "./proxy-responses.js";
import { passGate } from "./request-gate.js";
import { tunnelTarget } from "./request-target.js";
import { adoptClientSocket, dial, relay } from "./socket-relay.js";
import { inspectTunnel } from "./tunnel-inspection.js";

const established = "HTTP/1.1 200 Connection Established\r\n\r\n";

/**
 * A CONNECT: decided on host and port, then a TCP connection to the checked address, and the
 * tunnel either relayed both ways (`tls: skip`) or looked into ({@link inspectTunnel}: TLS
 * terminated, HTTP requests checked one by one); or a local service served over the tunnel; or a
 * 403 saying why and the connection closed. `head` is what the client sent after its request head.
 */
export async function openTunnel(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer) {
  const parsed = tunnelTarget(req.url);
  if (!parsed.ok) return respondRaw(socket, 400, parsed.message);
  const { host, port } = parsed.value;
  const request: EgressRequest = { host, port, kind: "connect" };

  const gate = await passGate(ctx, socket, request);
  if (gate.to === "refusal") return respondRaw(socket, gate.status, gate.message, gate.denied);
  if (gate.to === "local") {
    adoptClientSocket(socket);
    if (head.length > 0) socket.unshift(head);
    socket.write(established);
    ctx.serveLocal(socket, gate.who.client, gate.service);
    return;
  }
  if (socket.destroyed) return;
  let upstream: Socket;
  try {
    upstream = await dial(gate.address, port, ctx.connectTimeoutMs);
  } catch (error) {
    const failure = upstreamFailure(`${host}:${port}`, error);
    ctx.emit(event(gate.who, request, gate.decision, failure.outcome));
    return respondRaw(socket, failure.status, failure.message);
  }
  ctx.track(upstream);
  ctx.emit(event(gate.who, request, gate.decision, "tunnel open"));
  if (socket.destroyed) {
    upstream.destroy();
    return;
  }
  adoptClientSocket(socket);
  socket.write(established);
  // A client that sent its bytes and its end with the CONNECT has nothing more to read: its bytes
  // cannot be put back to be read again, and no TLS handshake can follow, so they go as they are.
  // (With L7 rules they could only be relayed unchecked, so the tunnel is closed instead.)
  if (socket.readableEnded && gate.decision.tunnel === "l7") {
    ctx.emit(
      event(
        gate.who,
        request,
        gate.decision,
        "closed: the client ended the tunnel before its request could be checked",
      ),
    );
    upstream.destroy();
    return void socket.destroy();
  }
  if (gate.decision.tunnel === "skip" || socket.readableEnded) {
    if (head.length > 0) upstream.write(head);
    return relay(socket, upstream);
  }
  // Read again as the first bytes of the tunnel, which tell TLS from plain.
  if (head.length > 0) socket.unshift(head);
  await inspectTunnel(ctx, { gate, request, host, port }, socket, upstream);
}
