/**
 * A caller that connects for every message (as a one-shot `invoke` would): `connectAgent` (open a
 * forward, take a token, read the card through it), one send, `close()`; beside the SDK client built
 * afresh on the container's address (card read there) for one send. Timed phase by phase, so the
 * forward's setup is seen apart from the send it carries.
 */
import type { Sandbox } from "openshell";
import { connectAgent } from "openshell/adapters/a2a";
import { PhaseClock, type Way } from "../shared/rounds.js";
import { checkReply, DIRECT, directClient, directSend, FORWARD, TEXT } from "./ways.js";

export type ConnectPhase = "connect" | "send" | "close";
export const CONNECT_PHASES: readonly ConnectPhase[] = ["connect", "send", "close"];

/** connectAgent, `agent.send("hi")`, close. */
export function connectForwardWay(sandbox: Sandbox, port: number): Way<ConnectPhase> {
  return {
    name: FORWARD,
    async round() {
      const clock = new PhaseClock(CONNECT_PHASES);
      const agent = await clock.phase("connect", () => connectAgent(sandbox, { port }));
      try {
        checkReply(await clock.phase("send", () => agent.send(TEXT)));
      } finally {
        await clock.phase("close", () => agent.close());
      }
      return clock.times;
    },
  };
}

/**
 * A new SDK client on `http://<address>:<port>` (the card fetched again), then one send. Node's
 * fetch keeps its connection to the container alive from round to round; each forward is a new
 * listener, so only the forward's side opens a TCP connection (and a tunnel) per round.
 */
export function connectDirectWay(address: string, port: number): Way<ConnectPhase> {
  return {
    name: DIRECT,
    async round() {
      const clock = new PhaseClock(CONNECT_PHASES);
      const client = await clock.phase("connect", () => directClient(address, port));
      checkReply(await clock.phase("send", () => directSend(client)));
      await clock.phase("close", async () => {});
      return clock.times;
    },
  };
}
