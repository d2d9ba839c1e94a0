import type { EngineEndpoint, EngineTls } from "../engine-endpoint.js";

/** An engine URL that cannot be used, and why. */
export interface HostProblem {
  problem: string;
}

/** Hides a password in `scheme://user:password@host`, so a quoted value cannot leak it. */
export function redactHost(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, "$1:***@");
}

const defaultPorts = { plain: 2375, tls: 2376, ssh: 22 } as const;

/**
 * Reads DOCKER_HOST / CONTAINER_HOST / a docker context's `Host`: `unix:///path`, `tcp://host[:port]`
 * or `ssh://[user@]host[:port][/socket]`. A tcp port defaults to 2376 with TLS and 2375 without, as
 * the docker CLI does. `tls` applies to tcp only: a unix socket or ssh tunnel has no TLS layer.
 */
export function parseEngineHost(raw: string, tls?: EngineTls): EngineEndpoint | HostProblem {
  const value = raw.trim();
  const shown = JSON.stringify(redactHost(value));
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return { problem: `${shown} has no scheme; write unix:///path/to/engine.sock or tcp://host:port` };
  }
  if (scheme === "unix") {
    const socketPath = value.slice("unix://".length);
    if (!socketPath.startsWith("/")) {
      return { problem: `${shown} does not name an absolute socket path (unix:///path/to/engine.sock)` };
    }
    return { kind: "unix", socketPath };
  }
  if (scheme === "npipe") {
    return {
      problem: `${shown}: Windows named pipes are not supported; expose the engine on tcp:// instead`,
    };
  }
  if (scheme !== "tcp" && scheme !== "ssh") {
    return { problem: `${shown}: unsupported scheme "${scheme}://"; use unix://, tcp:// or ssh://` };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `${shown} is not a valid URL` };
  }
  // Non-special URL schemes keep the brackets of an IPv6 literal; node's net wants them removed.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") return { problem: `${shown} has no host` };
  if (scheme === "ssh") {
    const socketPath = url.pathname && url.pathname !== "/" ? decodeURIComponent(url.pathname) : undefined;
    return {
      kind: "ssh",
      host,
      port: url.port ? Number(url.port) : defaultPorts.ssh,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(socketPath ? { socketPath } : {}),
    };
  }
  const port = url.port ? Number(url.port) : tls ? defaultPorts.tls : defaultPorts.plain;
  return tls ? { kind: "tcp", host, port, tls } : { kind: "tcp", host, port };
}

export function isHostProblem(parsed: EngineEndpoint | HostProblem): parsed is HostProblem {
  return "problem" in parsed;
}
