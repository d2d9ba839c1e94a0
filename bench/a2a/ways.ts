/**
 * The two ways of sending one A2A message to the same agent: `agent.send` on a `connectAgent`
 * connection (through the port forward), and the same `@a2a-js/sdk` client built the same way
 * (JSON-RPC transport, legacy compatibility on, every request sent to one origin) on the container's
 * own address, with no forward in between.
 */
import type { Message, Task } from "@a2a-js/sdk";
import {
  type Client,
  ClientFactory,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from "@a2a-js/sdk/client";
import { type AgentConnection, replyText, textMessage } from "openshell/adapters/a2a";
import type { Way } from "../shared/rounds.js";

export const FORWARD = "connectAgent (forward)";
export const DIRECT = "SDK client, container address";
/** What every send says; the echo agent answers `echo: hi`. */
export const TEXT = "hi";
const EXPECTED = `echo: ${TEXT}`;

/**
 * A `fetch` that sends every request to `origin`, keeping path and query. The agent's card names
 * http://localhost:8080/ (its own view of itself), which does not reach the container from here;
 * connectAgent rewrites the same way towards its forward, so both clients do the same work per call.
 */
function fetchTo(origin: string): typeof fetch {
  const base = new URL(origin);
  const rewrite = (url: string | URL) => {
    const target = new URL(url);
    return new URL(`${target.pathname}${target.search}`, base).toString();
  };
  return (input, init) =>
    input instanceof Request
      ? fetch(new Request(rewrite(input.url), input), init)
      : fetch(rewrite(input), init);
}

/** The SDK client on `http://<address>:<port>`, its card fetched from there. */
export async function directClient(address: string, port: number): Promise<Client> {
  const fetchImpl = fetchTo(`http://${address}:${port}`);
  const legacyCompat = { enabled: true };
  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl, legacyCompat }),
    preferredTransports: ["JSONRPC"],
  });
  return await factory.createFromUrl(`http://${address}:${port}`);
}

/** Throws unless `reply` is the echo of {@link TEXT}: a fast wrong answer is no figure. */
export function checkReply(reply: Message | Task): void {
  const text = replyText(reply);
  if (text !== EXPECTED) {
    throw new Error(`the agent answered ${JSON.stringify(text)}, not ${JSON.stringify(EXPECTED)}`);
  }
}

/** The message `agent.send(TEXT)` builds, sent by the bare SDK client. */
export const directSend = (client: Client): Promise<Message | Task> =>
  client.sendMessage({
    tenant: "",
    message: textMessage(TEXT),
    configuration: undefined,
    metadata: undefined,
  });

/** What one round records: the send's wall time, and this process's CPU time meanwhile (both ms). */
export type SendFigure = "send" | "cpu";

/**
 * Times one send, then checks its reply. The CPU time is the whole process's (user + system), which
 * in local mode includes the embedded gateway's side of the forward; nothing else runs meanwhile.
 */
async function timedSend(send: () => Promise<Message | Task>): Promise<Record<SendFigure, number>> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const reply = await send();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  checkReply(reply);
  return { send: elapsed, cpu: (used.user + used.system) / 1000 };
}

/** One `agent.send("hi")` through the forward. */
export function forwardWay(agent: AgentConnection): Way<SendFigure> {
  return { name: FORWARD, round: () => timedSend(() => agent.send(TEXT)) };
}

/** The same message, sent by the SDK client straight to the container. */
export function directWay(client: Client): Way<SendFigure> {
  return { name: DIRECT, round: () => timedSend(() => directSend(client)) };
}
