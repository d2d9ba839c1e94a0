import { InvalidArgumentError } from "openshell";

/** A host and port a deployed agent may connect to. */
export interface EgressHost {
  /** A DNS name or IPv4 address, lower case. */
  host: string;
  /** The TCP port. */
  port: number;
}

/** The port of `runtimeConfig.egressHosts` entries that name none: HTTPS. */
export const DEFAULT_EGRESS_PORT = 443;

const HOST = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Parses `host` or `host:port` (a `runtimeConfig.egressHosts` entry); 443 when no port is given.
 * @throws InvalidArgumentError naming `field` when it is neither.
 */
export function parseEgressHost(text: string, field: string): EgressHost {
  const match = /^(.*?)(?::([0-9]{1,5}))?$/.exec(text) as RegExpExecArray;
  const host = match[1] as string;
  const port = match[2] === undefined ? DEFAULT_EGRESS_PORT : Number(match[2]);
  if (!HOST.test(host)) {
    throw new InvalidArgumentError(
      `invalid ${field}: ${JSON.stringify(text)} must be host or host:port, a lower-case DNS name or IPv4 address`,
      { field },
    );
  }
  if (port < 1 || port > 65535) {
    throw new InvalidArgumentError(`invalid ${field}: port ${port} must be 1-65535`, { field });
  }
  return { host, port };
}

/** `host:port`, as messages and dedupe keys spell it. */
export function egressKey(egress: EgressHost): string {
  return `${egress.host}:${egress.port}`;
}

/** `hosts` without repeats, first occurrence kept. */
export function uniqueHosts(hosts: readonly EgressHost[]): EgressHost[] {
  const seen = new Set<string>();
  return hosts.filter((egress) => {
    const key = egressKey(egress);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
