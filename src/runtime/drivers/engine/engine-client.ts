import Docker from "dockerode";
import type { EngineEndpoint } from "../../engine-endpoint.js";
import { tlsOptionsFor } from "../../engine-tls.js";

/**
 * A dockerode client for an endpoint. TLS files are read here, at connect time, so an unreadable
 * key fails the connect with a TlsError naming the file rather than the first request.
 */
export async function engineClient(endpoint: EngineEndpoint): Promise<Docker> {
  switch (endpoint.kind) {
    case "unix":
      return new Docker({ socketPath: endpoint.socketPath });
    case "tcp": {
      const tls = await tlsOptionsFor(endpoint);
      if (tls === undefined)
        return new Docker({ protocol: "http", host: endpoint.host, port: endpoint.port });
      return new Docker({
        protocol: "https",
        host: endpoint.host,
        port: endpoint.port,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        // Without DOCKER_TLS_VERIFY the docker CLI encrypts but does not check the server's
        // certificate; do the same, since that is what the user configured.
        ...(tls.rejectUnauthorized ? {} : { checkServerIdentity: () => undefined }),
      });
    }
    case "ssh":
      return new Docker({
        protocol: "ssh",
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
        // Key-based login goes through the user's ssh-agent, as the docker CLI's does.
        ...(process.env.SSH_AUTH_SOCK === undefined
          ? {}
          : { sshOptions: { agent: process.env.SSH_AUTH_SOCK } }),
      });
  }
}

/**
 * dockerode takes an options object (with `abortSignal`) on these calls, but its published typings
 * only declare the callback form; this is the same object, typed as it behaves.
 */
export interface SignalAwareCalls {
  ping(options: { abortSignal?: AbortSignal }): Promise<unknown>;
  info(options: { abortSignal?: AbortSignal }): Promise<unknown>;
  version(options: { abortSignal?: AbortSignal }): Promise<Docker.DockerVersion>;
}

export function signalAware(docker: Docker): SignalAwareCalls {
  return docker as unknown as SignalAwareCalls;
}

export interface DialOptions {
  method: "GET" | "HEAD" | "POST";
  /** Ends with `?` when `query` is given: the modem appends the query there (and drops a lone `?`). */
  path: string;
  /** An array value is sent as the key repeated (`condition=a&condition=b`). */
  query?: Record<string, string | number | boolean | readonly string[]>;
  /** A JSON body (POST only; `path` must not end with `?`). */
  body?: object;
  /** Which HTTP statuses are success; the others reject with dockerode's error (statusCode, json). */
  okStatuses: readonly number[];
  /** Resolve with the response stream instead of the parsed body. */
  stream?: boolean;
  signal?: AbortSignal;
}

/**
 * A raw request through dockerode's modem, for the calls dockerode has no method for (libpod's API)
 * or gets wrong (Podman answers an exec resize with 201, which dockerode's method rejects).
 */
export function dial<T>(docker: Docker, options: DialOptions): Promise<T> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: options.path,
        method: options.method,
        ...(options.query === undefined ? {} : { options: options.query }),
        ...(options.body === undefined ? {} : { options: options.body }),
        ...(options.stream ? { isStream: true } : {}),
        statusCodes: Object.fromEntries(options.okStatuses.map((status) => [status, true])),
        ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
      },
      (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as T)),
    );
  });
}
