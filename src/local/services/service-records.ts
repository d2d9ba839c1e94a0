import { invalidArgument } from "../protocol/gateway-errors.js";

/**
 * The record kind service endpoints are stored under: scope = the workspace, name =
 * {@link serviceRecordName} (sandbox names hold no `/`, so the pair is unambiguous).
 */
export const SERVICE_KIND = "service";

/** A published service endpoint as local mode keeps it. */
export interface ServiceRecord {
  id: string;
  sandboxId: string;
  sandboxName: string;
  /** `""` for the sandbox's unnamed service. */
  service: string;
  /** The port inside the sandbox that receives the traffic. */
  targetPort: number;
  /**
   * The loopback port of the endpoint's listener on this host, reused by a restarted gateway when
   * it is still free (so URLs handed out keep working).
   */
  listenPort: number;
}

/** The record name of `service` of `sandbox`. */
export function serviceRecordName(sandbox: string, service: string): string {
  return `${sandbox}/${service}`;
}

/** Upstream's rule for service names (SEMANTICS §11): lowercase DNS label, <= 19 characters, no `--`. */
const SERVICE_NAME_CHARS = 19;
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** INVALID_ARGUMENT for a service name upstream refuses; `""` (the unnamed service) is fine. */
export function checkServiceName(name: string): void {
  if (name === "") return;
  if (name.length > SERVICE_NAME_CHARS || !dnsLabel.test(name) || name.includes("--")) {
    throw invalidArgument(
      `service "${name}" must be a lowercase DNS label (a-z, 0-9, '-') of at most ${SERVICE_NAME_CHARS} characters without "--"`,
    );
  }
}

/** INVALID_ARGUMENT for a target port outside 1..65535. */
export function checkTargetPort(port: number): void {
  if (port < 1 || port > 65_535) throw invalidArgument(`target_port ${port} must be 1 to 65535`);
}

/** How an error or message names an endpoint. */
export function describeService(sandbox: string, service: string): string {
  return service === ""
    ? `unnamed service of sandbox "${sandbox}"`
    : `service "${service}" of sandbox "${sandbox}"`;
}

/** The URL of an endpoint whose listener is on `port`: local mode has no HTTP front door of its own. */
export function serviceUrl(port: number): string {
  return `http://127.0.0.1:${port}/`;
}
