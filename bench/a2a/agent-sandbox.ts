/**
 * The echo agent in one local-mode sandbox, and where else it can be reached: the container's own
 * address on the gateway's network, read from the runtime behind `os.localGateway` (the public
 * `openshell/runtime` interface), so the benchmark's direct client talks to the same process the
 * forward reaches.
 */
import type { OpenShell, Sandbox } from "openshell";
import { type AgentConnection, AgentUnreachableError, connectAgent } from "openshell/adapters/a2a";

/** The echo agent's image (made by scripts/engines.sh) and the command that starts it on `port`. */
export const AGENT_IMAGE = process.env.OPENSHELL_TEST_A2A_AGENT_IMAGE ?? "openshell-test/a2a-agent:1";
export const AGENT_PORT = 8080;
/** As test/support/a2a-agent/image.ts echoAgentCommand(8080): A2A 1.0 on 0.0.0.0:8080. */
const AGENT_COMMAND = ["node", "/app/echo-agent.mjs", "--port", String(AGENT_PORT), "--protocol", "1.0"];
/**
 * The label local mode puts on a sandbox's container naming the sandbox (src/local/sandboxes/
 * sandbox-container.ts, the gateway's own Docker driver's scheme).
 */
const SANDBOX_NAME_LABEL = "openshell.ai/sandbox-name";

/** Creates the agent's sandbox and waits until it is READY; its container carries `labels`. */
export async function startAgentSandbox(
  os: OpenShell,
  name: string,
  labels: Record<string, string>,
): Promise<Sandbox> {
  const sandbox = await os.sandboxes.create({
    name,
    image: AGENT_IMAGE,
    command: AGENT_COMMAND,
    containerLabels: labels,
  });
  await sandbox.ready({ timeoutMs: 60_000 });
  return sandbox;
}

/**
 * connectAgent as a caller does once the sandbox is READY: the agent (Node loading its bundle)
 * starts listening a moment later, so "nothing answers" is tried again for up to `timeoutMs`.
 */
export async function connectWhenUp(sandbox: Sandbox, timeoutMs = 30_000): Promise<AgentConnection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connectAgent(sandbox, { port: AGENT_PORT });
    } catch (err) {
      if (!(err instanceof AgentUnreachableError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * The container's IPv4 address on the local gateway's network: the address the forward itself
 * connects to, so the direct client skips exactly the forward and nothing else.
 */
export async function containerAddress(os: OpenShell, sandbox: Sandbox): Promise<string> {
  const gateway = os.localGateway;
  if (gateway === undefined) throw new Error("the benchmark needs OpenShell.local(): no local gateway");
  const [container, ...others] = await gateway.runtime.listContainers({
    labels: { [SANDBOX_NAME_LABEL]: sandbox.name },
  });
  if (container === undefined || others.length > 0) {
    throw new Error(`expected one container labelled ${SANDBOX_NAME_LABEL}=${sandbox.name}`);
  }
  const info = await gateway.runtime.inspectContainer(container.id);
  const address = info.addresses.find((a) => a.network === gateway.network)?.ipv4;
  if (!address) throw new Error(`container ${container.name} has no address on network ${gateway.network}`);
  return address;
}
