import { readFileSync } from "node:fs";
import { sandboxNameFor } from "openshell/adapters/agent-registry";
import {
  type AdapterService,
  serveAdapter,
} from "../../../../../adapters/agent-registry/serve/serve-adapter.js";
import type { ServeAdapterOptions } from "../../../../../adapters/agent-registry/serve/serve-options.js";
import { generateServiceToken } from "../../../../../adapters/agent-registry/serve/service-token.js";
import type { WireErrorBody } from "../../../../../adapters/agent-registry/serve/wire-errors.js";
import { MemoryAdapter } from "./memory-adapter.js";

/** A registry fixture, parsed. */
export const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../../fixtures/agent-registry/${name}`, import.meta.url), "utf8"));

/** The fixtures' whole apply request: the A2A echo agent's Deployment, Agent and local Runtime. */
export const applyRequest = () => ({
  deployment: fixture("deployment-a2a.json"),
  target: fixture("agent-a2a.json"),
  runtime: fixture("runtime-local.json"),
});

/** The sandbox name the fixture deployment gets. */
export const fixtureSandbox = () =>
  sandboxNameFor(fixture("deployment-a2a.json") as unknown as Parameters<typeof sandboxNameFor>[0]);

/** A memory adapter served on loopback with a fresh token. */
export async function startService(options: Partial<ServeAdapterOptions> = {}): Promise<{
  adapter: MemoryAdapter;
  service: AdapterService;
  token: string;
  call: (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;
}> {
  const adapter = new MemoryAdapter();
  const token = generateServiceToken();
  const service = await serveAdapter(adapter, { token, ...options });
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, headers, ...rest } = init;
    return fetch(`${service.url}${path}`, {
      method: json === undefined ? "GET" : "POST",
      ...rest,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(json === undefined ? {} : { "Content-Type": "application/json" }),
        ...(headers as Record<string, string> | undefined),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  };
  return { adapter, service, token, call };
}

/** Reads an NDJSON response one line at a time, as it arrives (empty heartbeat lines included as ""). */
export function ndjsonLines(response: Response): { next: () => Promise<string | undefined> } {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next() {
      for (;;) {
        const newline = buffer.indexOf("\n");
        if (newline !== -1) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          return line;
        }
        const { done, value } = await reader.read();
        if (done) return buffer === "" ? undefined : buffer;
        buffer += value;
      }
    },
  };
}

/** Polls `check` until it holds (for effects on the server side of a socket). */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The `error` of an error answer. */
export async function errorOf(response: Response): Promise<WireErrorBody["error"]> {
  return ((await response.json()) as WireErrorBody).error;
}
