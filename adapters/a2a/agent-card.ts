import { A2A_PROTOCOL_VERSION, A2A_VERSION_HEADER, AGENT_CARD_PATH, type AgentCard } from "@a2a-js/sdk";
import { DefaultAgentCardResolver } from "@a2a-js/sdk/client";
import { CanceledError, TimeoutError } from "openshell";
import { AgentCardError, AgentUnreachableError } from "./errors.js";

/** The well-known path of an A2A agent card, with its leading slash. */
export const DEFAULT_CARD_PATH = `/${AGENT_CARD_PATH.replace(/^\/+/, "")}`;

/** Where a card is fetched from, and for whom (the words of every error). */
export interface CardRequest {
  /** The forward's `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** The port inside the sandbox (for messages). */
  port: number;
  /** Path of the card on the agent. */
  cardPath: string;
  /** `port 8080 of sandbox "x"`: where, in a person's words. */
  where: string;
  signal: AbortSignal;
  timeoutMs: number;
}

/**
 * Reads the agent card through the forward and returns it in the current (1.0) shape: a 0.3 card
 * (`url`, `preferredTransport`) is translated by the SDK's own resolver, with each interface marked
 * `protocolVersion: "0.3"`, so the SDK picks the 0.3 transport for it.
 */
export async function fetchAgentCard(fetchImpl: typeof fetch, request: CardRequest): Promise<AgentCard> {
  const { port, cardPath, where } = request;
  const url = new URL(cardPath, request.baseUrl);
  const deadline = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      // The card a server with both protocols serves depends on this header: ask for the current one.
      headers: { [A2A_VERSION_HEADER]: A2A_PROTOCOL_VERSION, Accept: "application/json" },
      signal: AbortSignal.any([request.signal, deadline]),
    });
    text = await response.text();
  } catch (err) {
    if (request.signal.aborted) {
      throw new CanceledError(`reading the A2A agent card on ${where}: canceled by the caller's AbortSignal`);
    }
    if (deadline.aborted) {
      throw new TimeoutError(
        `reading the A2A agent card on ${where}: no answer within ${request.timeoutMs} ms. ` +
          "Check that the agent is up (sandbox.logs()) and serves HTTP on that port.",
        { cause: err },
      );
    }
    throw new AgentUnreachableError(
      `nothing answered HTTP on ${where} (the connection was closed or reset inside the sandbox). ` +
        `Check that the agent is running and listens on port ${port} (on 0.0.0.0 or 127.0.0.1), ` +
        "and that it has finished starting: read sandbox.logs().",
      { port, cause: err },
    );
  }
  if (!response.ok) {
    throw new AgentCardError(
      `no A2A agent card at ${cardPath} on ${where}: HTTP ${response.status}. ` +
        `Check the port (${port}) and the card's path (option cardPath; A2A agents serve ${DEFAULT_CARD_PATH}).`,
      { problem: "not_found", port, cardPath, status: response.status },
    );
  }
  const card = parseCard(text, request, response.status);
  if (!card.supportedInterfaces.some((i) => i.protocolBinding === "JSONRPC")) {
    const bindings = card.supportedInterfaces.map((i) => i.protocolBinding).join(", ");
    throw new AgentCardError(
      `the A2A agent on ${where} offers no JSON-RPC interface (only ${bindings}); ` +
        "this client speaks A2A over JSON-RPC only.",
      { problem: "no_jsonrpc", port, cardPath, status: response.status },
    );
  }
  return card;
}

function parseCard(text: string, request: CardRequest, status: number): AgentCard {
  const { port, cardPath, where } = request;
  const invalid = (why: string, cause?: unknown) =>
    new AgentCardError(
      `${cardPath} on ${where} is not an A2A agent card: ${why}. ` +
        `Check that port ${port} is the agent's A2A port and ${cardPath} its card's path (option cardPath).`,
      { problem: "invalid", port, cardPath, status, cause },
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(`the answer is not JSON (it starts with ${JSON.stringify(text.slice(0, 40))})`, err);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw invalid("the answer is not a JSON object");
  if (typeof (raw as { name?: unknown }).name !== "string") throw invalid('it has no "name"');
  let card: AgentCard;
  try {
    card = new DefaultAgentCardResolver({ legacyCompat: { enabled: true } }).normalizeAgentCard(raw);
  } catch (err) {
    throw invalid(`the A2A SDK could not read it (${err instanceof Error ? err.message : String(err)})`, err);
  }
  const interfaces: unknown = card.supportedInterfaces;
  if (!Array.isArray(interfaces) || interfaces.length === 0) {
    throw invalid('it names no interface ("supportedInterfaces", or "url" in a 0.3 card)');
  }
  return card;
}
