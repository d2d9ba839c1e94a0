import type { Duplex } from "node:stream";
import type { EgressClient } from "./egress-types.js";
import {
  ClientFrames,
  type FrameLimits,
  type Termination,
  type TextRewrite,
} from "./websocket-client-frames.js";
import { CLOSE_INTERNAL_ERROR, CLOSE_PROTOCOL_ERROR, closeFrame, newMaskKey } from "./websocket-frames.js";

/** The upgrade a websocket's messages belong to: where its credentials must be bound. */
export interface WebSocketUpgradeRef {
  readonly host: string;
  readonly port: number;
  /** Origin-form path and query as the sandbox sent them. */
  readonly pathAndQuery: string;
}

/**
 * The egress proxy's hook for endpoints with `websocket_credential_rewrite`: for one upgrade the
 * policy allowed, what resolves the credential placeholders of each text message the sandbox sends
 * on it. Called once per upgrade; the function it gives is called once per whole message, in order.
 */
export type WebSocketTextRewriter = (
  client: EgressClient,
  upgrade: WebSocketUpgradeRef,
) => (text: string) => TextRewrite;

/** How long a text message may take to arrive whole; upstream's 30 s between reads and 120 s in all. */
export interface AssemblyTimeouts {
  readonly idleMs: number;
  readonly totalMs: number;
}

export const UPSTREAM_ASSEMBLY_TIMEOUTS: AssemblyTimeouts = { idleMs: 30_000, totalMs: 120_000 };

/** A closed side still flushing its close frame is cut after this long, so nothing lingers. */
const closeGraceMs = 2_000;

export interface TextRelayOptions {
  rewriteText(text: string): TextRewrite;
  /** Called once when the proxy itself ends the websocket (never for either side closing it). */
  onEnd(termination: Termination): void;
  limits?: FrameLimits;
  timeouts?: AssemblyTimeouts;
  /** permessage-deflate was negotiated (as ClientFrames' `deflate` option). */
  deflate?: boolean;
}

/**
 * Relays an upgraded websocket, reading the sandbox's frames through {@link ClientFrames} (text
 * messages' placeholders resolved) while the upstream's go back unread, as upstream's supervisor
 * does. `clientHead` is what the sandbox sent before the upstream switched protocols. When a
 * frame or a credential ends the relay, the sandbox gets a close frame with the code (and the
 * upstream the same code for a protocol error, only the end of its connection for a refused
 * credential, so it never gets part of a message), then both are closed.
 */
export function relayWebSocketText(
  client: Duplex,
  upstream: Duplex,
  clientHead: Buffer,
  options: TextRelayOptions,
): void {
  const frames = new ClientFrames({
    rewriteText: options.rewriteText,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    deflate: options.deflate === true,
  });
  const timeouts = options.timeouts ?? UPSTREAM_ASSEMBLY_TIMEOUTS;
  let idle: NodeJS.Timeout | undefined;
  let total: NodeJS.Timeout | undefined;
  let ended = false;

  const destroyBoth = () => {
    clearTimers();
    client.destroy();
    upstream.destroy();
  };
  client.on("error", destroyBoth);
  upstream.on("error", destroyBoth);
  client.once("close", () => {
    clearTimers();
    upstream.destroy();
  });
  upstream.once("close", (hadError: boolean) => {
    if (hadError || !upstream.readableEnded) client.destroy();
  });
  upstream.pipe(client);

  function clearTimers() {
    clearTimeout(idle);
    clearTimeout(total);
    idle = total = undefined;
  }

  function timedOut(why: string) {
    terminate({ code: CLOSE_PROTOCOL_ERROR, reason: "", closeUpstream: true, credential: false, why });
  }

  /** Times a message in assembly: its idle clock restarts with each read, its total one does not. */
  function timeAssembly() {
    if (!frames.assembling) return clearTimers();
    clearTimeout(idle);
    idle = setTimeout(() => timedOut("text message assembly idle timeout"), timeouts.idleMs);
    total ??= setTimeout(() => timedOut("text message assembly total timeout"), timeouts.totalMs);
  }

  function terminate(termination: Termination) {
    if (ended) return;
    ended = true;
    clearTimers();
    client.off("data", onData);
    // What the sandbox still sends is dropped, so its end is seen and its connection closes.
    client.resume();
    upstream.unpipe(client);
    // The upstream's last bytes are dropped, so its end is seen and the sandbox's close frame is not cut.
    upstream.resume();
    options.onEnd(termination);
    const cut = setTimeout(destroyBoth, closeGraceMs);
    cut.unref();
    if (client.writable) client.end(closeFrame(termination.code, termination.reason));
    if (!upstream.writable) return;
    if (termination.closeUpstream) upstream.end(closeFrame(termination.code, "", newMaskKey()));
    else upstream.end();
  }

  function onData(chunk: Buffer) {
    let pushed: ReturnType<ClientFrames["push"]>;
    try {
      pushed = frames.push(chunk);
    } catch (error) {
      // The credentials could not be read (state store): 1011, as a server that cannot go on says.
      const why = `resolving a websocket message failed: ${error instanceof Error ? error.message : String(error)}`;
      return terminate({
        code: CLOSE_INTERNAL_ERROR,
        reason: "",
        closeUpstream: false,
        credential: false,
        why,
      });
    }
    const { out, end } = pushed;
    let flowing = true;
    for (const bytes of out) flowing = upstream.write(bytes) && flowing;
    if (end !== undefined) return terminate(end);
    timeAssembly();
    if (!flowing) {
      client.pause();
      upstream.once("drain", () => {
        if (!ended) client.resume();
      });
    }
  }

  client.on("data", onData);
  client.once("end", () => {
    clearTimers();
    if (!ended && upstream.writable) upstream.end();
  });
  if (clientHead.length > 0) onData(clientHead);
}
