import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CanceledError, FailedPreconditionError, InvalidArgumentError } from "openshell";
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
   * Stops accepting requests, cancels the calls in flight (their adapter `signal` fires; they
   * answer 503), ends the open logs and watch streams with an `unavailable` error line, cuts the
   * connections still open after `closeGraceMs`, and resolves once the server is closed. Safe to
   * call more than once.
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

/** The calls in flight, and why they are being canceled once the service closes. */
interface Calls {
  active: Set<AbortController>;
  closing: ServiceProblem | undefined;
}

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
  // The calls in flight, to cancel at close. A set rather than listeners on one shared signal: a
  // service streaming to many watchers at once must not trip Node's listener-leak warning.
  const calls: Calls = { active: new Set(), closing: undefined };
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = handle(adapter, settings, calls, req, res);
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  server.listen({ port: settings.port, host: settings.host });
  try {
    await listening(server, settings.signal);
  } catch (err) {
    server.close();
    throw listenError(err, settings);
  }
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const onSignal = () => void close();
  const close = (): Promise<void> => {
    closed ??= (async () => {
      settings.signal?.removeEventListener("abort", onSignal);
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      calls.closing = CLOSING();
      for (const controller of calls.active) controller.abort(calls.closing);
      // The canceled calls get a moment to answer 503 and streams to write their last line; a
      // request still being sent, or an adapter call that ignores its signal, does not hold close().
      await settledOrTimeout([...inFlight], settings.closeGraceMs);
      // This also ends keep-alive connections idle after their last answer.
      server.closeAllConnections();
      await serverClosed;
    })();
    return closed;
  };
  settings.signal?.addEventListener("abort", onSignal, { once: true });
  if (settings.signal?.aborted) void close();
  const hostPart = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${hostPart}:${port}`,
    port,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function settledOrTimeout(promises: Promise<void>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}

function listenError(err: unknown, settings: ServeSettings): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const where = `port ${settings.port} on ${settings.host}`;
  if (code === "EADDRINUSE") {
    return new FailedPreconditionError(
      `serveAdapter: ${where} is already in use; pick another port, or 0 for a free one`,
      { cause: err },
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "EACCES") {
    return new FailedPreconditionError(`serveAdapter: cannot listen on ${where} (${code})`, { cause: err });
  }
  return err;
}

/** Resolves once the server listens; rejects on a listen error or when `signal` fires first. */
async function listening(server: Server, signal: AbortSignal | undefined): Promise<void> {
  const stop = new AbortController();
  const onAbort = () =>
    stop.abort(new CanceledError("serveAdapter: canceled by its signal before it listened"));
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await once(server, "listening", { signal: stop.signal });
  } catch (err) {
    throw stop.signal.aborted ? stop.signal.reason : err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function handle(
  adapter: DeploymentAdapter,
  settings: ServeSettings,
  calls: Calls,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const controller = new AbortController();
  const onResponseClose = () => {
    if (!res.writableFinished) controller.abort(new ClientGone());
  };
  res.on("close", onResponseClose);
  if (calls.closing) controller.abort(calls.closing);
  calls.active.add(controller);
  try {
    const route = routeFor(req, settings);
    const context: RouteContext = {
      adapter,
      req,
      res,
      signal: controller.signal,
      maxBodyBytes: settings.maxBodyBytes,
      heartbeatMs: settings.heartbeatMs,
      closingLine: () => (calls.closing ? wireError(calls.closing).body : undefined),
    };
    if (controller.signal.aborted) throw controller.signal.reason;
    await route.handle(context);
    if (!res.headersSent && controller.signal.aborted) throw controller.signal.reason;
  } catch (err) {
    answerError(res, controller.signal.aborted ? controller.signal.reason : err);
  } finally {
    calls.active.delete(controller);
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
