import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { CanceledError, ProtocolError, TimeoutError, TlsError, UnavailableError } from "../../errors.js";
import { describeEndpoint, type EngineEndpoint } from "../engine-endpoint.js";
import { type EngineTlsOptions, tlsOptionsFor } from "../engine-tls.js";
import type { EngineKind } from "./engine-candidate.js";
import { pingFailure } from "./ping-failure.js";

/** What an engine said about itself in answer to `GET /_ping`. */
export interface EnginePing {
  /** Podman sends a `Libpod-Api-Version` header; Docker does not. */
  kind: EngineKind;
  /** The Docker-compatible API version (`Api-Version` header), e.g. `"1.41"`. */
  apiVersion: string;
  /** Podman's own API version, e.g. `"4.3.1"`. */
  libpodApiVersion?: string;
}

export interface PingOptions {
  /** Give up after this long; default {@link DEFAULT_PING_TIMEOUT_MS}. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type PingFunction = (endpoint: EngineEndpoint, options: PingOptions) => Promise<EnginePing>;

/** Short, because an engine that is there answers in milliseconds and one that is not never does. */
export const DEFAULT_PING_TIMEOUT_MS = 2_000;

export const SSH_NOT_PROBED =
  "ssh:// endpoints are not probed; pass it to createRuntime as `endpoint`, with `runtime`";

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim() ? text.trim() : undefined;
}

/** Reads the answer: only a 200 with an API version is a Docker-API engine. */
function readPing(endpoint: EngineEndpoint, res: IncomingMessage, body: string): EnginePing {
  const where = describeEndpoint(endpoint);
  if (res.statusCode !== 200) {
    const tlsHint =
      res.statusCode === 400 && /https/i.test(body)
        ? "; it speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH"
        : "; not a Docker API engine";
    throw new ProtocolError(`${where}: answered HTTP ${res.statusCode} to GET /_ping${tlsHint}`);
  }
  const apiVersion = header(res, "api-version");
  if (apiVersion === undefined) {
    throw new ProtocolError(
      `${where}: answered GET /_ping without an API-Version header; not a Docker API engine`,
    );
  }
  const libpodApiVersion = header(res, "libpod-api-version");
  return libpodApiVersion === undefined
    ? { kind: "docker", apiVersion }
    : { kind: "podman", apiVersion, libpodApiVersion };
}

/**
 * Asks an engine `GET /_ping` over its unix socket or tcp port (TLS from the endpoint's files) and
 * tells Docker from Podman by the answer's headers.
 *
 * @throws UnavailableError (nothing there, refused, ssh), TlsError, TimeoutError, ProtocolError (not
 *   an engine), CanceledError (the signal fired). Each message starts with the endpoint.
 */
export async function pingEngine(endpoint: EngineEndpoint, options: PingOptions = {}): Promise<EnginePing> {
  const where = describeEndpoint(endpoint);
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  if (endpoint.kind === "ssh") throw new UnavailableError(`${where}: ${SSH_NOT_PROBED}`);
  if (signal?.aborted) throw new CanceledError(`${where}: ping canceled`);
  let tls: EngineTlsOptions | undefined;
  try {
    tls = await tlsOptionsFor(endpoint);
  } catch (err) {
    throw new TlsError(`${where}: ${(err as Error).message}`, { cause: err });
  }

  return new Promise<EnginePing>((resolve, reject) => {
    let handshakeDone = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => request.destroy(new CanceledError(`${where}: ping canceled`));
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const fail = (err: unknown) =>
      settle(() =>
        reject(
          err instanceof CanceledError || err instanceof ProtocolError
            ? err
            : pingFailure(endpoint, err, { handshakeDone }),
        ),
      );

    // agent: false, so no keep-alive socket outlives the ping and holds the process open.
    const base = { method: "GET", path: "/_ping", agent: false as const };
    let request: http.ClientRequest;
    try {
      if (endpoint.kind === "unix") {
        request = http.request({ ...base, socketPath: endpoint.socketPath });
      } else if (tls === undefined) {
        request = http.request({ ...base, host: endpoint.host, port: endpoint.port });
      } else {
        request = https.request({ ...base, host: endpoint.host, port: endpoint.port, ...tls });
      }
    } catch (err) {
      // A key that does not match its certificate is refused while building the TLS context.
      fail(err);
      return;
    }
    timer = setTimeout(
      () => request.destroy(new TimeoutError(`${where}: no answer to GET /_ping within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    request.on("socket", (socket) => {
      socket.once("secureConnect", () => {
        handshakeDone = true;
      });
    });
    request.on("error", fail);
    request.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < 1024) body += chunk;
      });
      res.on("error", fail);
      res.on("end", () => {
        try {
          const ping = readPing(endpoint, res, body);
          settle(() => resolve(ping));
        } catch (err) {
          fail(err);
        }
      });
      res.on("close", () => fail(new UnavailableError(`${where}: the connection closed mid-answer`)));
    });
    request.end();
  });
}
