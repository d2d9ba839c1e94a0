import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidArgumentError } from "openshell";
import type { DeploymentAdapter } from "../adapter/deployment-adapter.js";
import { ROUTES, type RouteContext, sendJson } from "./routes.js";
import { parseServeOptions, type ServeAdapterOptions, type ServeSettings } from "./serve-options.js";
import { checkBearer } from "./service-token.js";
import { ServiceProblem, wireError } from "./wire-errors.js";

/** A running adapter service. Close it (or `await using`) to stop it. */
export interface AdapterService extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` (or `http://[::1]:<port>`): the base URL of the routes. */
  readonly url: string;
  /** The port it listens on (the one picked when `port` was 0). */
  readonly port: number;
  /**
   * Stops accepting requests, cancels the calls in flight (their adapter `signal` fires), ends
   * the open logs and watch streams with an `unavailable` error line, and resolves once the
   * server is closed. Safe to call more than once.
   */
  close(): Promise<void>;
}

const CLOSING = () =>
  new ServiceProblem(
    503,
    "unavailable",
    "the adapter service is closing; retry against its replacement",
    undefined,
    {
      Connection: "close",
    },
  );

/** Marks a request whose client went away: nothing is answered. */
class ClientGone extends Error {}

/**
 * Serves `adapter` over HTTP on a loopback address, one JSON route per contract method, logs and
 * watch as NDJSON streams, every request authenticated by `Authorization: Bearer <token>`. A
 * registry-side forwarder, or a program in another language, drives the adapter through it.
 *
 * A call whose client disconnects is canceled: the adapter's `signal` fires (apply, remove,
 * discover, invoke) and a logs or watch stream's iterable is closed.
 *
 * @throws InvalidArgumentError naming the field: a token shorter than 32 characters, a host that
 * is not loopback, a port out of range.
 */
export async function serveAdapter(
  adapter: DeploymentAdapter,
  options: ServeAdapterOptions,
): Promise<AdapterService> {
  if (typeof adapter !== "object" || adapter === null || typeof adapter.apply !== "function") {
    throw new InvalidArgumentError("invalid adapter: must implement DeploymentAdapter", { field: "adapter" });
  }
  const settings = parseServeOptions(options);
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = handle(adapter, settings, closing.signal, req, res);
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  server.listen({ port: settings.port, host: settings.host });
  try {
    await Promise.race([
      once(server, "listening"),
      settings.signal ? aborted(settings.signal) : new Promise(() => {}),
    ]);
  } catch (err) {
    server.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const onSignal = () => void close();
  const close = (): Promise<void> => {
    closed ??= (async () => {
      settings.signal?.removeEventListener("abort", onSignal);
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      closing.abort(CLOSING());
      await Promise.allSettled([...inFlight]);
      // Keep-alive connections idle after their last answer would hold close() open.
      server.closeAllConnections();
      await serverClosed;
    })();
    return closed;
  };
  settings.signal?.addEventListener("abort", onSignal, { once: true });
  const hostPart = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${hostPart}:${port}`,
    port,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () =>
      reject(
        new InvalidArgumentError("serveAdapter: canceled by its signal before listening", {
          field: "signal",
        }),
      );
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

async function handle(
  adapter: DeploymentAdapter,
  settings: ServeSettings,
  closing: AbortSignal,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const controller = new AbortController();
  const onClosing = () => controller.abort(closing.reason);
  const onResponseClose = () => {
    if (!res.writableFinished) controller.abort(new ClientGone());
  };
  closing.addEventListener("abort", onClosing, { once: true });
  res.on("close", onResponseClose);
  if (closing.aborted) onClosing();
  try {
    const route = routeFor(req, settings);
    const context: RouteContext = {
      adapter,
      req,
      res,
      signal: controller.signal,
      maxBodyBytes: settings.maxBodyBytes,
      heartbeatMs: settings.heartbeatMs,
      closingLine: () => (closing.aborted ? wireError(closing.reason).body : undefined),
    };
    if (controller.signal.aborted) throw controller.signal.reason;
    await route.handle(context);
    if (!res.headersSent && controller.signal.aborted) throw controller.signal.reason;
  } catch (err) {
    answerError(res, controller.signal.aborted ? controller.signal.reason : err);
  } finally {
    closing.removeEventListener("abort", onClosing);
    res.off("close", onResponseClose);
  }
}

function routeFor(req: IncomingMessage, settings: ServeSettings): (typeof ROUTES)[string] {
  const auth = checkBearer(req.headers.authorization, settings.token);
  if (auth !== "ok") {
    // RFC 6750: a request without credentials gets the bare challenge; a wrong token, invalid_token.
    const challenge =
      auth === "missing"
        ? 'Bearer realm="openshell-adapter"'
        : 'Bearer realm="openshell-adapter", error="invalid_token"';
    throw new ServiceProblem(
      401,
      "unauthenticated",
      auth === "missing"
        ? "send the service's token as Authorization: Bearer <token>"
        : "the bearer token is not this service's token; use the token the service was started with",
      undefined,
      { "WWW-Authenticate": challenge },
    );
  }
  const path = new URL(req.url ?? "/", "http://service").pathname;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (route === undefined) {
    throw new ServiceProblem(
      404,
      "not_found",
      `no route ${path}; the routes are ${Object.keys(ROUTES).join(", ")}`,
    );
  }
  if (req.method !== route.method) {
    throw new ServiceProblem(405, "invalid_argument", `${path} answers ${route.method} only`, undefined, {
      Allow: route.method,
    });
  }
  return route;
}

function answerError(res: ServerResponse, err: unknown): void {
  if (err instanceof ClientGone || res.destroyed) return;
  if (res.headersSent) {
    // A stream already under way: its end is all that can still be said.
    res.end();
    return;
  }
  const { status, body } = wireError(err);
  const headers = err instanceof ServiceProblem ? err.headers : {};
  sendJson(res, status, body, headers);
}
