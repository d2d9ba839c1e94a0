import { readFileSync } from "node:fs";
import Docker from "dockerode";
import type { EngineEndpoint } from "../../engine-endpoint.js";

/**
 * A dockerode client for an endpoint. TLS files are read here, at connect time, so an unreadable
 * key fails the connect with the path named rather than the first request with a TLS error.
 */
export function engineClient(endpoint: EngineEndpoint): Docker {
  switch (endpoint.kind) {
    case "unix":
      return new Docker({ socketPath: endpoint.socketPath });
    case "tcp": {
      if (endpoint.tls === undefined) {
        return new Docker({ protocol: "http", host: endpoint.host, port: endpoint.port });
      }
      const tls = endpoint.tls;
      return new Docker({
        protocol: "https",
        host: endpoint.host,
        port: endpoint.port,
        ca: readTlsFile(tls.caFile, "CA certificate"),
        cert: readTlsFile(tls.certFile, "client certificate"),
        key: readTlsFile(tls.keyFile, "client key"),
        // Without DOCKER_TLS_VERIFY the docker CLI encrypts but does not check the server's
        // certificate; do the same, since that is what the user configured.
        ...(tls.verify ? {} : { checkServerIdentity: () => undefined }),
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

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
    throw new Error(`cannot read the Docker TLS ${what} at ${path} (${reason}); check DOCKER_CERT_PATH`);
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
