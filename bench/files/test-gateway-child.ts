/**
 * The scripted test gateway in a child process of its own (this same bundle, run with
 * `test-gateway` as its first argument), so that the parent's CPU time and memory are the client's
 * alone: the test gateway runs every exec as a host process and relays its bytes, work the parent
 * must not be charged for. The child says its endpoint and certificates over IPC and closes the
 * gateway when the parent says "close" or goes away.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";

export const CHILD_ARGUMENT = "test-gateway";

/** What a client needs to reach the child's gateway over mTLS. */
export interface GatewayAddress {
  endpoint: string;
  ca: string;
  cert: string;
  key: string;
}

export interface GatewayChild extends GatewayAddress {
  close(): Promise<void>;
}

/** The child side: start, say where, close on request or when the parent is gone. */
export async function runGatewayChild(): Promise<void> {
  // Loaded here only: the client's process (which bundles this file too) must not hold the gateway.
  const { startTestGateway } = await import("../../test/support/test-gateway/index.js");
  const gateway = await startTestGateway();
  const close = () => void gateway.close().finally(() => process.exit(0));
  process.on("message", (m) => m === "close" && close());
  process.on("disconnect", close);
  const address: GatewayAddress = {
    endpoint: gateway.endpoint,
    ca: gateway.ca,
    cert: gateway.client.cert,
    key: gateway.client.key,
  };
  process.send?.(address);
}

/** The parent side: forks this bundle as the gateway and waits for its address. */
export async function startGatewayChild(): Promise<GatewayChild> {
  const script = process.argv[1];
  if (script === undefined) throw new Error("cannot tell which script to fork for the test gateway");
  const child: ChildProcess = fork(script, [CHILD_ARGUMENT], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const [address] = (await Promise.race([
    once(child, "message"),
    exited.then(([code]) => {
      throw new Error(`the test gateway's process exited (${String(code)}) before it started`);
    }),
  ])) as [GatewayAddress];
  return {
    ...address,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send("close");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
