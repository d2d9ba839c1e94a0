import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_CARD_PATH } from "../../../../adapters/a2a/agent-card.js";
import { type AgentConnection, openAgentConnection } from "../../../../adapters/a2a/agent-connection.js";

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP server answering every request with `status` and `body`, or never answering (`hang`). */
export async function plainServer(answer: { status: number; body: string } | "hang"): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const server: Server = createServer((_req, res) => {
    if (answer === "hang") return;
    res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Connects as connectAgent does once its forward is open, with `baseUrl` standing where the
 * forward's URL would be. `closes` counts the calls of the forward's close.
 */
export async function connectAt(
  baseUrl: string,
  options: { signal?: AbortSignal; cardPath?: string; timeoutMs?: number } = {},
): Promise<AgentConnection & { closes: () => number }> {
  let closes = 0;
  const agent = await openAgentConnection({
    baseUrl,
    port: 8080,
    cardPath: options.cardPath ?? DEFAULT_CARD_PATH,
    where: 'port 8080 of sandbox "test"',
    signal: options.signal ?? new AbortController().signal,
    timeoutMs: options.timeoutMs ?? 5_000,
    close: async () => {
      closes++;
    },
  });
  return Object.assign(agent, { closes: () => closes });
}
