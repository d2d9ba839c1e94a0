import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidArgumentError } from "openshell";
import type { DeploymentAdapter } from "../adapter/deployment-adapter.js";
import { streamNdjson } from "./ndjson-response.js";
import { readJsonBody } from "./read-json-body.js";
import type { WireErrorBody } from "./wire-errors.js";
import { messageFromWire, replyToWire } from "./wire-message.js";

/** What a route handler gets for one request. */
export interface RouteContext {
  adapter: DeploymentAdapter;
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborted when the client goes away or the service closes. */
  signal: AbortSignal;
  maxBodyBytes: number;
  heartbeatMs: number;
  /** The last line of a stream cut by the service's close. */
  closingLine: () => WireErrorBody | undefined;
}

/** One route: its method and what answers it. */
export interface Route {
  method: "GET" | "POST";
  handle(context: RouteContext): Promise<void>;
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  // The client went away while the adapter worked: there is no one to answer.
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

function deploymentOf(body: Record<string, unknown>): Record<string, unknown> {
  const deployment = body.deployment;
  if (typeof deployment !== "object" || deployment === null || Array.isArray(deployment)) {
    throw new InvalidArgumentError("invalid deployment: is required: the Deployment (a JSON object)", {
      field: "deployment",
    });
  }
  return deployment as Record<string, unknown>;
}

function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || typeof value === "boolean") return value;
  throw new InvalidArgumentError(`invalid ${field}: must be true or false`, { field });
}

function optionalCount(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || (typeof value === "number" && Number.isInteger(value) && value >= 0))
    return value;
  throw new InvalidArgumentError(`invalid ${field}: must be a whole number, 0 or more`, { field });
}

/** A route whose answer is the JSON of one adapter call on the request's body. */
function unary(call: (context: RouteContext, body: Record<string, unknown>) => Promise<unknown>): Route {
  return {
    method: "POST",
    async handle(context) {
      const body = await readJsonBody(context.req, context.maxBodyBytes);
      const answer = await call(context, body);
      sendJson(context.res, 200, answer);
    },
  };
}

/** A route streaming an adapter iterable as NDJSON. */
function stream(
  open: (context: RouteContext, body: Record<string, unknown>) => AsyncIterable<unknown>,
): Route {
  return {
    method: "POST",
    async handle(context) {
      const body = await readJsonBody(context.req, context.maxBodyBytes);
      await streamNdjson(context.res, open(context, body), context);
    },
  };
}

/**
 * The routes, one per contract method. Inputs go to the adapter as received (it validates the
 * registry's shapes); only what the HTTP mapping adds (the logs flags, the invoke message) is
 * checked here.
 */
export const ROUTES: Readonly<Record<string, Route>> = {
  "/v1/type": {
    method: "GET",
    async handle({ adapter, res }) {
      sendJson(res, 200, { type: adapter.type(), supportedTargetKinds: adapter.supportedTargetKinds() });
    },
  },
  "/v1/apply": unary(({ adapter, signal }, body) => adapter.apply(body, { signal })),
  "/v1/remove": unary(({ adapter, signal }, body) => adapter.remove(body, { signal })),
  "/v1/discover": unary(async ({ adapter, signal }, body) => ({
    targets: await adapter.discover(body, { signal }),
  })),
  "/v1/fingerprint": unary(async ({ adapter }, body) => ({ fingerprint: adapter.desiredFingerprint(body) })),
  "/v1/invoke": unary(async ({ adapter, signal }, body) => {
    const deployment = deploymentOf(body);
    const reply = await adapter.invoke(deployment, messageFromWire(body.message), { signal });
    return replyToWire(reply);
  }),
  "/v1/logs": stream(({ adapter, signal }, body) =>
    adapter.logs({
      deployment: deploymentOf(body),
      follow: optionalBoolean(body, "follow"),
      tailLines: optionalCount(body, "tailLines"),
      signal,
    }),
  ),
  "/v1/watch": stream(({ adapter, signal }, body) => adapter.watch(deploymentOf(body), { signal })),
};
