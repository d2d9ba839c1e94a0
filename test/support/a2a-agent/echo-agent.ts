import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AGENT_CARD_PATH, type AgentCard } from "@a2a-js/sdk";
import { DefaultRequestHandler, InMemoryTaskStore } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import type { AgentCard as AgentCardV03 } from "a2a-sdk-v0.3";
import {
  DefaultRequestHandler as DefaultRequestHandlerV03,
  InMemoryTaskStore as InMemoryTaskStoreV03,
} from "a2a-sdk-v0.3/server";
import { A2AExpressApp } from "a2a-sdk-v0.3/server/express";
import express from "express";
import { EchoExecutor } from "./echo-executor.js";
import { EchoExecutorV03 } from "./echo-executor-v03.js";

/**
 * Which server answers: `"1.0"` the current `@a2a-js/sdk` (SendMessage, ...), `"0.3"` the 0.3 SDK
 * (message/send, ...), `"both"` the current SDK with its 0.3 compatibility layer on.
 */
export type EchoProtocol = "1.0" | "0.3" | "both";

/** Options of {@link startEchoAgent}. */
export interface EchoAgentOptions {
  protocol?: EchoProtocol;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /**
   * The URL the card names, as the agent sees itself. Its path is where JSON-RPC is served.
   * Default `http://localhost:<port>/`.
   */
  cardUrl?: (port: number) => string;
  /**
   * Serve a card of this shape instead of the server's own: a 1.0 card in front of a 0.3 agent, or
   * a 0.3 card in front of a 1.0 agent (cards and agents that disagree, as in the field).
   */
  cardShape?: "1.0" | "0.3";
  /** Where each message is reported. Default: nowhere. */
  log?: (line: string) => void;
}

/** A running echo agent. */
export interface EchoAgent {
  /** `http://<host>:<port>`, the address it listens on. */
  url: string;
  port: number;
  /** The URL its card names. */
  cardUrl: string;
  close(): Promise<void>;
}

const DESCRIPTION = "Echoes every message, streamed in three chunks (OpenShell SDK test agent).";

/** The card in the current (1.0) shape; `versions` lists one JSON-RPC interface per version. */
export function echoCardV1(url: string, versions: readonly string[]): AgentCard {
  return {
    name: "echo",
    description: DESCRIPTION,
    supportedInterfaces: versions.map((protocolVersion) => ({
      url,
      protocolBinding: "JSONRPC",
      tenant: "",
      protocolVersion,
    })),
    provider: undefined,
    version: "1.0.0",
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [],
    signatures: [],
  };
}

/** The card in the 0.3 shape (`url`, `protocolVersion`, `preferredTransport`). */
export function echoCardV03(url: string): AgentCardV03 {
  return {
    name: "echo",
    description: DESCRIPTION,
    url,
    protocolVersion: "0.3.0",
    preferredTransport: "JSONRPC",
    version: "1.0.0",
    capabilities: { streaming: true },
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [],
  };
}

/** Starts an echo agent on `@a2a-js/sdk`'s own servers (Express), current or 0.3. */
export async function startEchoAgent(options: EchoAgentOptions = {}): Promise<EchoAgent> {
  const protocol = options.protocol ?? "1.0";
  const log = options.log ?? (() => {});
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const cardUrl = options.cardUrl?.(port) ?? `http://localhost:${port}/`;
  const rpcPath = new URL(cardUrl).pathname;
  const app = express();
  const cardRoute = `/${AGENT_CARD_PATH}`;
  if (options.cardShape === "1.0") {
    app.get(cardRoute, (_req, res) => void res.json(echoCardV1(cardUrl, ["1.0"])));
  } else if (options.cardShape === "0.3") {
    app.get(cardRoute, (_req, res) => void res.json(echoCardV03(cardUrl)));
  }
  if (protocol === "0.3") {
    const handler = new DefaultRequestHandlerV03(
      echoCardV03(cardUrl),
      new InMemoryTaskStoreV03(),
      new EchoExecutorV03(log),
    );
    new A2AExpressApp(handler).setupRoutes(app, rpcPath === "/" ? "" : rpcPath);
    // The 0.3 app serves the card under its JSON-RPC path; the well-known place is the root.
    if (rpcPath !== "/" && options.cardShape === undefined) {
      app.get(cardRoute, async (_req, res) => void res.json(await handler.getAgentCard()));
    }
  } else {
    const legacyCompat = { enabled: protocol === "both" };
    const versions = protocol === "both" ? ["1.0", "0.3"] : ["1.0"];
    const handler = new DefaultRequestHandler(
      echoCardV1(cardUrl, versions),
      new InMemoryTaskStore(),
      new EchoExecutor(log),
    );
    app.use(cardRoute, agentCardHandler({ agentCardProvider: handler, legacyCompat }));
    app.use(
      rpcPath,
      jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat }),
    );
  }
  server.on("request", app);
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    cardUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open SSE streams and keep-alive sockets would hold close() forever.
        server.closeAllConnections();
      }),
  };
}
