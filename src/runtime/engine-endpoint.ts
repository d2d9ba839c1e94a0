/**
 * Where a Docker-API engine (Docker or Podman) is reached. TLS material is held as file paths, not
 * contents, so an endpoint can be printed and handed to the reaper's watcher without leaking keys.
 */
export type EngineEndpoint =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; tls?: EngineTls }
  | { kind: "ssh"; host: string; port: number; username?: string; socketPath?: string };

export interface EngineTls {
  /** Files in DOCKER_CERT_PATH's layout: ca.pem, cert.pem, key.pem. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Check the server's certificate against caFile (DOCKER_TLS_VERIFY). */
  verify: boolean;
}

/** The endpoint as a URL for messages (`unix:///var/run/docker.sock`, `tcp://host:2376 (TLS)`). */
export function describeEndpoint(endpoint: EngineEndpoint): string {
  switch (endpoint.kind) {
    case "unix":
      return `unix://${endpoint.socketPath}`;
    case "tcp":
      return `tcp://${endpoint.host}:${endpoint.port}${endpoint.tls === undefined ? "" : " (TLS)"}`;
    case "ssh":
      return `ssh://${endpoint.username === undefined ? "" : `${endpoint.username}@`}${endpoint.host}:${endpoint.port}`;
  }
}
