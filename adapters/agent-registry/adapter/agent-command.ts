import { NotFoundError, type OpenShell } from "openshell";

/** How the command of a deployment's sandbox was decided. */
export type AgentCommand =
  | { ok: true; command: string[]; source: "runtimeConfig" | "image" }
  | { ok: false; reason: "CommandRequired" | "ImageNotFound"; message: string };

/**
 * The sandbox's main process. An OpenShell sandbox does not run its image's own CMD (an empty
 * command is a shell or a keep-alive loop, so an agent would never start): take
 * `runtimeConfig.command`, else the image's own ENTRYPOINT + CMD when the adapter can read the
 * image's config (a local gateway, through its runtime), else report what to set.
 */
export async function agentCommand(
  client: OpenShell,
  image: string,
  configured: readonly string[] | undefined,
  signal: AbortSignal,
): Promise<AgentCommand> {
  if (configured !== undefined) return { ok: true, command: [...configured], source: "runtimeConfig" };
  const runtime = client.localGateway?.runtime;
  if (runtime === undefined) {
    return {
      ok: false,
      reason: "CommandRequired",
      message:
        `the gateway runs images without their own CMD and this adapter cannot read the config of "${image}" ` +
        "from a remote gateway: set deployment.spec.runtimeConfig.command to the agent's start command " +
        '(for example ["python", "-m", "my_agent", "--port", "8080"])',
    };
  }
  try {
    const info = await runtime.inspectImage(image, { signal });
    const command = [...info.entrypoint, ...info.cmd];
    if (command.length > 0) return { ok: true, command, source: "image" };
    return {
      ok: false,
      reason: "CommandRequired",
      message:
        `image "${image}" sets neither ENTRYPOINT nor CMD, so nothing says how to start the agent: ` +
        "set deployment.spec.runtimeConfig.command",
    };
  } catch (err) {
    if (err instanceof NotFoundError) {
      return {
        ok: false,
        reason: "ImageNotFound",
        message:
          `image "${image}" is not in the ${runtime.kind} engine of the local gateway: build or pull it there ` +
          "(or load it with openshell-image load), or fix the Agent's spec.source.image",
      };
    }
    throw err;
  }
}
