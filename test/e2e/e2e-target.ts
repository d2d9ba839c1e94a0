import type { OpenShell } from "../../src/index.js";

/**
 * One gateway the client surface suite runs against: the scripted test gateway today, the embedded
 * local gateway over Docker and Podman later. The suite is the same; only these commands differ,
 * because a sandbox on the test gateway is a host process and on a runtime it is a container.
 */
export interface E2eTarget {
  /** Shown in test names. */
  name: string;
  /** A connected client. */
  connect(): Promise<OpenShell>;
  /** Image to create sandboxes from (ignored by gateways that run host processes). */
  image: string;
  /** An image the gateway cannot start a sandbox from. */
  failingImage: string;
  /** False where the runtime reports no exit codes (Apple `container`); true when absent. */
  exitCodes?: boolean;
  /** A main command that keeps the sandbox alive until it is deleted. */
  idleCommand: string[];
  /** A main command that serves HTTP on `port` (0.0.0.0), answering every GET with `body`. */
  httpServerCommand(port: number, body: string): string[];
  /** A main command that echoes every TCP connection on `port` back to its sender. */
  echoServerCommand(port: number): string[];
  /** Stops the gateway and removes what it made. */
  close(): Promise<void>;
}
